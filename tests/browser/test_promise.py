"""The 24-hour promise kept end to end, as the issue's 'done when' tells it.

A visitor asks on a phone; the 负责人 gets an e-mail, follows its link, finds the message
first in the inbox and answers with a 常用答复; the visitor gets an e-mail and reads the
answer on the lookup page. Mail goes through a real SMTP server on 127.0.0.1.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CONSULT_MIN_FILL_SECONDS
from tests.helpers import SmtpServer
from tests.live import flask_command, free_port, live_server

PASSWORD = "promise-test-password"
RESPONDER = "li.fuze"
RESPONDER_MAIL = "li.fuze@example.org.cn"
VISITOR_MAIL = "zhao@example.com"
PHONE = "13987654321"


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def desk(tmp_path_factory, smtp):
    """A site of its own whose mail goes to the test's SMTP server."""
    database = f"sqlite:///{tmp_path_factory.mktemp('promise') / 'site.db'}"
    port = free_port()
    config = {
        "SITE_URL": f"http://127.0.0.1:{port}",  # links in mail lead back to this server
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp.port,
        "MAIL_DEFAULT_SENDER": "noreply@example.org.cn",
        "CONSULT_MIN_FILL_SECONDS": CONSULT_MIN_FILL_SECONDS,
    }
    with live_server(database, workers=2, port=port, **config) as server:
        server.flask("create-admin", RESPONDER, "--password", PASSWORD,
                     "--role", "responder", "--email", RESPONDER_MAIL)  # fmt: skip
        yield server


def send_mail(server) -> None:
    """What cron runs: ``flask --app wsgi send-mail``."""
    flask_command("send-mail", env=server.env)


def link_in(mail) -> str:
    return re.search(r"https?://\S+", mail.get_content()).group(0)


def test_a_question_from_a_phone_is_answered_within_the_promise(browser, desk, smtp):
    # A visitor asks on a phone through the 立即咨询 dialog.
    phone = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740})
    visitor = phone.new_page()
    visitor.goto(desk.url + "/")
    visitor.get_by_role("link", name="立即咨询").click()
    dialog = visitor.get_by_role("dialog", name="立即咨询")
    dialog.get_by_label("姓名", exact=True).fill("赵先生")
    dialog.get_by_label("联系电话", exact=True).fill(PHONE)
    dialog.get_by_label("电子邮箱", exact=True).fill(VISITOR_MAIL)
    dialog.get_by_label("咨询类别", exact=True).select_option("商事认证")
    dialog.get_by_label("咨询内容", exact=True).fill("原产地证书怎样在网上申请?")
    expect(dialog.get_by_text("个人信息保护提示")).to_be_visible()
    visitor.wait_for_timeout(CONSULT_MIN_FILL_SECONDS * 1000 + 200)
    dialog.get_by_role("button", name="提交").click()
    expect(dialog.get_by_text("提交成功")).to_be_visible()
    receipt = re.search(r"[0-9A-Z]{10}", dialog.inner_text()).group(0)

    # The 负责人 is told by e-mail, without the visitor's phone number.
    send_mail(desk)
    [arrived] = smtp.inbox.to(RESPONDER_MAIL)
    assert "商事认证" in arrived["Subject"] and PHONE not in arrived.get_content()
    link = link_in(arrived)

    # The link leads through sign-in to the message, which is first in the inbox.
    staff = browser.new_context(locale="zh-CN").new_page()
    staff.goto(link)
    staff.get_by_label("用户名").fill(RESPONDER)
    staff.get_by_label("密码").fill(PASSWORD)
    staff.get_by_role("button", name="登录").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text(receipt)
    staff.get_by_role("navigation", name="后台导航").get_by_role("link", name="留言").click()
    first_row = staff.get_by_role("row").nth(1)
    expect(first_row).to_contain_text(receipt)

    # A 常用答复 is saved once, then inserted and sent.
    staff.goto(desk.url + "/admin/replies/new")
    staff.get_by_label("标题").fill("原产地证书网上申办")
    staff.get_by_label("内容").fill("您好，原产地证书可在“贸促会原产地证书申报系统”在线申请。")
    staff.get_by_role("button", name="保存").click()
    staff.goto(link)
    staff.get_by_label("常用答复").select_option(label="原产地证书网上申办")
    staff.get_by_role("button", name="插入答复框").click()
    expect(staff.get_by_label("答复内容")).to_have_value(re.compile("原产地证书可在"))
    staff.get_by_role("button", name="发送答复").click()
    expect(
        staff.get_by_text("下一条待处理").or_(staff.get_by_text("没有其他待处理"))
    ).to_be_visible()

    # The visitor is told an answer is ready (not what it says) and reads it.
    send_mail(desk)
    [ready] = smtp.inbox.to(VISITOR_MAIL)
    text = ready.get_content()
    assert receipt in text and "原产地证书可在" not in text and PHONE not in text
    visitor.goto(link_in(ready))
    visitor.get_by_label("回执号", exact=True).fill(receipt)
    visitor.get_by_label("联系电话", exact=True).fill(PHONE)
    visitor.get_by_role("button", name="查询").click()
    expect(
        visitor.get_by_text("原产地证书可在“贸促会原产地证书申报系统”在线申请。")
    ).to_be_visible()
    phone.close()
