"""A visitor searches the site in a real browser, with JavaScript and without."""

import re
import urllib.parse
import urllib.request

from playwright.sync_api import expect

from tests.browser.editorial_fixtures import type_with_ime
from tests.browser.judges import axe_violations, nu_errors

WORD = "退税"  # in several demo articles, never as the whole title
IN_URL = re.compile(r"/search\?(.*&)?q=" + re.escape(urllib.parse.quote(WORD)))


def search_form(page):
    return page.get_by_role("search", name="搜索文章")


def open_first_result(page) -> None:
    """Open the first result; its page has the result's title as its heading."""
    first = page.locator("#search-results").get_by_role("link").first
    title = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("发布日期：")).to_be_visible()


def test_typing_a_word_updates_the_results_in_place_then_one_opens(page, site):
    page.goto(site + "/search")
    page.evaluate("window.__noReload = true")
    search_form(page).get_by_label("搜索词").press_sequentially(WORD, delay=80)
    expect(page.locator("#search-status")).to_contain_text(f"与“{WORD}”相关的文章")
    expect(page.locator("#search-results mark").first).to_have_text(WORD)
    assert page.evaluate("window.__noReload") is True  # no page load: the list was swapped
    expect(page).to_have_url(IN_URL)
    newest = search_form(page).get_by_label("排序")
    newest.select_option(label="最新")
    expect(page.locator("#search-status")).to_contain_text("按发布日期排列")
    assert page.evaluate("window.__noReload") is True
    open_first_result(page)


def test_typing_in_the_header_box_on_any_page_shows_results_without_a_page_load(page, site):
    page.goto(site + "/articles/1")
    page.evaluate("window.__noReload = true")
    box = page.get_by_role("search", name="站内搜索").get_by_role("searchbox")
    box.click()
    type_with_ime(page.context.new_cdp_session(page), ["tui", "tuis", "退税"], WORD)
    expect(page.locator("#search-results mark").first).to_have_text(WORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("站内搜索")
    expect(page).to_have_url(IN_URL)
    assert page.evaluate("window.__noReload") is True  # the main area was swapped in place
    expect(box).to_be_focused()  # the reader can keep typing
    expect(box).to_have_value(WORD)
    open_first_result(page)


def test_the_header_box_leads_to_the_results_on_enter(page, site):
    page.goto(site + "/")
    header = page.get_by_role("search", name="站内搜索")
    header.get_by_role("searchbox").fill(WORD)
    header.get_by_role("searchbox").press("Enter")
    expect(page).to_have_url(IN_URL)
    expect(page.locator("#search-results mark").first).to_have_text(WORD)


def test_without_javascript_the_form_searches_and_a_result_opens(browser, site):
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site + "/search")
        form = search_form(page)
        form.get_by_label("搜索词").fill(WORD)
        form.get_by_label("栏目").select_option(label="全部栏目")
        form.get_by_role("button", name="搜索").click()
        expect(page).to_have_url(IN_URL)
        expect(page.locator("#search-status")).to_contain_text("找到")
        open_first_result(page)
    finally:
        context.close()


def search_pages(site: str) -> dict[str, str]:
    return {
        "empty": site + "/search",
        "results": site + "/search?" + urllib.parse.urlencode({"q": WORD}),
        "none": site + "/search?" + urllib.parse.urlencode({"q": "稀土永磁"}),
    }


def test_axe_finds_no_violations_on_the_search_page(page, site):
    found = {}
    for name, url in search_pages(site).items():
        page.goto(url)
        found[name] = axe_violations(page)
    page.goto(site + "/search")
    search_form(page).get_by_label("搜索词").press_sequentially(WORD, delay=80)
    expect(page.locator("#search-results mark").first).to_be_visible()
    found["typed"] = axe_violations(page)
    assert {name: v for name, v in found.items() if v} == {}


def test_nu_html_checker_finds_no_errors_on_the_search_page(site):
    documents = {}
    for name, url in search_pages(site).items():
        with urllib.request.urlopen(url, timeout=10) as response:
            documents[name] = response.read().decode()
    assert nu_errors(documents) == []
