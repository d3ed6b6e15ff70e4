"""A consultation sent twice (a retry, a double click) is stored once, with one receipt."""

import re
import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Message

MESSAGE = {
    "name": "王小明",
    "phone": "13812345678",
    "category": "贸易指南",
    "content": "请问出口许可证怎么办理?",
}


@pytest.fixture
def consult_app(app):
    app.config["CONSULT_MIN_FILL_SECONDS"] = 0
    return app


def the_form(client, **kwargs) -> dict:
    """Open the form as a visitor does; return what its hidden fields carry."""
    page = client.get("/consult", **kwargs).get_data(as_text=True)
    hidden = dict(
        re.findall(r'name="(started|idempotency_key)" type="hidden" value="([^"]+)"', page)
    )
    return {**MESSAGE, **hidden}


def stored(app) -> list[Message]:
    with app.app_context():
        return db.session.scalars(sa.select(Message)).all()


def receipt_shown(client, response) -> str:
    if response.status_code == 303:
        response = client.get(response.headers["Location"])
    return re.search(r"[23456789A-HJKMNP-Z]{10}", response.get_data(as_text=True)).group(0)


def test_the_form_carries_an_idempotency_key(consult_app, client):
    data = the_form(client)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,64}", data["idempotency_key"])
    assert the_form(client)["idempotency_key"] != data["idempotency_key"]


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["page", "dialog"])
def test_the_same_key_twice_stores_one_message_and_shows_one_receipt(consult_app, client, headers):
    data = the_form(client, headers=headers)
    first = client.post("/consult", data=data, headers=headers)
    retry = consult_app.test_client()
    again = retry.post("/consult", data=data, headers=headers)
    assert first.status_code == again.status_code
    messages = stored(consult_app)
    assert len(messages) == 1
    receipt = messages[0].receipt
    assert receipt_shown(client, first) == receipt
    assert receipt_shown(retry, again) == receipt


def test_the_retry_shows_the_same_receipt_on_its_own_confirmation(consult_app):
    visitor, retry = consult_app.test_client(), consult_app.test_client()
    data = the_form(visitor)
    visitor.post("/consult", data=data)
    response = retry.post("/consult", data=data)
    assert response.status_code == 303
    page = retry.get(response.headers["Location"]).get_data(as_text=True)
    assert stored(consult_app)[0].receipt in page


def test_a_retry_does_not_use_up_the_rate_limit(consult_app, client):
    consult_app.config["CONSULT_RATE_LIMIT"] = "1 per minute"
    data = the_form(client)
    assert client.post("/consult", data=data).status_code == 303
    assert client.post("/consult", data=data).status_code == 303
    assert len(stored(consult_app)) == 1


def test_a_different_question_with_an_old_key_is_a_new_message(consult_app, client):
    """The Back button can bring back a sent form: what is typed anew is not lost."""
    data = the_form(client)
    client.post("/consult", data=data)
    client.post("/consult", data={**data, "content": "另一个问题:原产地证书怎么办理?"})
    assert len(stored(consult_app)) == 2


def test_two_requests_with_the_same_key_at_once_store_one_message(consult_app):
    data = the_form(consult_app.test_client())
    barrier = threading.Barrier(2)
    receipts, errors = [], []

    def send():
        client = consult_app.test_client()
        try:
            barrier.wait()
            response = client.post("/consult", data=data)
            assert response.status_code == 303
            receipts.append(receipt_shown(client, response))
        except Exception as error:  # reported below, with the thread's result
            errors.append(error)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    messages = stored(consult_app)
    assert len(messages) == 1
    assert receipts == [messages[0].receipt] * 2


@pytest.mark.parametrize(
    "key", ["", "short", "x" * 65, "有效吗有效吗有效吗有效吗有效吗有效吗有效吗有效吗"]
)
def test_a_missing_or_malformed_key_still_stores_the_message(consult_app, client, key):
    data = {**the_form(client), "idempotency_key": key}
    assert client.post("/consult", data=data).status_code == 303
    assert client.post("/consult", data=data).status_code == 303
    assert len(stored(consult_app)) == 2
