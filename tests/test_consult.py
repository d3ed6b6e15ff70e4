"""The consultation widget (立即咨询): form, confirmation, abuse controls and receipt lookup."""

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.consult import messages
from app.consult.forms import normalise_phone
from app.extensions import db
from app.models import Message, MessageStatus, RateLimitHit
from app.models.base import utcnow
from app.models.consult import RECEIPT_ALPHABET
from tests.helpers import counted_statements, started_token

HTMX = {"HX-Request": "true", "HX-Target": "consult-panel"}
RECEIPT = re.compile(rf"data-receipt>([{RECEIPT_ALPHABET}]{{10}})<")
CONFIRMATION = "留言成功后，负责人将会在24小时内答复您。"
PROMPT = "把想要咨询的问题和遇到的困难留言告诉我们，我们将尽全力帮到您"
LABELS = ["姓名", "联系电话", "电子邮箱", "单位名称", "咨询类别", "咨询内容"]


@pytest.fixture
def consult_app(app):
    """The test app with no minimum fill time, so that quick test posts count as people."""
    app.config["CONSULT_MIN_FILL_SECONDS"] = 0
    return app


@pytest.fixture
def client(consult_app):
    return consult_app.test_client()


def valid(client, **fields) -> dict:
    data = {
        "name": "张三",
        "phone": "138 1234 5678",
        "email": "zhangsan@example.com",
        "company": "上海某某进出口有限公司",
        "category": "商事认证",
        "content": "请问办理原产地证书需要准备哪些材料?\n谢谢!",
        "website": "",
        "started": started_token(client, headers=HTMX),
    }
    return data | fields


def stored(app) -> list[Message]:
    with app.app_context():
        found = db.session.scalars(sa.select(Message).order_by(Message.id)).all()
        db.session.expunge_all()
        return found


def field_error(page: str, field: str) -> str | None:
    found = re.search(rf'id="consult-{field}-error">([^<]*)<', page)
    return found.group(1) if found else None


# The form and the launcher


def test_form_page_shows_the_prompt_every_label_and_the_submit_button(client):
    response = client.get("/consult")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert PROMPT in page
    for field, label in zip(
        ["name", "phone", "email", "company", "category", "content"], LABELS, strict=True
    ):
        assert f'<label for="consult-{field}">{label}</label>' in page
    for category in [
        "贸易指南",
        "风险预警",
        "商事认证",
        "商事调解",
        "知识产权",
        "法律咨询",
        "其他",
    ]:
        assert f'<option value="{category}">{category}</option>' in page
    assert '<button type="submit" class="button consult-form__submit">提交</button>' in page
    assert 'method="post" action="/consult"' in page
    assert "data-hx-post" not in page  # the page itself is a plain form: post/redirect/get
    assert "data-consult-launcher" not in page  # no launcher for the page it opens


def test_every_public_page_has_the_launcher_and_an_empty_dialog(client):
    page = client.get("/").get_data(as_text=True)
    launcher = re.search(r"<a [^>]*data-consult-launcher[^>]*>立即咨询</a>", page, re.S).group(0)
    assert 'href="/consult"' in launcher
    assert 'data-hx-get="/consult"' in launcher
    assert '<dialog id="consult-dialog" class="consult-dialog" aria-labelledby=' in page
    assert 'aria-label="关闭"' in page
    assert 'role="status"' in page
    assert "/static/js/consult.js" in page


