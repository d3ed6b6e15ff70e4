"""Staff answer a visitor's question in a real browser, and the admin pages pass the judges."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app import create_app
from app.extensions import db
from app.models import Message
from app.models.base import utcnow
from tests.browser.judges import axe_violations, nu_errors
from tests.browser.test_consult import fill_form, open_dialog, take_your_time

PASSWORD = "browser-test-password"
ANSWER = "您好，原产地证书可在线申请，\n请登录贸促会原产地证书申报系统办理。"


@pytest.fixture(scope="module")
def admin(live_site) -> str:
    """A staff account on the live site, made the way staff make one: with the CLI."""
    output = live_site.flask("create-admin", "editor", "--password", PASSWORD)
    assert "已创建管理员 editor" in output
    return "editor"


@pytest.fixture
def add_message(site_db):
    """Put a message straight into the live site's database; return its id."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": site_db, "SECRET_KEY": "x"})

    def add(age: timedelta, **fields) -> int:
        with app.app_context():
            defaults = {"name": "测试访客", "phone": "13800001111", "category": "其他"}
            message = Message(
                **{**defaults, "content": "测试留言内容", **fields}, created_at=utcnow() - age
            )
            db.session.add(message)
            db.session.commit()
            return message.id

    yield add
    with app.app_context():
        db.engine.dispose()


def sign_in(page, site: str, username: str, path: str = "/admin/") -> None:
    page.goto(site + path)
    expect(page.get_by_role("heading", name="管理员登录")).to_be_visible()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    page.wait_for_load_state()  # htmx has processed the page


def test_a_question_from_the_widget_is_answered_and_the_visitor_sees_it(page, browser, site, admin):
    # A visitor asks through the 立即咨询 widget and keeps the receipt number.
    page.goto(site + "/")
    dialog = open_dialog(page)
    fill_form(dialog, name="钱七", content="请问原产地证书\n如何申请?")
    take_your_time(page)
    dialog.get_by_role("button", name="提交").click()
    receipt = dialog.locator("[data-receipt]").inner_text()

    # Staff sign in and find it on top of the inbox, waiting, with its deadline.
    staff = browser.new_context(locale="zh-CN").new_page()
    sign_in(staff, site, admin)
    expect(staff).to_have_url(re.compile(r"/admin/messages$"))
    first = staff.locator(".inbox-table tbody tr").first
    expect(first).to_contain_text(receipt)
    expect(first).to_contain_text("钱七")
    expect(first).to_contain_text("请问原产地证书")
    expect(first.locator('td[data-label="状态"]')).to_have_text("待处理")
    expect(first.locator('td[data-label="答复期限"]')).to_have_text(re.compile(r"剩余 2[34] 小时"))
    pending = int(staff.locator(".inbox-counts__pending").inner_text())

    # They open it and answer in place, without a page load.
    first.get_by_role("link", name=receipt).click()
    expect(staff.get_by_role("heading", level=1)).to_have_text(f"留言 {receipt}")
    staff.wait_for_load_state()
    staff.evaluate("window.__noReload = true")
    staff.get_by_label("答复内容").fill(ANSWER)
    staff.get_by_role("button", name="发送答复").click()
    expect(staff.get_by_role("status").filter(has_text="答复已保存")).to_be_visible()
    expect(staff.locator(".facts .status")).to_have_text("已答复")
    expect(staff.locator(".timeline")).to_contain_text("待处理 → 已答复")
    expect(staff.locator(".inbox-counts__pending")).to_have_text(str(pending - 1))
    assert staff.evaluate("window.__noReload") is True
    staff.context.close()

    # The visitor looks the receipt up and reads the answer.
    page.goto(site + "/consult/status")
    page.get_by_label("回执号", exact=True).fill(receipt)
    page.get_by_label("联系电话", exact=True).fill("139 8765 4321")
    page.get_by_role("button", name="查询").click()
    result = page.locator(".consult-result")
    expect(result).to_contain_text("已答复")
    expect(result.locator(".consult-text--reply")).to_have_text(ANSWER)


