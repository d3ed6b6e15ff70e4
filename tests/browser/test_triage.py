"""A 负责人 works through the overdue messages in a real browser; the triage pages pass the
judges and fit a phone."""

import re
from datetime import timedelta
from typing import NamedTuple

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app import create_app
from app.consult import messages
from app.extensions import db
from app.models import Message, MessageStatus
from app.models.accounts import find_user
from app.models.base import utcnow
from app.models.consult import REPLY_PROMISE
from tests.browser.judges import axe_violations, nu_errors
from tests.live import live_server

STAFF = "duty"
PASSWORD = "triage-browser-password"
VISITOR = {
    "name": "孙八",
    "phone": "13912345678",
    "email": "",
    "company": "",
    "category": "商事认证",
    "content": "请问原产地证书如何办理?",
}
BROWSER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
TEMPLATE_TEXT = "原产地证书可在线申请：登录贸促会原产地证书申报系统，填写申请并上传发票即可。"


class Sent(NamedTuple):
    id: int
    receipt: str


class Desk:
    """Messages put straight into the module server's database, as the widget stores them."""

    def __init__(self, database: str):
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "x"})

    def add(self, age: timedelta, status: MessageStatus | None = None, **fields) -> Sent:
        """A message received ``age`` ago (deadline 24 hours after that), 待处理 unless
        ``status`` says otherwise."""
        with self.app.app_context():
            message = messages.create({**VISITOR, **fields}, ip="10.1.2.3", user_agent=BROWSER)
            message.created_at = utcnow() - age
            message.reply_due_at = message.created_at + REPLY_PROMISE
            if status is not None:
                message.status = status
            db.session.commit()
            return Sent(message.id, message.receipt)

    def work_on(self, sent: Sent, note: str, answer: str) -> None:
        """The staff account claims ``sent``, notes something and answers it."""
        with self.app.app_context():
            staff = find_user(STAFF)
            message = db.session.get(Message, sent.id)
            assert messages.claim(message, staff) is None
            messages.add_note(message, note, staff)
            assert messages.reply(message, answer, staff, seen_version=message.version) is None

    def add_template(self, title: str, text: str) -> None:
        with self.app.app_context():
            if not messages.template_title_taken(title):
                messages.save_template(None, title, text, messages.SYSTEM)

    def settle(self) -> None:
        """Close whatever is still 待处理, so that each test starts with an empty queue."""
        with self.app.app_context():
            pending = Message.status == MessageStatus.PENDING
            db.session.execute(
                sa.update(Message).where(pending).values(status=MessageStatus.CLOSED)
            )
            db.session.commit()

    def close(self) -> None:
        with self.app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The portal on its own database, with one 负责人 who has an e-mail address."""
    database = f"sqlite:///{tmp_path_factory.mktemp('triage') / 'triage.db'}"
    with live_server(database, workers=2, seed=False) as running:
        output = running.flask(
            "create-admin", STAFF, "--password", PASSWORD, "--role", "responder",
            "--email", "duty@example.org.cn",
        )  # fmt: skip
        assert f"已创建管理员 {STAFF}" in output
        yield running


@pytest.fixture(scope="module")
def desk_for_module(server):
    desk = Desk(server.env["DATABASE_URL"])
    yield desk
    desk.close()


@pytest.fixture
def desk(desk_for_module):
    """The module's message desk, with nothing left 待处理 by an earlier test."""
    desk_for_module.settle()
    return desk_for_module


def sign_in(page, site: str) -> None:
    page.goto(site + "/admin/")
    page.get_by_label("用户名").fill(STAFF)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    page.wait_for_load_state()  # htmx has processed the page


def rows(page):
    return page.get_by_role("table").get_by_role("row").filter(has=page.get_by_role("cell"))


def heading_of(page, sent: Sent):
    return page.get_by_role("heading", level=1, name=f"留言 {sent.receipt}")


def saved(page):
    return page.get_by_role("status").filter(has_text="答复已保存")