def test_htmx_gets_the_form_as_a_fragment_for_the_dialog(client):
    response = client.get("/consult", headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in page
    assert PROMPT in page
    assert 'data-hx-post="/consult"' in page
    assert 'data-hx-target="#consult-panel"' in page
    assert "HX-Request" in response.headers["Vary"]


# Valid submissions


def test_valid_submission_from_the_dialog_is_stored_and_confirmed(client, consult_app):
    before = utcnow()
    response = client.post(
        "/consult", data=valid(client), headers=HTMX | {"User-Agent": "Mozilla/5.0 测试"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "consult-sent"
    assert "<html" not in page
    assert CONFIRMATION in page
    assert ">关闭</button>" in page
    receipt = RECEIPT.search(page).group(1)
    [message] = stored(consult_app)
    assert message.receipt == receipt
    assert (message.name, message.phone, message.email) == (
        "张三",
        "13812345678",
        "zhangsan@example.com",
    )
    assert message.company == "上海某某进出口有限公司"
    assert message.category == "商事认证"
    assert message.content == "请问办理原产地证书需要准备哪些材料?\n谢谢!"
    assert message.status is MessageStatus.PENDING
    assert message.spam_reason == ""
    assert message.ip == "127.0.0.1"
    assert message.user_agent == "Mozilla/5.0 测试"
    assert before <= message.created_at <= utcnow()


def test_the_client_ip_comes_from_a_proxy_header_only_when_the_proxy_is_trusted(
    client, consult_app
):
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    client.post("/consult", data=valid(client), headers=forwarded)
    trusted = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": consult_app.config["SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": consult_app.config["SQLALCHEMY_DATABASE_URI"],
            "WTF_CSRF_ENABLED": False,
            "CONSULT_MIN_FILL_SECONDS": 0,
            "TRUST_PROXY": 1,
        }
    )
    behind_proxy = trusted.test_client()
    behind_proxy.post("/consult", data=valid(behind_proxy), headers=forwarded)
    with trusted.app_context():
        db.engine.dispose()
    assert [message.ip for message in stored(consult_app)] == ["127.0.0.1", "203.0.113.7"]


def test_optional_fields_may_stay_empty(client, consult_app):
    response = client.post("/consult", data=valid(client, email="", company=""), headers=HTMX)
    assert CONFIRMATION in response.get_data(as_text=True)
    [message] = stored(consult_app)
    assert (message.email, message.company) == ("", "")


def test_without_javascript_the_post_redirects_to_the_same_confirmation(client, consult_app):
    response = client.post("/consult", data=valid(client))
    assert response.status_code == 303
    assert response.location == "/consult/sent"
    page = client.get("/consult/sent").get_data(as_text=True)
    [message] = stored(consult_app)
    assert CONFIRMATION in page
    assert RECEIPT.search(page).group(1) == message.receipt
    assert "<html" in page
    assert ">关闭</button>" not in page  # a page has no dialog to close
    assert 'href="/"' in page


def test_the_confirmation_page_shows_only_your_own_receipt(client, consult_app):
    client.post("/consult", data=valid(client))
    stranger = consult_app.test_client()
    response = stranger.get("/consult/sent")
    assert response.status_code == 302
    assert response.location == "/consult"


def test_the_line_breaks_of_a_textarea_are_stored_as_typed(client, consult_app):
    client.post("/consult", data=valid(client, content="第一行内容\r\n第二行内容\r\n\r\n第四行"))
    assert stored(consult_app)[0].content == "第一行内容\n第二行内容\n\n第四行"


# Invalid submissions: each rule


INVALID = [
    ("name", "", "请填写姓名"),
    ("name", "   ", "请填写姓名"),
    ("name", "张" * 51, "姓名不能超过50个字(现为51个字)"),
    ("name", "张\x07三", "姓名包含无法识别的控制字符，请删除后重试"),
    ("name", "张三\u202e", "姓名包含无法识别的控制字符，请删除后重试"),
    ("phone", "", "请填写联系电话"),
    ("phone", "12345", "联系电话格式不正确"),
    ("phone", "1381234567", "联系电话格式不正确"),
    ("phone", "12812345678", "联系电话格式不正确"),
    ("phone", "010-1234567", "联系电话格式不正确"),
    ("phone", "138\x001234 5678", "联系电话包含无法识别的控制字符"),
    ("email", "zhangsan", "电子邮箱格式不正确"),
    ("email", "zhang san@example.com", "电子邮箱格式不正确"),
    ("email", "a" * 250 + "@example.com", "电子邮箱不能超过254个字符"),
    ("company", "公" * 101, "单位名称不能超过100个字(现为101个字)"),
    ("company", "某某公司\nabc", "单位名称包含无法识别的控制字符"),
    ("category", "", "请选择咨询类别"),
    ("category", "股票推荐", "请从列表中选择咨询类别"),
    ("content", "", "请填写咨询内容"),
    ("content", "太短的内容九个字", "咨询内容至少需要10个字(现为8个字)"),
    ("content", "字" * 2001, "咨询内容不能超过2000个字(现为2001个字)"),
    ("content", "这是一个带有\x1b控制字符的问题", "咨询内容包含无法识别的控制字符"),
]


@pytest.mark.parametrize(("field", "value", "error"), INVALID)
def test_each_invalid_field_gets_a_chinese_error_next_to_it(
    client, consult_app, field, value, error
):
    data = valid(client, **{field: value})
    response = client.post("/consult", data=data, headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200  # htmx 2 swaps only 2xx answers
    assert "<html" not in page
    assert field_error(page, field).startswith(error)
    assert f'aria-describedby="{_described(field)}consult-{field}-error"' in page
    assert 'aria-invalid="true"' in page
    assert page.count('class="field__error"') == 1
    if field != "name":
        assert 'value="张三"' in page  # what was typed stays
    if field != "content":
        assert "请问办理原产地证书需要准备哪些材料?\n谢谢!" in page
    assert stored(consult_app) == []


def _described(field: str) -> str:
    return {
        "phone": "consult-phone-hint ",
        "content": "consult-content-hint consult-content-count ",
    }.get(field, "")


def test_an_invalid_page_post_without_javascript_answers_422_with_the_whole_page(client):
    response = client.post("/consult", data=valid(client, phone="110"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" in page
    assert field_error(page, "phone").startswith("联系电话格式不正确")


def test_an_empty_form_lists_every_required_field(client, consult_app):
    started = started_token(client, headers=HTMX)
    response = client.post("/consult", data={"started": started}, headers=HTMX)
    page = response.get_data(as_text=True)
    for field, error in [
        ("name", "请填写姓名"),
        ("phone", "请填写联系电话"),
        ("category", "请选择咨询类别"),
        ("content", "请填写咨询内容"),
    ]:
        assert field_error(page, field) == error
    assert field_error(page, "email") is None
    assert field_error(page, "company") is None
    assert stored(consult_app) == []


def test_the_character_count_is_shown_for_what_was_typed(client):
    page = client.post("/consult", data=valid(client, content="一二三四五"), headers=HTMX).get_data(
        as_text=True
    )
    assert "已输入 <span data-count>5</span> / 2000 字" in page


# Phone numbers


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0086-13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("19912345678", "19912345678"),
        ("010-62345678", "010-62345678"),
        ("01062345678", "010-62345678"),
        ("(010) 6234 5678", "010-62345678"),
        ("(010)6234-5678", "010-62345678"),
        ("021-5234567", "021-5234567"),
        ("0755 8888 6666", "0755-88886666"),
        ("+86 10 6234 5678", "010-62345678"),
        ("+86 0755 8888 6666", "0755-88886666"),
        ("010-62345678转123", "010-62345678转123"),
        ("010-62345678 ext. 12", "010-62345678转12"),
        ("0571-87654321#8", "0571-87654321转8"),
    ],
)
def test_phone_numbers_are_normalised(typed, kept):
    assert normalise_phone(typed) == kept


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "12345",
        "1381234567",
        "138123456789",
        "12012345678",
        "23812345678",
        "010-12345678",
        "0101234567",
        "0755-123456",
        "0755-888866661",
        "13812345678转12",
        "010-62345678-123",
        "13812345678; DROP TABLE messages",
        "电话13812345678",
        "1" * 100,
    ],
)
def test_what_is_not_a_phone_number_is_refused(typed):
    assert normalise_phone(typed) is None


