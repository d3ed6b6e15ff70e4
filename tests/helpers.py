"""Helpers shared by several test modules."""

import asyncio
import email
import email.policy
from typing import NamedTuple

import pytest
from aiosmtpd.controller import Controller
from flask import url_for

from app import create_app
from tests.live import free_port


class Route(NamedTuple):
    endpoint: str
    rule: str
    method: str
    url: str  # with 1 for every URL argument


def routes(endpoint_prefix: str = "", path_prefix: str = "") -> list[Route]:
    """Every route of the URL map whose endpoint and path start as given, one per method."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith(endpoint_prefix) and rule.rule.startswith(path_prefix):
                url = url_for(rule.endpoint, **dict.fromkeys(rule.arguments, 1))
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    found.append(Route(rule.endpoint, rule.rule, method, url))
    return found


def route_params(endpoint_prefix: str = "", path_prefix: str = "", skip=()) -> list:
    """``routes`` as ``pytest.param(method, url)``, named "METHOD /rule"."""
    return [
        pytest.param(r.method, r.url, id=f"{r.method} {r.rule}")
        for r in routes(endpoint_prefix, path_prefix)
        if r.endpoint not in skip
    ]


class Inbox:
    """Collects what the SMTP server accepted; ``delay`` slows each mail down."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.raw: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        if self.delay:
            await asyncio.sleep(self.delay)
        self.raw.append(envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    @property
    def mails(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(raw, policy=email.policy.default) for raw in self.raw]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [mail for mail in self.mails if mail["To"] == address]


class SmtpServer:
    """An aiosmtpd server on a fixed free port that a test can stop and start again."""

    def __init__(self, delay: float = 0.0) -> None:
        self.port = free_port()
        self.inbox = Inbox(delay)
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
