"""A visitor reads the news in a real browser."""

import re
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import POLL_SECONDS
from tests.browser.judges import axe_violations, nu_errors

PAGES = {"home": "/", "section": "/news/", "article": "/articles/1"}


def open_first_news_article(page, site):
    page.goto(site + "/")
    nav = page.get_by_role("navigation", name="栏目导航")
    nav.get_by_role("link", name="今日要闻").click()
    expect(page.get_by_role("heading", level=1, name="今日要闻")).to_be_visible()
    page.locator("#article-list").get_by_role("link").first.click()
    expect(page.get_by_text("发布日期：")).to_be_visible()


def view_count(page) -> int:
    return int(page.locator(".view-count").inner_text())


def test_visitor_reads_an_article_from_the_navigation(page, site):
    open_first_news_article(page, site)
    expect(page.get_by_text("数据来源：")).to_be_visible()
    expect(page.get_by_text("浏览次数：")).to_be_visible()
    expect(page.get_by_role("navigation", name="当前位置")).to_contain_text("今日要闻")
    assert page.locator(".article__body h2").count() >= 1


def test_view_count_rises_live_when_someone_else_reads(page, context, site):
    open_first_news_article(page, site)
    page.evaluate("window.__noReload = true")
    before = view_count(page)
    other = context.browser.new_context()
    other.new_page().goto(page.url)
    other.close()
    expect(page.locator(".view-count")).to_have_text(str(before + 1), timeout=POLL_SECONDS * 4000)
    assert page.evaluate("window.__noReload") is True


def test_polling_pauses_while_the_tab_is_hidden(page, site):
    page.goto(site + "/articles/2")
    polls = []
    page.on("request", lambda r: polls.append(r.url) if r.url.endswith("/views") else None)
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {configurable: true, get: () => true})"
    )
    page.wait_for_timeout(POLL_SECONDS * 2500)
    assert polls == []
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    page.wait_for_timeout(POLL_SECONDS * 1500)
    assert polls


def test_print_button_opens_the_print_dialog(page, site):
    page.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1; }")
    page.goto(site + "/articles/1")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.__printed") == 1


def test_share_uses_the_web_share_api_where_the_browser_has_it(page, site):
    page.add_init_script(
        "navigator.share = (data) => { window.__shared = data; return Promise.resolve(); }"
    )
    page.goto(site + "/articles/2")
    title = page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("button", name="分享").click()
    shared = page.evaluate("window.__shared")
    assert shared["title"] == title
    assert shared["url"].endswith("/articles/2")


def test_share_copies_the_link_without_the_web_share_api(page, context, site):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.goto(site + "/articles/3")
    assert page.evaluate("'share' in navigator") is False  # desktop Chromium on Linux
    page.get_by_role("button", name="分享").click()
    expect(page.get_by_role("status").filter(has_text="链接已复制")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()").endswith("/articles/3")


def test_print_and_share_are_absent_without_javascript(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/articles/1")
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    expect(page.get_by_role("button", name="分享")).to_be_hidden()
    context.close()


def test_pagination_swaps_the_list_without_reload(page, site, add_articles):
    add_articles("guides", 25)
    page.goto(site + "/guides/")
    page.evaluate("window.__noReload = true")
    first_title = page.locator(".listing__title").first.inner_text()
    page.get_by_role("navigation", name="分页").get_by_role("link", name="下一页").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator(".pagination__info")).to_contain_text("第 2 /")
    assert page.locator(".listing__title").first.inner_text() != first_title
    assert page.evaluate("window.__noReload") is True


def test_pagination_works_without_javascript(browser, site, add_articles):
    add_articles("alerts", 25)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/alerts/")
    page.get_by_role("link", name="下一页").click()
    expect(page.locator(".pagination__info")).to_contain_text("第 2 /")
    context.close()


@pytest.mark.parametrize("width", [375, 1440])
def test_no_horizontal_scroll(browser, site, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    for path in PAGES.values():
        page.goto(site + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
    context.close()


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violations(page, site, name):
    page.goto(site + PAGES[name])
    assert axe_violations(page) == []


def test_nu_html_checker_finds_no_errors(site):
    documents = {
        name: urllib.request.urlopen(site + path).read().decode() for name, path in PAGES.items()
    }
    assert nu_errors(documents) == []