# Bots: honeypot and fill time


def test_a_filled_honeypot_gets_the_normal_confirmation_and_is_filed_as_spam(client, consult_app):
    response = client.post(
        "/consult", data=valid(client, website="https://spam.example"), headers=HTMX
    )
    page = response.get_data(as_text=True)
    assert CONFIRMATION in page
    assert response.headers["HX-Trigger"] == "consult-sent"
    [message] = stored(consult_app)
    assert RECEIPT.search(page).group(1) == message.receipt
    assert message.status is MessageStatus.SPAM
    assert message.spam_reason == "honeypot"


def test_the_honeypot_is_hidden_from_people_and_screen_readers(client):
    page = client.get("/consult").get_data(as_text=True)
    container = re.search(r'<div class="consult-hp" aria-hidden="true">.*?</div>', page, re.S)
    assert '<label for="consult-website">' in container.group(0)
    assert 'tabindex="-1"' in container.group(0)


def test_a_form_sent_faster_than_the_minimum_fill_time_is_asked_again_not_stored(
    client, consult_app
):
    """Autofill makes people fast too: no false 提交成功 for a message nobody will read."""
    consult_app.config["CONSULT_MIN_FILL_SECONDS"] = 3
    response = client.post("/consult", data=valid(client))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请确认后再次提交" in page
    assert CONFIRMATION not in page
    assert stored(consult_app) == []


