"""Hostile input in every field of the consultation form: a field error, or stored exactly
and rendered escaped; never a server error."""

import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from app.consult.forms import normalise_phone, text_block
from app.extensions import db
from app.models import CATEGORIES, Message
from tests.test_consult import HTMX, RECEIPT, valid

HOSTILE = [
    '<script>alert("x")</script>',
    "\"'><img src=x onerror=alert(1)>",
    "'; DROP TABLE messages; --",
    "1' OR '1'='1",
    "😀👍🏻🇨🇳 表情",
    "null\x00byte",
    "bell\x07",
    "\u202e反转文字\u202c",
    "\u200f右到左标记",
    "line\u2028separator",
    "&lt;&amp;&#34;",
]
TEXT_FIELDS = ["name", "phone", "email", "company", "category", "content"]


@pytest.fixture
def hostile_app(app):
    app.config.update(CONSULT_MIN_FILL_SECONDS=0, CONSULT_RATE_LIMIT="100000 per minute")
    return app


@pytest.fixture
def client(hostile_app):
    return hostile_app.test_client()


def message_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Message.id)))


def message(app, receipt: str) -> Message:
    with app.app_context():
        found = db.session.scalar(sa.select(Message).filter_by(receipt=receipt))
        db.session.expunge(found)
        return found


def shown(field: str, value: str) -> str:
    """What the form shows again of ``value`` typed into ``field``: filtered, then escaped."""
    if field == "content":
        return str(escape(text_block(value)))
    kept = value.strip()
    return str(escape(normalise_phone(kept) or kept if field == "phone" else kept))


def expected(field: str, value: str) -> str:
    """What is stored of ``value`` typed into ``field``."""
    if field == "content":
        return text_block(value)
    if field == "phone":
        return normalise_phone(value)
    return value.strip()


def hostile_value(field: str, text: str) -> str:
    # Long enough to pass the length rule of 咨询内容, so that only the characters are judged.
    return f"我的问题：{text}请回复" if field == "content" else text


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_hostile_input_is_refused_or_stored_exactly_and_always_escaped(
    client, hostile_app, field, text
):
    value = hostile_value(field, text)
    before = message_count(hostile_app)
    response = client.post("/consult", data=valid(client, **{field: value}), headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    if RECEIPT.search(page):
        stored = message(hostile_app, RECEIPT.search(page).group(1))
        assert getattr(stored, field) == expected(field, value)
        status = client.post(
            "/consult/status", data={"receipt": stored.receipt, "phone": stored.phone}
        ).get_data(as_text=True)
        assert str(escape(stored.content)) in status
        assert "<script>alert" not in status
    else:
        assert message_count(hostile_app) == before
        assert re.search(rf'id="consult-{field}-error">[^<]+<', page)
        if field != "category":
            assert shown(field, value) in page


def test_hostile_text_that_people_type_is_kept(client, hostile_app):
    """Markup, quotes, SQL, emoji and right-to-left marks are ordinary text in 咨询内容."""
    content = "问题：<b>加粗</b> \"引号\" 'DROP TABLE messages;' 😀 \u200fمرحبا\u202e反转"
    response = client.post("/consult", data=valid(client, content=content), headers=HTMX)
    receipt = RECEIPT.search(response.get_data(as_text=True)).group(1)
    assert message(hostile_app, receipt).content == content


def test_hostile_input_in_the_receipt_lookup_is_harmless(client):
    for text in HOSTILE:
        response = client.post("/consult/status", data={"receipt": text, "phone": text})
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "<script>alert" not in page
        assert "<img src=x" not in page


VALID = {
    "name": "张三",
    "phone": "13812345678",
    "email": "",
    "company": "",
    "category": "其他",
    "content": "请问如何办理原产地证书?",
}
ANY = {
    "name": st.text(max_size=60),
    "phone": st.one_of(st.sampled_from(["+86 139-1234-5678", "0755 8888 6666"]), st.text()),
    "email": st.one_of(st.emails(), st.text(max_size=30)),
    "company": st.text(max_size=110),
    "category": st.one_of(st.sampled_from(CATEGORIES), st.text(max_size=8)),
    "content": st.one_of(st.text(max_size=2100).map(lambda t: f"问题：{t}请回复"), st.text()),
}


@st.composite
def submissions(draw) -> dict:
    """A valid submission with up to three fields replaced by anything at all."""
    fields = dict(VALID)
    for field in draw(st.sets(st.sampled_from(sorted(ANY)), max_size=3)):
        fields[field] = draw(ANY[field])
    return fields


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fields=submissions())
def test_any_input_is_refused_or_stored_exactly_never_a_server_error(client, hostile_app, fields):
    before = message_count(hostile_app)
    response = client.post("/consult", data=valid(client, **fields), headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    receipt = RECEIPT.search(page)
    event("stored" if receipt else "refused")
    if receipt:
        stored = message(hostile_app, receipt.group(1))
        for field, value in fields.items():
            assert getattr(stored, field) == expected(field, value)
    else:
        assert message_count(hostile_app) == before
        assert "field__error" in page
        for field in ["name", "phone", "email", "company", "content"]:
            assert shown(field, fields[field]) in page
