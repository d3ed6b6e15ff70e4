"""Helpers shared by several test modules."""

import asyncio
import contextlib
import email
import email.policy
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import NamedTuple

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import url_for

from app import create_app
from app.extensions import db
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


HIDDEN_INPUT = re.compile(r"<input[^>]*\btype=\"hidden\"[^>]*>")


class LiveBrowser:
    """A browser without JavaScript against a live server: its own cookies, and forms sent
    with the hidden fields (CSRF token, fill-time stamp) of the page that shows them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def open(self, path: str, data: dict | None = None) -> tuple[int, str]:
        """GET ``path`` (POST ``data`` when given), following redirects; status and body."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base_url + path, data=body, timeout=60) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def submit(self, path: str, fields: dict) -> tuple[int, str]:
        """Open the form at ``path`` and post ``fields`` with the form's hidden fields."""
        _status, page = self.open(path)
        hidden = {}
        for tag in HIDDEN_INPUT.findall(page):
            name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
            if name:
                hidden[name.group(1)] = value.group(1) if value else ""
        return self.open(path, hidden | fields)

    def consult(self, **fields) -> tuple[int, str]:
        """Send a question through 立即咨询 (valid unless ``fields`` say otherwise)."""
        question = {"name": "测试访客", "phone": "13800138000", "category": "其他",
                    "content": "请问如何办理原产地证?"}  # fmt: skip
        return self.submit("/consult", question | fields)

    def sign_in(self, username: str, password: str) -> tuple[int, str]:
        """Post the staff sign-in form."""
        return self.submit("/admin/login", {"username": username, "password": password})


def started_token(client, **request) -> str:
    """Open the consultation form as a visitor does; return its signed fill-time stamp."""
    page = client.get("/consult", **request).get_data(as_text=True)
    return re.search(r'name="started" type="hidden" value="([^"]+)"', page).group(1)


def page_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


@contextlib.contextmanager
def counted_statements(app):
    """Collect the SQL of every statement the app's engine runs inside the block."""
    statements = []

    def count(_connection, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