def test_a_form_sent_after_the_minimum_fill_time_is_a_real_message(client, consult_app):
    consult_app.config["CONSULT_MIN_FILL_SECONDS"] = 1
    data = valid(client)
    time.sleep(1.1)
    client.post("/consult", data=data)
    assert stored(consult_app)[0].status is MessageStatus.PENDING


@pytest.mark.parametrize("started", ["", "forged", "ImNvbnN1bHQi.AAAAAA.forgedsignature"])
def test_a_missing_or_forged_fill_time_is_asked_again_not_stored(client, consult_app, started):
    page = client.post("/consult", data=valid(client, started=started)).get_data(as_text=True)
    assert "请确认后再次提交" in page
    assert re.search(r'name="started" type="hidden" value="[^"]+\.[^"]+"', page)  # a real one
    assert stored(consult_app) == []


def test_fixing_errors_keeps_the_original_fill_time(client, consult_app):
    data = valid(client, phone="110")
    page = client.post("/consult", data=data, headers=HTMX).get_data(as_text=True)
    assert f'value="{data["started"]}"' in page


# Rate limit


def test_over_the_rate_limit_answers_429_in_the_dialog_and_keeps_the_text(client, consult_app):
    consult_app.config["CONSULT_RATE_LIMIT"] = "2 per 10 minutes"
    for _ in range(2):
        assert client.post("/consult", data=valid(client), headers=HTMX).status_code == 200
    response = client.post("/consult", data=valid(client, name="李四"), headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "<html" not in page
    assert "提交过于频繁(每10分钟最多提交2条留言)，请稍后再试" in page
    assert 'value="李四"' in page
    assert len(stored(consult_app)) == 2


def test_over_the_rate_limit_without_javascript_is_a_friendly_page(client, consult_app):
    consult_app.config["CONSULT_RATE_LIMIT"] = "1 per 1 hour"
    client.post("/consult", data=valid(client))
    response = client.post("/consult", data=valid(client))
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "<html" in page
    assert "每1小时最多提交1条留言" in page
    assert len(stored(consult_app)) == 1


def test_invalid_submissions_do_not_use_up_the_rate_limit(client, consult_app):
    consult_app.config["CONSULT_RATE_LIMIT"] = "2 per 10 minutes"
    for _ in range(5):
        client.post("/consult", data=valid(client, phone="123"), headers=HTMX)
    for _ in range(2):
        response = client.post("/consult", data=valid(client), headers=HTMX)
        assert CONFIRMATION in response.get_data(as_text=True)
    assert len(stored(consult_app)) == 2


def test_a_submission_is_one_transaction_counted_and_stored_together(client, consult_app):
    """The rate-limit record, the message and its outbox mails commit at once."""
    data = valid(client)
    commits = []

    def count_commit(connection):
        commits.append(connection)

    with consult_app.app_context():
        engine = db.engine
    sa.event.listen(engine, "commit", count_commit)
    try:
        response = client.post("/consult", data=data, headers=HTMX)
    finally:
        sa.event.remove(engine, "commit", count_commit)
    assert CONFIRMATION in response.get_data(as_text=True)
    assert len(commits) == 1
    assert rate_limit_hits(consult_app) == 1


def test_a_message_the_database_fails_to_store_leaves_no_count_behind(client, consult_app):
    """Refused while storing (the database busy, say): the attempt is not counted either."""
    consult_app.config["CONSULT_RATE_LIMIT"] = "1 per 10 minutes"

    def fail(_message):
        raise sa.exc.OperationalError("INSERT INTO messages", {}, Exception("database is locked"))

    messages.created.connect(fail)
    try:
        response = client.post("/consult", data=valid(client), headers=HTMX)
    finally:
        messages.created.disconnect(fail)
    assert response.status_code == 503
    assert (rate_limit_hits(consult_app), len(stored(consult_app))) == (0, 0)
    response = client.post("/consult", data=valid(client), headers=HTMX)
    assert CONFIRMATION in response.get_data(as_text=True)  # the allowance is still whole


def test_a_submission_runs_few_statements_and_reads_nothing_back(client, consult_app):
    """Counted and recorded in one statement; the receipt shown is not read back."""
    data = valid(client)
    with counted_statements(consult_app) as executed:
        response = client.post("/consult", data=data, headers=HTMX)
    statements = [" ".join(statement.split()) for statement in executed]
    assert CONFIRMATION in response.get_data(as_text=True)
    inserts = [s.split()[2] for s in statements if s.startswith("INSERT")]
    assert inserts == ["rate_limit_hits", "messages"]
    assert not [s for s in statements if s.startswith("SELECT") and "FROM messages" in s]
    assert len(statements) <= 5  # PostgreSQL: one more, the advisory lock


def rate_limit_hits(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(RateLimitHit.id)))


