"""Staff pages cost a fixed number of SQL statements, however many rows they show (no N+1)."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.helpers import counted_statements


def statements_for(app, client, url):
    with counted_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def add_answered_messages(app, make_message, auth, n):
    from app.consult import messages
    from app.models import Message
    from app.models.accounts import User

    ids = [make_message() for _ in range(n)]
    with app.app_context():
        staff = db.session.scalar(sa.select(User).where(User.username == "boss"))
        for message_id in ids[::2]:
            messages.claim(db.session.get(Message, message_id), staff)
            messages.add_note(db.session.get(Message, message_id), "已电话联系", staff)
    return ids


@pytest.mark.parametrize("url", ["/admin/messages", "/admin/messages?status=pending&q=咨询"])
def test_inbox_statements_do_not_grow_with_the_rows_shown(app, client, auth, make_message, url):
    auth.login()
    add_answered_messages(app, make_message, auth, 3)
    few = statements_for(app, client, url)
    add_answered_messages(app, make_message, auth, 12)
    assert statements_for(app, client, url) == few


def test_message_page_statements_do_not_grow_with_its_history(app, client, auth, make_message):
    from app.consult import messages
    from app.models import Message
    from app.models.accounts import User

    auth.login()
    (message_id,) = add_answered_messages(app, make_message, auth, 1)
    url = f"/admin/messages/{message_id}"
    few = statements_for(app, client, url)
    with app.app_context():
        staff = db.session.scalar(sa.select(User).where(User.username == "boss"))
        for n in range(6):
            messages.add_note(db.session.get(Message, message_id), f"第{n}次备注", staff)
    assert statements_for(app, client, url) == few


def test_article_list_statements_do_not_grow_with_the_rows_shown(app, client, auth, make_article):
    auth.login()
    for _ in range(3):
        make_article()
    few = statements_for(app, client, "/admin/articles/")
    for section in ("news", "guides", "alerts") * 4:
        make_article(section=section)
    assert statements_for(app, client, "/admin/articles/") == few


def test_a_full_inbox_page_costs_six_statements_and_a_short_one_five(
    app, client, auth, make_message
):
    """The account and its roles, the page's rows with their claimants, the filter's count,
    the header's three counts in one, the outbox's failures; a first page shorter than a
    page is its own count."""
    auth.login()
    add_answered_messages(app, make_message, auth, 3)
    url = "/admin/messages?status=pending&category=贸易指南"
    assert statements_for(app, client, url) == 5
    add_answered_messages(app, make_message, auth, 22)
    assert statements_for(app, client, url) == 6