def test_staff_work_without_javascript(browser, site, admin, add_message):
    message_id = add_message(timedelta(hours=30), name="无脚本访客")
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    sign_in(page, site, admin, f"/admin/messages/{message_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("留言")
    expect(page.locator(".facts")).to_contain_text("已超时 6 小时")
    page.get_by_role("button", name="关闭").click()
    expect(page.get_by_role("status").filter(has_text="已关闭")).to_be_visible()
    expect(page.locator(".facts .status")).to_have_text("已关闭")
    page.get_by_role("link", name="删除").click()
    page.get_by_role("button", name="确认删除").click()
    expect(page).to_have_url(re.compile(r"/admin/messages$"))
    expect(page.get_by_role("status").filter(has_text="已删除")).to_be_visible()
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="管理员登录")).to_be_visible()
    context.close()


def test_delete_asks_in_place_with_htmx(page, site, admin, add_message):
    message_id = add_message(timedelta(hours=1), name="待删访客")
    sign_in(page, site, admin, f"/admin/messages/{message_id}")
    page.evaluate("window.__noReload = true")
    page.get_by_role("link", name="删除").click()
    expect(page.get_by_role("heading", name=re.compile("确定删除留言"))).to_be_focused()
    assert page.evaluate("window.__noReload") is True
    page.get_by_role("button", name="确认删除").click()
    expect(page).to_have_url(re.compile(r"/admin/messages$"))
    expect(page.get_by_role("status").filter(has_text="已删除")).to_be_visible()


def test_a_poll_after_the_session_ended_goes_to_the_login_page(page, site, admin):
    sign_in(page, site, admin)
    page.context.clear_cookies()
    page.evaluate("document.dispatchEvent(new Event('page-visible'))")  # what a returning tab does
    expect(page.get_by_role("heading", name="管理员登录")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/login\?next=/admin/messages"))


def admin_pages(page, site, admin, add_message) -> dict[str, str]:
    """Sign in, then return ``{name: path}`` of the pages to judge, a message page last."""
    add_message(timedelta(hours=40), name="超时访客", content="已超时的留言")
    message_id = add_message(timedelta(hours=2), company="某某公司", email="a@example.com")
    sign_in(page, site, admin)
    return {
        "inbox": "/admin/messages",
        "inbox filtered": "/admin/messages?status=pending&q=访客",
        "delete": f"/admin/messages/{message_id}/delete",
        "audit": "/admin/audit",
        "message": f"/admin/messages/{message_id}",
    }


def test_axe_finds_no_violations_on_the_admin_pages(page, site, admin, add_message):
    page.goto(site + "/admin/login")
    assert axe_violations(page) == [], "login"
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("请输入用户名。")).to_be_visible()
    assert axe_violations(page) == [], "login with errors"
    for name, path in admin_pages(page, site, admin, add_message).items():
        page.goto(site + path)
        assert axe_violations(page) == [], name
    page.get_by_role("button", name="发送答复").click()  # empty: errors in place
    expect(page.get_by_text("请填写答复内容。")).to_be_visible()
    assert axe_violations(page) == [], "reply with errors"


def test_nu_html_checker_finds_no_errors_on_the_admin_pages(page, site, admin, add_message):
    page.goto(site + "/admin/login")
    documents = {"login": page.content()}
    for name, path in admin_pages(page, site, admin, add_message).items():
        page.goto(site + path)
        documents[name] = page.content()
    page.get_by_label("答复内容").fill("答复")
    page.get_by_role("button", name="发送答复").click()
    expect(page.get_by_role("status").filter(has_text="答复已保存")).to_be_visible()
    documents["message after reply"] = page.content()
    assert nu_errors(documents) == []


@pytest.mark.parametrize("width", [375, 1440])
def test_no_horizontal_scroll_on_the_admin_pages(browser, site, admin, add_message, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(site + "/admin/login")
    paths = admin_pages(page, site, admin, add_message).values()
    for path in ["/admin/login", *paths]:
        if path != "/admin/login":
            page.goto(site + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
    context.close()
