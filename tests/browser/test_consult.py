"""A visitor asks the council a question with the 立即咨询 widget, in a real browser."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app import create_app
from app.extensions import db
from app.models import Message, MessageStatus
from tests.browser.conftest import CONSULT_MIN_FILL_SECONDS
from tests.browser.judges import axe_violations, nu_errors
from tests.live import live_server

CONFIRMATION = "留言成功后，负责人将会在24小时内答复您。"
RECEIPT = re.compile(r"^[23456789A-HJKMNP-Z]{10}$")
QUESTION = "请问出口到东盟的货物\n如何申请原产地证书?"


def stored(server, receipt: str) -> Message:
    app = create_app({"SQLALCHEMY_DATABASE_URI": server.env["DATABASE_URL"], "SECRET_KEY": "x"})
    with app.app_context():
        message = db.session.scalar(sa.select(Message).filter_by(receipt=receipt))
        db.session.expunge(message)
        db.engine.dispose()
    return message


def launcher(page):
    return page.get_by_role("link", name="立即咨询")


def open_dialog(page):
    launcher(page).click()
    dialog = page.get_by_role("dialog", name="立即咨询")
    expect(dialog.get_by_label("姓名", exact=True)).to_be_visible()
    return dialog


def fill_form(scope, name="赵六", phone="139 8765 4321", content=QUESTION) -> None:
    scope.get_by_label("姓名", exact=True).fill(name)
    scope.get_by_label("联系电话", exact=True).fill(phone)
    scope.get_by_label("电子邮箱", exact=True).fill("zhaoliu@example.com")
    scope.get_by_label("单位名称", exact=True).fill("宁波某某贸易有限公司")
    scope.get_by_label("咨询类别", exact=True).select_option("商事认证")
    scope.get_by_label("咨询内容", exact=True).fill(content)


def look_up(page, site, receipt: str, phone: str) -> None:
    """Ask the lookup page for a receipt, as a visitor does: the form posts it."""
    page.goto(site + "/consult/status")
    page.get_by_label("回执号", exact=True).fill(receipt)
    page.get_by_label("联系电话", exact=True).fill(phone)
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(site + "/consult/status")  # nothing typed in the address


def take_your_time(page) -> None:
    """A person takes longer than the minimum fill time; a test must wait for it."""
    page.wait_for_timeout(CONSULT_MIN_FILL_SECONDS * 1000 + 200)


def test_ask_a_question_in_the_dialog_without_leaving_the_page(page, site, live_site):
    page.goto(site + "/news/")
    page.evaluate("window.__noReload = true")
    dialog = open_dialog(page)
    expect(dialog).to_contain_text("把想要咨询的问题和遇到的困难留言告诉我们，我们将尽全力帮到您")

    dialog.get_by_role("button", name="提交").click()
    for error in ["请填写姓名", "请填写联系电话", "请选择咨询类别", "请填写咨询内容"]:
        expect(dialog.get_by_text(error)).to_be_visible()
    expect(dialog.get_by_label("姓名", exact=True)).to_be_focused()

    fill_form(dialog)
    expect(dialog.get_by_text(f"已输入 {len(QUESTION)} / 2000 字")).to_be_visible()
    take_your_time(page)
    dialog.get_by_role("button", name="提交").click()

    expect(dialog.get_by_text(CONFIRMATION)).to_be_visible()
    receipt = dialog.locator("[data-receipt]").inner_text()
    assert RECEIPT.match(receipt)
    expect(page.get_by_role("status").filter(has_text=receipt)).to_contain_text(CONFIRMATION)
    message = stored(live_site, receipt)
    assert (message.name, message.phone, message.content) == ("赵六", "13987654321", QUESTION)
    assert message.status is MessageStatus.PENDING

    dialog.locator(".consult-sent").get_by_role("button", name="关闭").click()
    expect(dialog).to_be_hidden()
    expect(launcher(page)).to_be_focused()

    dialog = open_dialog(page)
    expect(dialog.get_by_label("姓名", exact=True)).to_have_value("")
    expect(dialog.get_by_label("咨询内容", exact=True)).to_have_value("")
    expect(dialog.get_by_text("已输入 0 / 2000 字")).to_be_visible()
    dialog.get_by_role("button", name="关闭").click()  # the ×
    expect(dialog).to_be_hidden()
    assert page.evaluate("window.__noReload") is True


def test_closing_before_sending_keeps_the_draft(page, site):
    page.goto(site + "/")
    dialog = open_dialog(page)
    dialog.get_by_label("咨询内容", exact=True).fill("还没写完的问题")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    dialog = open_dialog(page)
    expect(dialog.get_by_label("咨询内容", exact=True)).to_have_value("还没写完的问题")


def test_keyboard_only(page, site, live_site):
    page.goto(site + "/consult/status")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('[data-consult-launcher]')"):
            break
    expect(launcher(page)).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="立即咨询")
    expect(dialog.get_by_label("姓名", exact=True)).to_be_focused()
    page.keyboard.type("键盘用户")
    for label, typed in [("联系电话", "0571-87654321"), ("电子邮箱", ""), ("单位名称", "")]:
        page.keyboard.press("Tab")
        expect(dialog.get_by_label(label, exact=True)).to_be_focused()
        page.keyboard.type(typed)
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("咨询类别", exact=True)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(dialog.get_by_label("咨询类别", exact=True)).to_have_value("贸易指南")
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("咨询内容", exact=True)).to_be_focused()
    page.keyboard.type("只用键盘也能提交咨询吗?")
    page.keyboard.press("Tab")  # the notice's link comes before 提交
    expect(dialog.get_by_role("link", name="隐私声明(在新窗口打开)")).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="提交")).to_be_focused()
    take_your_time(page)
    page.keyboard.press("Enter")
    expect(dialog.get_by_text(CONFIRMATION)).to_be_visible()
    receipt = dialog.locator("[data-receipt]").inner_text()
    assert stored(live_site, receipt).phone == "0571-87654321"
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(launcher(page)).to_be_focused()


def test_without_javascript_the_launcher_is_a_page_that_posts_and_redirects(browser, site):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.goto(site + "/")
    launcher(page).click()
    expect(page).to_have_url(site + "/consult")
    expect(page.get_by_role("heading", level=1, name="立即咨询")).to_be_visible()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("请填写姓名")).to_be_visible()

    fill_form(page, phone="+86 138-0000-1234")
    take_your_time(page)
    page.get_by_role("button", name="提交").click()
    expect(page).to_have_url(site + "/consult/sent")
    expect(page.get_by_text(CONFIRMATION)).to_be_visible()
    receipt = page.locator("[data-receipt]").inner_text()
    assert RECEIPT.match(receipt)

    page.get_by_role("link", name="查询办理进度").click()
    expect(page.get_by_label("回执号", exact=True)).to_have_value(receipt)
    page.get_by_label("联系电话", exact=True).fill("13800001234")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(site + "/consult/status")  # posted: nothing in the address
    expect(page.locator(".consult-result")).to_contain_text("待处理")
    expect(page.locator(".consult-result")).to_contain_text("如何申请原产地证书?")
    context.close()


def test_a_quick_visitor_is_asked_to_confirm_and_then_sends(browser, database_url):
    with live_server(database_url, workers=1, seed=False, CONSULT_MIN_FILL_SECONDS=4) as server:
        context = browser.new_context(locale="zh-CN")
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto(server.url + "/consult/status")
        dialog = open_dialog(page)
        fill_form(dialog, name="手快的人")  # pasted in: sooner than the minimum fill time
        dialog.get_by_role("button", name="提交").click()
        expect(dialog.get_by_role("alert")).to_contain_text("请确认后再次提交")
        expect(dialog.get_by_role("button", name="提交")).to_be_focused()
        expect(dialog.get_by_label("姓名", exact=True)).to_have_value("手快的人")
        page.wait_for_timeout(4200)
        dialog.get_by_role("button", name="提交").click()
        expect(dialog.get_by_text(CONFIRMATION)).to_be_visible()
        receipt = dialog.locator("[data-receipt]").inner_text()
        assert stored(server, receipt).status is MessageStatus.PENDING
        context.close()


def test_the_privacy_statement_opens_beside_the_dialog_and_the_draft_stays(page, site):
    page.goto(site + "/")
    dialog = open_dialog(page)
    dialog.get_by_label("咨询内容", exact=True).fill("先看看隐私声明再提交")
    with page.context.expect_page() as opened:
        dialog.get_by_role("link", name="隐私声明(在新窗口打开)").click()
    statement = opened.value
    expect(statement.get_by_role("heading", level=1, name="隐私声明")).to_be_visible()
    expect(statement.get_by_text("满 365 天后", exact=False)).to_be_visible()
    expect(dialog.get_by_label("咨询内容", exact=True)).to_have_value("先看看隐私声明再提交")


def test_rate_limit_oversize_and_network_failure_are_told_in_the_dialog(browser, database_url):
    with live_server(
        database_url,
        workers=1,
        seed=False,
        CONSULT_RATE_LIMIT="1 per 10 minutes",
        CONSULT_MIN_FILL_SECONDS=0,
    ) as server:
        context = browser.new_context(locale="zh-CN")
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto(server.url + "/consult/status")
        for attempt in range(2):
            dialog = open_dialog(page)
            fill_form(dialog, content=f"第{attempt + 1}次提交的咨询内容")
            dialog.get_by_role("button", name="提交").click()
            if attempt == 0:
                expect(dialog.get_by_text(CONFIRMATION)).to_be_visible()
                page.keyboard.press("Escape")
        expect(dialog.get_by_role("alert")).to_contain_text("提交过于频繁(每10分钟最多提交1条留言)")
        expect(dialog.get_by_label("咨询内容", exact=True)).to_have_value("第2次提交的咨询内容")

        dialog.get_by_label("咨询内容", exact=True).fill("长" * 30_000)
        dialog.get_by_role("button", name="提交").click()
        expect(dialog.get_by_role("alert")).to_contain_text("提交的内容过大(超过 64 KB)")
        expect(dialog.get_by_label("姓名", exact=True)).to_have_value("赵六")

        page.route("**/consult", lambda route: route.abort())
        dialog.get_by_label("咨询内容", exact=True).fill("网络断开时提交的问题")
        dialog.get_by_role("button", name="提交").click()
        expect(dialog.get_by_role("alert")).to_contain_text("提交未成功")
        expect(dialog.get_by_label("咨询内容", exact=True)).to_have_value("网络断开时提交的问题")
        context.close()


def test_axe_finds_no_violations_in_the_dialog_and_the_pages(page, site):
    page.goto(site + "/")
    dialog = open_dialog(page)
    assert axe_violations(page) == []
    dialog.get_by_role("button", name="提交").click()
    expect(dialog.get_by_text("请填写姓名")).to_be_visible()
    assert axe_violations(page) == []
    for path in ["/consult", "/privacy"]:
        page.goto(site + path)
        assert axe_violations(page) == [], path
    look_up(page, site, "ABCDEFGH23", "13800001234")
    expect(page.locator(".consult-result")).to_contain_text("未找到")
    assert axe_violations(page) == []


def test_nu_html_checker_finds_no_errors_in_the_dialog_and_the_pages(page, site):
    documents = {}
    page.goto(site + "/")
    dialog = open_dialog(page)
    documents["dialog"] = page.content()
    dialog.get_by_role("button", name="提交").click()
    expect(dialog.get_by_text("请填写姓名")).to_be_visible()
    documents["dialog with errors"] = page.content()
    fill_form(dialog)
    take_your_time(page)
    dialog.get_by_role("button", name="提交").click()
    expect(dialog.get_by_text(CONFIRMATION)).to_be_visible()
    documents["dialog confirmation"] = page.content()
    receipt = dialog.locator("[data-receipt]").inner_text()
    for name, path in {
        "consult page": "/consult",
        "status page": "/consult/status",
        "privacy page": "/privacy",
    }.items():
        page.goto(site + path)
        documents[name] = page.content()
    for name, pair in {"status found": receipt, "status not found": "ABCDEFGH23"}.items():
        look_up(page, site, pair, "13987654321")
        expect(page.locator(".consult-result")).to_be_visible()
        documents[name] = page.content()
    assert nu_errors(documents) == []


@pytest.mark.parametrize("width", [375, 1440])
def test_launcher_covers_nothing_and_nothing_scrolls_sideways(browser, site, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
    page = context.new_page()
    for path in ["/news/", "/articles/1", "/consult", "/consult/status"]:
        page.goto(site + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
    page.goto(site + "/articles/1")
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    button = launcher(page).bounding_box()
    for text in ["文化交流 · 资源共享", "网站标识码"]:
        footer = page.get_by_text(text).bounding_box()
        apart = (
            footer["y"] + footer["height"] <= button["y"]
            or footer["x"] + footer["width"] <= button["x"]
        )
        assert apart, f"the launcher covers “{text}” at {width}px"
    assert button["x"] + button["width"] <= width
    dialog = open_dialog(page)
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    context.close()
