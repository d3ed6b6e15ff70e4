"""Sign-in throttling that guessing cannot turn against the staff it protects.

Three counts of failed sign-ins, kept in the database so every worker and server agrees:

- per account *and* address: a hard limit (``LOGIN_FAILURE_LIMIT``). Whoever guesses at an
  account from one address is refused there, even the right password, and only there.
- per address, across accounts: a hard limit (``LOGIN_ADDRESS_LIMIT``) against one address
  trying a password on many accounts.
- per account, across addresses: no refusal, which would let anyone lock a colleague out.
  Past ``LOGIN_ACCOUNT_DELAY_AFTER`` failures in the window, an address that already
  failed on the account must wait between guesses, twice as long for each further
  failure (at most ``LOGIN_DELAY_MAX_SECONDS``). The real user, who has not been guessing
  from their address, signs in at once.

An attempt is counted as a failure *before* the password is checked and taken back when
it succeeds: counting first, under the rate limiter's lock, keeps the hard limits exact
however many workers answer at once. Refused attempts are not counted (they check no
password) and are written to the audit log once per window per account and address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from app.models.base import utcnow
from app.ratelimit import Key, admit_limits, count, last_attempt, parse_rate, take_back

PAIR_SCOPE = "login-pair"
IP_SCOPE = "login-ip"
ACCOUNT_SCOPE = "login-account"
REFUSAL_AUDIT_SCOPE = "login-refused"


@dataclass(frozen=True)
class Refusal:
    """Why an attempt was refused before its password was checked, and for how long."""

    wait: timedelta
    first_in_window: bool  # the first refusal of this account and address in the window


def _pair_key(account: str, ip: str) -> str:
    """Account and address in one key; unambiguous, as an IP address holds no space."""
    return f"{account} {ip}"


def _pair(account: str, ip: str) -> Key:
    return (PAIR_SCOPE, _pair_key(account, ip))


def window() -> timedelta:
    return parse_rate(current_app.config["LOGIN_FAILURE_LIMIT"])[1]


def scopes() -> dict[str, str]:
    """Every scope the throttle counts in, with the rate whose window it keeps rows for."""
    config = current_app.config
    pair = config["LOGIN_FAILURE_LIMIT"]
    return {
        PAIR_SCOPE: pair,
        IP_SCOPE: config["LOGIN_ADDRESS_LIMIT"],
        ACCOUNT_SCOPE: pair,
        REFUSAL_AUDIT_SCOPE: pair,
    }


def begin_attempt(account: str, ip: str) -> Refusal | None:
    """Count a sign-in attempt as a failure; a ``Refusal`` (nothing counted) when it may
    not be made now."""
    config, span = current_app.config, window()
    wait = _delay_left(account, ip, span)
    if wait is None:
        pair_amount = parse_rate(config["LOGIN_FAILURE_LIMIT"])[0]
        ip_amount, ip_window = parse_rate(config["LOGIN_ADDRESS_LIMIT"])
        limits = [
            (_pair(account, ip), pair_amount, span),
            ((IP_SCOPE, ip), ip_amount, ip_window),
            ((ACCOUNT_SCOPE, account), None, span),
        ]
        if admit_limits(limits):
            return None
        wait = span
    first = admit_limits([((REFUSAL_AUDIT_SCOPE, _pair_key(account, ip)), 1, span)])
    return Refusal(wait, first)


def _delay_left(account: str, ip: str, span: timedelta) -> timedelta | None:
    """How long this address must still wait before guessing at ``account`` again."""
    config = current_app.config
    failures = count((ACCOUNT_SCOPE, account), span)
    beyond = failures - int(config["LOGIN_ACCOUNT_DELAY_AFTER"])
    if beyond < 0:
        return None
    last = last_attempt(_pair(account, ip))
    if last is None:
        return None  # this address has not been guessing: the real user, say
    delay = timedelta(seconds=min(2 ** min(beyond, 30), int(config["LOGIN_DELAY_MAX_SECONDS"])))
    left = last + delay - utcnow()
    return left if left > timedelta(0) else None


def forgive(account: str, ip: str) -> None:
    """Take back the attempt counted by ``begin_attempt``: it did not fail."""
    take_back([_pair(account, ip), (IP_SCOPE, ip), (ACCOUNT_SCOPE, account)])