# Oversized bodies


def test_an_oversized_body_from_the_dialog_gets_413_with_a_message_above_the_form(
    client, consult_app
):
    response = client.post("/consult", data=valid(client, content="字" * 70_000), headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert response.headers["HX-Retarget"] == "#consult-alert"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert "提交的内容过大(超过 64 KB)，请精简咨询内容后重试。" in page
    assert "<form" not in page  # the form in the dialog, and what was typed, stay
    assert stored(consult_app) == []


def test_an_oversized_body_without_javascript_gets_a_413_page(client, consult_app):
    response = client.post("/consult", data=valid(client, content="字" * 70_000))
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "<html" in page
    assert "提交的内容过大" in page
    assert "后退" in page
    assert stored(consult_app) == []


# CSRF


@pytest.fixture
def csrf_app(consult_app):
    """The test app with CSRF protection on, as in production."""
    consult_app.config["WTF_CSRF_ENABLED"] = True
    return consult_app


def test_with_csrf_on_a_post_without_token_is_refused_with_400(csrf_app):
    client = csrf_app.test_client()
    data = valid(client)
    response = client.post("/consult", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "安全验证已过期" in page
    assert 'value="张三"' in page  # the form comes back as typed, with a fresh token
    assert re.search(r'name="csrf_token" type="hidden" value="[^"]+"', page)
    assert stored(csrf_app) == []


def test_with_csrf_on_the_token_of_the_page_or_of_the_dialog_lets_the_post_through(csrf_app):
    client = csrf_app.test_client()
    token_field = r'name="csrf_token" type="hidden" value="([^"]+)"'
    page = client.get("/consult").get_data(as_text=True)
    token = re.search(token_field, page).group(1)
    assert client.post("/consult", data=valid(client, csrf_token=token)).status_code == 303
    dialog = client.get("/consult", headers=HTMX).get_data(as_text=True)
    token = re.search(token_field, dialog).group(1)
    response = client.post("/consult", data=valid(client, csrf_token=token), headers=HTMX)
    assert CONFIRMATION in response.get_data(as_text=True)
    assert len(stored(csrf_app)) == 2


def test_reading_pages_open_no_session(client, make_article):
    """Public pages carry no CSRF token, so they set no cookie and stay cacheable."""
    article = make_article()
    for path in ("/", "/news/", f"/articles/{article}"):
        assert "Set-Cookie" not in client.get(path).headers, path


# Receipt lookup


def add_message(app, **fields) -> str:
    values = {
        "name": "王五",
        "phone": "13912345678",
        "category": "法律咨询",
        "content": "合同纠纷如何申请商事调解?",
    } | fields
    with app.app_context():
        message = Message(**values)
        db.session.add(message)
        db.session.commit()
        return message.receipt


def lookup(client, receipt: str, phone: str):
    """Post the lookup form: receipt and phone never travel in a URL."""
    return client.post("/consult/status", data={"receipt": receipt, "phone": phone})


def test_status_page_is_an_empty_post_form(client):
    response = client.get("/consult/status")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'method="post"' in page
    assert '<label for="receipt">回执号</label>' in page
    assert '<label for="phone">联系电话</label>' in page
    assert "查询结果" not in page
    assert "field__error" not in page


def test_a_pending_message_is_found_with_receipt_and_phone_in_any_spelling(client, consult_app):
    receipt = add_message(consult_app)
    response = lookup(client, f" {receipt[:5].lower()} {receipt[5:].lower()} ", "139-1234-5678")
    page = response.get_data(as_text=True)
    assert "待处理" in page
    assert receipt in page
    assert "合同纠纷如何申请商事调解?" in page
    assert "no-store" in response.headers["Cache-Control"]


def test_an_answered_message_shows_its_reply(client, consult_app):
    receipt = add_message(
        consult_app,
        status=MessageStatus.REPLIED,
        reply="请携带合同原件到调解中心登记。",
        replied_at=utcnow() - timedelta(hours=1),
    )
    page = lookup(client, receipt, "13912345678").get_data(as_text=True)
    assert "已答复" in page
    assert "请携带合同原件到调解中心登记。" in page


def test_a_closed_message_reads_closed(client, consult_app):
    receipt = add_message(consult_app, status=MessageStatus.CLOSED)
    assert "已关闭" in lookup(client, receipt, "13912345678").get_data(as_text=True)


def test_a_message_filed_as_spam_reads_pending_to_its_sender(client, consult_app):
    receipt = add_message(
        consult_app, status=MessageStatus.SPAM, spam_reason="too-fast", reply="内部备注"
    )
    page = lookup(client, receipt, "13912345678").get_data(as_text=True)
    assert "待处理" in page
    assert "垃圾" not in page
    assert "内部备注" not in page


def result_section(page: str) -> str:
    return re.search(r'<section class="card consult-result".*?</section>', page, re.S).group(0)


def test_a_wrong_pair_gets_the_same_neutral_answer_whether_the_receipt_exists_or_not(
    client, consult_app
):
    receipt = add_message(consult_app)
    wrong_phone = lookup(client, receipt, "13800000000").get_data(as_text=True)
    no_such_receipt = lookup(client, "ABCDEFGH23", "13912345678").get_data(as_text=True)
    assert "未找到" in result_section(wrong_phone)
    assert result_section(wrong_phone) == result_section(no_such_receipt)
    assert "合同纠纷" not in wrong_phone


def test_lookup_fields_are_checked_before_searching(client):
    page = lookup(client, "", "12").get_data(as_text=True)
    assert 'id="receipt-error">请填写回执号<' in page
    assert 'id="phone-error">联系电话格式不正确' in page
    assert "查询结果" not in page


def test_the_confirmation_links_to_the_lookup_with_the_receipt_filled_in(client):
    page = client.post("/consult", data=valid(client), headers=HTMX).get_data(as_text=True)
    receipt = RECEIPT.search(page).group(1)
    assert 'href="/consult/status"' in page  # the session, not the URL, carries the receipt
    form = client.get("/consult/status").get_data(as_text=True)
    assert f'value="{receipt}"' in form
    assert "field__error" not in form  # only the receipt given: nothing to complain of