def test_the_overdue_list_is_cleared_with_next_pending_alone(page, server, desk):
    site = server.url
    late = {
        hours: desk.add(timedelta(hours=hours), name=f"超时{hours}") for hours in (30, 100, 26, 50)
    }
    soon = desk.add(timedelta(hours=3), name="尚未超时")
    newest = desk.add(timedelta(minutes=5), name="刚刚留言")
    desk.add(timedelta(hours=200), status=MessageStatus.CLOSED, name="早已关闭")
    overdue_first = [late[hours] for hours in (100, 50, 30, 26)]  # oldest deadline first

    sign_in(page, site)
    # First a 常用答复, made where staff make one.
    page.get_by_role("link", name="常用答复").click()
    page.get_by_role("link", name="新建常用答复").click()
    page.get_by_label("标题").fill("原产地证书办理指引")
    page.get_by_label("答复内容").fill(TEMPLATE_TEXT)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status").filter(has_text="原产地证书办理指引")).to_contain_text(
        "已保存"
    )
    page.get_by_role("navigation", name="后台导航").get_by_role("link", name="留言").click()

    # The inbox leads with the overdue messages, oldest deadline first, then the rest by deadline.
    expect(page.get_by_role("link", name="已超时 4")).to_be_visible()
    listed = rows(page)
    for n, sent in enumerate([*overdue_first, soon, newest]):
        expect(listed.nth(n).get_by_role("link")).to_have_text(sent.receipt)
    for n in range(4):
        expect(listed.nth(n)).to_contain_text("已超时")
    expect(listed.nth(0)).to_contain_text("已超时 76 小时")
    expect(listed.nth(4)).to_contain_text(re.compile(r"剩余 2[01] 小时"))

    # From here on, every page load is a message page: the inbox is never reopened.
    visited = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and visited.append(frame.url))
    listed.nth(0).get_by_role("link").click()
    for n, sent in enumerate(overdue_first):
        expect(heading_of(page, sent)).to_be_visible()
        page.wait_for_load_state()
        box = page.get_by_label("答复内容", exact=True)
        if n == 0:  # a greeting, then the 常用答复 inserted after it, then sent as edited
            box.fill("您好!\n")
            box.press("End")
            page.get_by_label("常用答复").select_option(label="原产地证书办理指引")
            page.get_by_role("button", name="插入答复框").click()
            expect(box).to_have_value("您好!\n" + TEMPLATE_TEXT)
            box.press("End")
            box.press_sequentially("如有疑问请来电。")
            answer = "您好!\n" + TEMPLATE_TEXT + "如有疑问请来电。"
        else:
            answer = f"您好，第 {n + 1} 条留言的答复。"
            box.fill(answer)
        page.get_by_role("button", name="发送答复").click()
        expect(saved(page)).to_be_visible()
        expect(page.get_by_role("region", name="处理记录")).to_contain_text(answer)
        following = overdue_first[n + 1] if n + 1 < len(overdue_first) else soon
        expect(page.get_by_text(f"{following.receipt} · ")).to_be_visible()
        if following is soon:
            break
        page.get_by_role("link", name="下一条待处理").click()

    # The last overdue one answered: the header says none is overdue, and so does the inbox.
    expect(page.get_by_role("link", name="已超时 0")).to_be_visible()
    assert visited == [f"{site}/admin/messages/{sent.id}" for sent in overdue_first], visited
    page.get_by_role("link", name="已超时 0").click()
    expect(page).to_have_url(re.compile(r"/admin/messages\?status=overdue$"))
    expect(page.get_by_role("combobox", name="状态")).to_have_value("overdue")
    expect(page.get_by_text("没有符合条件的留言。")).to_be_visible()
    expect(page.get_by_role("link", name="待处理 2")).to_be_visible()


