"""Sign-in throttling that guessing cannot turn against the staff it protects."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.admin.auth import WRONG_CREDENTIALS
from app.extensions import db
from app.models import AuditAction, AuditEvent
from app.models.ratelimit import RateLimitHit
from tests.conftest import STAFF_PASSWORD

LOGIN = "/admin/login"
REFUSED = "登录尝试过于频繁"


def attempt(client, ip, username="boss", password="wrong-password"):
    return client.post(
        LOGIN,
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def sign_in(app, ip, username="boss"):
    """The real user, in a browser of their own, with the right password."""
    return attempt(app.test_client(), ip, username, STAFF_PASSWORD)


def refused_rows(app, ip=None) -> list[AuditEvent]:
    with app.app_context():
        query = sa.select(AuditEvent).where(AuditEvent.action == AuditAction.LOGIN_REFUSED)
        if ip:
            query = query.where(AuditEvent.ip == ip)
        return db.session.scalars(query).all()


def test_fifty_failures_from_one_address_do_not_keep_the_real_user_out(app, client, auth):
    auth.create()
    pages = [attempt(client, "198.51.100.7").get_data(as_text=True) for _ in range(50)]
    assert all(WRONG_CREDENTIALS in page for page in pages[:10])
    assert all(REFUSED in page and WRONG_CREDENTIALS not in page for page in pages[10:])
    response = sign_in(app, "203.0.113.20")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"


def test_the_attackers_address_is_refused_even_the_right_password(app, client, auth):
    auth.create()
    for _ in range(10):
        attempt(client, "198.51.100.7")
    refused = sign_in(app, "198.51.100.7")
    assert refused.status_code == 200 and REFUSED in refused.get_data(as_text=True)


def test_behind_an_untrusted_proxy_one_account_under_attack_leaves_colleagues_in(app, client, auth):
    """TRUST_PROXY=0 behind a proxy: every request seems to come from the proxy."""
    auth.create()
    auth.create("clerk")
    for _ in range(30):
        attempt(client, "10.0.0.1")
    assert sign_in(app, "10.0.0.1", "clerk").status_code == 303


def test_refused_attempts_are_audited_once_per_window_per_account_and_address(app, client, auth):
    auth.create()
    for _ in range(10):
        attempt(client, "198.51.100.7")
    for _ in range(300):
        attempt(client, "198.51.100.7")
    assert len(refused_rows(app, "198.51.100.7")) == 1
    for _ in range(10):
        attempt(client, "198.51.100.8")
    for _ in range(5):
        attempt(client, "198.51.100.8")
    assert len(refused_rows(app, "198.51.100.8")) == 1
    with app.app_context():
        for hit in db.session.scalars(sa.select(RateLimitHit)):
            hit.at -= timedelta(minutes=16)
        db.session.commit()
    for _ in range(11):
        attempt(client, "198.51.100.7")
    assert len(refused_rows(app, "198.51.100.7")) == 2  # a new window, a new row


def test_many_addresses_guessing_one_account_meet_growing_delays(app, auth):
    """A guessing network: past LOGIN_ACCOUNT_DELAY_AFTER failures of an account, an address
    that failed must wait longer and longer before its next guess; the real user, who
    has not failed, signs in at once from anywhere."""
    auth.create()
    bots = [app.test_client() for _ in range(6)]
    for n, bot in enumerate(bots):
        for _ in range(3):
            page = attempt(bot, f"198.51.100.{n}").get_data(as_text=True)
    assert REFUSED in page and "秒后再试" in page  # 18 failures > 10: this bot must wait
    waits = []
    for n, bot in enumerate(bots[:3]):
        page = attempt(bot, f"198.51.100.{n}").get_data(as_text=True)
        assert REFUSED in page
        waits.append(page)
    with app.app_context():
        failures = db.session.scalar(
            sa.select(sa.func.count()).where(RateLimitHit.scope == "login-account")
        )
    # bots 0-2 failed 3 times, then 3, 4 and 5 once each: the guesses made to wait never
    # reached a password check, and are not counted
    assert failures == 12
    assert sign_in(app, "203.0.113.20").status_code == 303


def test_a_staff_member_who_mistyped_once_is_not_made_to_wait(app, client, auth):
    auth.create()
    attempt(client, "203.0.113.20")
    assert attempt(client, "203.0.113.20", password=STAFF_PASSWORD).status_code == 303


@pytest.mark.parametrize("ip", ["198.51.100.7", "2001:db8::1"])
def test_the_address_alone_is_limited_across_accounts(app, client, auth, ip):
    """One address guessing many accounts (password spraying) is refused at the address
    limit; other addresses are not affected."""
    auth.create()
    for n in range(30):
        attempt(client, ip, username=f"guess{n}")
    assert REFUSED in sign_in(app, ip).get_data(as_text=True)
    assert sign_in(app, "203.0.113.20").status_code == 303
