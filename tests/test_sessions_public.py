"""Public pages never open a session nor load an account, whoever holds a session cookie.

A visitor who sent a consultation and a signed-in staff member both carry a session
cookie; on the home page, a section, an article, the view-count poll and the feeds it is
not decoded (the serializer's ``loads`` is not called), no account is read (no statement
on ``users``) and no cookie is set. The admin pages still read the same cookie.
"""

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from app.consult.routes import SENT_KEY
from app.extensions import db

PUBLIC_PAGES = [
    "/",
    "/news/",
    "/articles/{id}",
    "/articles/{id}/views",
    "/feed.xml",
    "/news/feed.xml",
    "/sitemap.xml",
]


@pytest.fixture
def spies(app, monkeypatch):
    """Counts of session cookies decoded and of statements that read the ``users`` table."""
    counts = {"decoded": 0, "users": 0}
    loads = URLSafeTimedSerializer.loads

    def counting_loads(self, *args, **kwargs):
        if self.salt == app.session_interface.salt.encode():
            counts["decoded"] += 1
        return loads(self, *args, **kwargs)

    def on_statement(_conn, _cursor, statement, *_args):
        if " users" in statement:
            counts["users"] += 1

    monkeypatch.setattr(URLSafeTimedSerializer, "loads", counting_loads)
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", on_statement)
    yield counts
    sa.event.remove(engine, "before_cursor_execute", on_statement)


def visitor(client) -> None:
    """A visitor's session: what the consultation form keeps after a message is sent."""
    with client.session_transaction() as session:
        session[SENT_KEY] = "ZX2026ABCD"


def staff(client, auth) -> None:
    auth.login()


@pytest.mark.parametrize("holder", [visitor, staff])
@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_a_public_page_neither_decodes_the_session_nor_loads_the_account(
    client, auth, make_article, spies, holder, page
):
    path = page.format(id=make_article())
    holder(client) if holder is visitor else holder(client, auth)
    assert client.get_cookie("session") is not None
    spies.update(decoded=0, users=0)
    response = client.get(path)
    assert response.status_code == 200
    assert spies == {"decoded": 0, "users": 0}
    assert "Set-Cookie" not in response.headers


def test_static_files_feeds_and_the_poll_do_not_vary_on_the_session_cookie(
    client, auth, make_article
):
    article_id = make_article()
    auth.login()
    for path in ("/static/favicon.svg", "/feed.xml", f"/articles/{article_id}/views"):
        assert "cookie" not in response_vary(client.get(path))


def response_vary(response) -> set[str]:
    return {value.strip().lower() for value in response.headers.get("Vary", "").split(",")}


def test_an_admin_page_reads_the_same_cookie_and_account(client, auth, spies):
    auth.login()
    spies.update(decoded=0, users=0)
    response = client.get("/admin/messages")
    assert response.status_code == 200
    assert spies["decoded"] == 1
    assert spies["users"] >= 1
    assert "cookie" in response_vary(response)


def test_a_session_written_without_being_read_keeps_what_it_held(app, client):
    """Writing to the session decodes the cookie first: nothing it held is lost."""
    visitor(client)

    @app.get("/_test/write")
    def write():
        from flask import session

        session["other"] = 1
        return "ok"

    assert "Set-Cookie" in client.get("/_test/write").headers
    with client.session_transaction() as session:
        assert session[SENT_KEY] == "ZX2026ABCD"
        assert session["other"] == 1
