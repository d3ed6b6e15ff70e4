"""The government-site frame and 长者模式 in a real browser, on a phone and on a desk."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.judges import axe_violations, nu_errors

PAGES = {
    "home": "/",
    "section": "/news/",
    "article": "/articles/1",
    "search": "/search?q=退税",
    "sitemap": "/sitemap.html",
}
PHONE = {"width": 375, "height": 800}
ELDER_CLASS = re.compile(r"\belder\b")


def font_size(page, selector: str) -> float:
    return page.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")


def sideways(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def switch(page):
    return page.get_by_role("banner").get_by_role("link", name=re.compile("长者模式"))


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", has_touch=True)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def test_elder_mode_on_a_phone_enlarges_every_page_and_is_remembered(phone, site):
    page = phone.new_page()
    page.goto(site + "/news/")
    title, item, date = (
        font_size(page, s) for s in ("h1", ".listing__title", ".listing time")
    )  # fmt: skip
    page.evaluate("window.__noReload = true")
    switch(page).click()
    expect(page.locator("html")).to_have_class(ELDER_CLASS)
    assert page.evaluate("window.__noReload") is True  # toggled in place, no page load
    expect(switch(page)).to_have_text("退出长者模式")
    assert font_size(page, "h1") > title
    assert font_size(page, ".listing__title") > item
    assert font_size(page, ".listing time") > date
    assert sideways(page) <= 0

    page.locator("#article-list").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_class(ELDER_CLASS)
    assert font_size(page, ".article__body") > 17 * 1.2
    assert sideways(page) <= 0
    served = phone.request.get(page.url).text()  # what the server sends, before any script
    assert '<html lang="zh-CN" class="elder">' in served


def test_no_page_scrolls_sideways_on_a_phone_in_either_mode(phone, site):
    page = phone.new_page()
    for mode in ("normal", "elder"):
        if mode == "elder":
            page.goto(site + "/elder?on=1&next=/")
        for path in PAGES.values():
            page.goto(site + path)
            assert sideways(page) <= 0, f"{path} scrolls sideways in {mode} mode"
            header = page.get_by_role("banner").bounding_box()
            assert header["x"] >= 0 and header["x"] + header["width"] <= PHONE["width"]


def test_the_switch_works_without_javascript(browser, site):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(site + "/guides/?page=1")
    normal = font_size(page, "h1")
    switch(page).click()
    expect(page).to_have_url(site + "/guides/?page=1")
    expect(page.locator("html")).to_have_class(ELDER_CLASS)
    assert font_size(page, "h1") > normal
    page.goto(site + "/privacy")
    expect(page.locator("html")).to_have_class(ELDER_CLASS)
    switch(page).click()
    expect(page).to_have_url(site + "/privacy")
    expect(page.locator("html")).not_to_have_class(ELDER_CLASS)
    context.close()


def test_keyboard_shortcut_toggles_elder_mode(page, site):
    page.goto(site + "/")
    assert switch(page).get_attribute("aria-keyshortcuts") == "Alt+Shift+E"
    page.keyboard.press("Alt+Shift+KeyE")
    expect(page.locator("html")).to_have_class(ELDER_CLASS)
    assert {c["name"]: c["value"] for c in page.context.cookies()}.get("elder_mode") == "1"
    page.reload()
    expect(page.locator("html")).to_have_class(ELDER_CLASS)
    page.keyboard.press("Alt+Shift+KeyE")
    expect(page.locator("html")).not_to_have_class(ELDER_CLASS)
    page.reload()
    expect(page.locator("html")).not_to_have_class(ELDER_CLASS)


def test_the_admin_follows_elder_mode_too(page, site):
    page.goto(site + "/admin/login")
    normal = font_size(page, "h1")
    switch(page).click()
    expect(page.locator("html")).to_have_class(ELDER_CLASS)
    assert font_size(page, "h1") > normal
    assert font_size(page, "label") >= 20


def test_consult_launcher_steps_aside_while_a_phone_reader_scrolls_down(phone, site):
    page = phone.new_page()
    page.goto(site + "/articles/1")
    launcher = page.get_by_role("link", name="立即咨询")
    expect(launcher).to_be_in_viewport()
    page.mouse.wheel(0, 600)
    expect(launcher).not_to_be_in_viewport()
    page.mouse.wheel(0, -200)
    expect(launcher).to_be_in_viewport()


def test_header_search_box_and_footer_links(page, site):
    page.goto(site + "/")
    page.get_by_role("search").get_by_label("搜索").fill("退税")
    page.get_by_role("search").get_by_role("button", name="搜索").click()
    expect(page).to_have_url(re.compile(r"/search\?q=%E9%80%80%E7%A8%8E"))
    page.get_by_role("contentinfo").get_by_role("link", name="网站地图").click()
    expect(page.get_by_role("heading", level=1, name="网站地图")).to_be_visible()
    page.get_by_role("navigation", name="栏目导航").get_by_role("link", name="留言查询").click()
    expect(page.get_by_role("heading", level=1, name="留言办理进度查询")).to_be_visible()


@pytest.mark.parametrize("mode", ["normal", "elder"])
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violations_in_either_mode(page, site, name, mode):
    if mode == "elder":
        page.goto(site + "/elder?on=1&next=/")
    page.goto(site + PAGES[name])
    assert axe_violations(page) == []


def test_nu_html_checker_finds_no_errors_in_either_mode(browser, site):
    documents = {}
    for mode in ("normal", "elder"):
        context = browser.new_context()
        if mode == "elder":
            context.request.get(site + "/elder?on=1&next=/")
        for name, path in PAGES.items():
            documents[f"{name} ({mode})"] = context.request.get(site + path).text()
        context.close()
    assert '<html lang="zh-CN" class="elder">' in documents["home (elder)"]
    assert nu_errors(documents) == []