def test_axe_and_nu_find_nothing_on_the_triage_pages(page, browser, server, desk):
    site = server.url
    documents: dict[str, str] = {}
    problems: list[str] = []

    def judge(name: str, on=page) -> None:
        problems.extend(f"axe: {name}: {violation}" for violation in axe_violations(on))
        documents[name] = on.content()

    desk.add(timedelta(hours=40), name="超时访客", content="已超时的留言\n第二行")
    asked = desk.add(
        timedelta(hours=2),
        name="周九",
        email="zhoujiu@example.com",
        company="宁波某某贸易有限公司",
        content="请问办理 ATA 单证册\n需要准备哪些材料?",
    )

    sign_in(page, site)
    judge("inbox")
    page.get_by_role("link", name=re.compile(r"^已超时 \d+$")).click()
    expect(page.get_by_role("combobox", name="状态")).to_have_value("overdue")
    judge("inbox, 已超时")
    spoken = f"{asked.receipt[:4].lower()} {asked.receipt[4:].lower()}"  # as read out on the phone
    page.get_by_role("combobox", name="状态").select_option(value="")
    page.get_by_label("搜索").fill(spoken)
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_text("共 1 条")).to_be_visible()
    judge("inbox, search by receipt")

    rows(page).first.get_by_role("link", name=asked.receipt).click()
    expect(heading_of(page, asked)).to_be_visible()
    breadcrumb = page.get_by_role("navigation", name="当前位置")
    expect(breadcrumb.get_by_role("link", name="留言")).to_have_attribute("href", re.compile("q="))
    page.wait_for_load_state()
    judge("message")
    page.get_by_role("button", name="认领").click()  # the reply box still empty
    claimed = page.get_by_role("status").filter(has_text="已认领")
    expect(claimed, "认领 did nothing while the reply box was empty").to_be_visible()
    judge("message, claimed")
    page.get_by_role("textbox", name=re.compile("^内部备注")).fill("访客来电补充：需加急。")
    page.get_by_role("button", name="添加备注").click()
    expect(page.get_by_role("status").filter(has_text="备注已添加")).to_be_visible()
    judge("message, with a note")
    page.get_by_label("答复内容", exact=True).fill("您好，ATA 单证册需提供申请表和货物清单。")
    page.get_by_role("button", name="发送答复").click()
    expect(saved(page)).to_be_visible()
    judge("message, answered")
    page.get_by_label("答复内容", exact=True).fill("您好，ATA 单证册需提供申请表、货物清单和担保。")
    page.get_by_role("button", name="更新答复").click()
    expect(page.get_by_role("heading", name=re.compile("^确认更新答复"))).to_be_focused()
    judge("message, 更新答复 confirmation")
    page.get_by_role("button", name="确认更新答复").click()
    expect(saved(page)).to_be_visible()
    expect(page.get_by_role("region", name="处理记录")).to_contain_text("更新答复")
    judge("message, answer updated")

    page.get_by_role("navigation", name="后台导航").get_by_role("link", name="报告").click()
    expect(page.get_by_role("heading", level=1, name="报告")).to_be_visible()
    judge("report")
    page.goto(site + "/admin/replies")
    judge("常用答复")
    page.get_by_role("link", name="新建常用答复").click()
    judge("新建常用答复")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("请填写标题。")).to_be_visible()
    judge("新建常用答复, with errors")
    page.get_by_label("标题").fill("ATA 单证册材料")
    page.get_by_label("答复内容").fill("ATA 单证册需提供申请表、货物清单和担保。")
    page.get_by_role("button", name="保存").click()
    page.get_by_role("link", name="ATA 单证册材料").click()
    expect(page.get_by_role("heading", level=1, name="修改常用答复")).to_be_visible()
    judge("修改常用答复")
    page.goto(site + "/admin/mail")
    expect(page.get_by_role("heading", name=re.compile("等待发送 \\d+ 封"))).to_be_visible()
    judge("邮件")

    visitor = browser.new_context(locale="zh-CN").new_page()
    visitor.goto(site + "/privacy")
    judge("隐私声明", visitor)
    visitor.goto(site + "/consult")
    expect(visitor.get_by_text("个人信息保护提示")).to_be_visible()
    judge("consult page", visitor)
    visitor.goto(site + "/")
    visitor.get_by_role("link", name="立即咨询").click()
    dialog = visitor.get_by_role("dialog", name="立即咨询")
    expect(dialog.get_by_text("个人信息保护提示")).to_be_visible()
    judge("dialog on the home page", visitor)
    visitor.goto(site + "/consult/status")
    judge("status page", visitor)
    visitor.get_by_label("回执号", exact=True).fill(asked.receipt)
    visitor.get_by_label("联系电话", exact=True).fill(VISITOR["phone"])
    visitor.get_by_role("button", name="查询").click()
    expect(visitor).to_have_url(site + "/consult/status")
    expect(visitor.get_by_role("region", name="查询结果")).to_contain_text("已更新")
    judge("status page after the lookup", visitor)
    visitor.context.close()

    problems += [f"Nu: {error}" for error in nu_errors(documents)]
    assert problems == []


def test_inbox_and_message_page_fit_a_phone(browser, server, desk):
    long_line = "我司计划参加在新加坡举办的国际贸易展览会，需要办理展品临时进出口的 ATA 单证册。"
    desk.add_template("展会 ATA 单证册", "您好，展品可凭 ATA 单证册临时进出口。")
    for hours in (50, 30, 3):
        desk.add(timedelta(hours=hours), company="宁波某某国际贸易有限公司", content=long_line)
    sent = desk.add(
        timedelta(hours=28), email="someone.with.a.long.address@example-trading-company.com.cn",
        company="宁波某某国际贸易有限公司", content=long_line * 3,
    )  # fmt: skip
    desk.work_on(sent, "已电话联系访客，确认展会日期。", "您好，" + long_line)

    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, server.url)
    expect(rows(page).first).to_be_visible()
    page_views = {"inbox": page.url}
    page.get_by_role("link", name=sent.receipt).click()
    expect(heading_of(page, sent)).to_be_visible()
    page_views["message"] = page.url
    for name, url in page_views.items():
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 375px"
    page.wait_for_load_state()
    page.get_by_label("答复内容", exact=True).fill("您好，已更新的答复。")
    page.get_by_role("button", name="更新答复").click()
    expect(page.get_by_role("heading", name=re.compile("^确认更新答复"))).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the 更新答复 confirmation scrolls sideways by {overflow}px at 375px"
    context.close()
