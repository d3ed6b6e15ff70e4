"""The government-site frame: header, footer, home strip and services, site map, 长者模式."""

from datetime import datetime

import pytest
from lxml import html as lxml_html

from app import ROOT, create_app
from app.extensions import db
from app.models import ArticleStatus, Section
from app.templating import ELDER_COOKIE

PUBLIC_PAGES = ["/", "/news/", "/privacy", "/consult", "/consult/status", "/sitemap.html"]


def parse(response):
    assert response.status_code == 200, response.status_code
    return lxml_html.fromstring(response.get_data(as_text=True))


def texts(nodes) -> list[str]:
    return [" ".join(n.text_content().split()) for n in nodes]


def add_section(app, slug: str, name: str, position: int, hidden: bool = False) -> None:
    with app.app_context():
        db.session.add(Section(slug=slug, name=name, position=position, hidden=hidden))
        db.session.commit()


# Header -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_page_has_name_logo_navigation_and_search(client, path):
    page = parse(client.get(path))
    brand = page.xpath("//header//a[@class='brand']")[0]
    assert "国际贸易促进委员会" in brand.text_content()
    assert brand.xpath(".//img/@src")[0].startswith("/static/favicon.svg")
    nav = page.xpath("//nav[@aria-label='栏目导航']")[0]
    links = dict(zip(texts(nav.xpath(".//a")), nav.xpath(".//a/@href"), strict=True))
    assert links["留言查询"] == "/consult/status"
    assert {"首页", "今日要闻", "贸易指南", "风险预警"} <= set(links)
    search = page.xpath("//header//form[@role='search']")[0]
    assert (search.get("action"), search.get("method")) == ("/search", "get")
    label = search.xpath(".//label")[0]
    assert label.text_content() == "搜索"
    field = search.xpath(f".//input[@id='{label.get('for')}']")[0]
    assert (field.get("name"), field.get("type")) == ("q", "search")
    assert texts(search.xpath(".//button[@type='submit']")) == ["搜索"]


def test_logo_comes_from_the_setting(tmp_path):
    from tests.conftest import migrated_app

    app = migrated_app(tmp_path / "logo.db", SITE_LOGO="/media/abc/logo.png")
    page = parse(app.test_client().get("/"))
    assert page.xpath("//a[@class='brand']//img/@src") == ["/media/abc/logo.png"]


def test_search_box_keeps_the_query_on_the_results_page(client):
    page = parse(client.get("/search", query_string={"q": "退税"}))
    assert page.xpath("//header//form[@role='search']//input[@name='q']/@value") == ["退税"]


# Footer -----------------------------------------------------------------------------------

FOOTER_ITEMS = {
    "SITE_ORGANIZER": ("主办单位：国际贸易促进委员会", None),
    "SITE_ADDRESS": ("地址：北京市西城区复兴门外大街1号", None),
    "SITE_PHONE": ("电话：010-12345678", "tel:010-12345678"),
    "SITE_OFFICE_HOURS": ("办公时间：工作日 9:00—12:00，13:30—17:00", None),
    "SITE_ICP_NUMBER": ("京ICP备00000000号-1", "https://beian.miit.gov.cn/"),
    "SITE_PSB_NUMBER": (
        "京公网安备11010202000001号",
        "https://beian.mps.gov.cn/#/query/webSearch?code=11010202000001",
    ),
    "SITE_ID_CODE": ("网站标识码：1100000001", None),
}


def footer_items(page) -> dict[str, str | None]:
    footer = page.xpath("//footer[@class='site-footer']")[0]
    return {
        " ".join(li.text_content().split()): (li.xpath(".//a/@href") or [None])[0]
        for li in footer.xpath(".//li")
    }


def test_footer_shows_every_item_a_government_site_must_show(client):
    page = parse(client.get("/"))
    items = footer_items(page)
    for text, link in FOOTER_ITEMS.values():
        assert text in items, text
        assert items[text] == link
    assert items["隐私声明"] == "/privacy"
    assert items["网站地图"] == "/sitemap.html"
    assert items["RSS 订阅"] == "/feed.xml"
    assert "文化交流 · 资源共享" in page.xpath("string(//footer)")


@pytest.mark.parametrize("setting", FOOTER_ITEMS)
def test_an_empty_footer_setting_hides_its_item(tmp_path, setting):
    from tests.conftest import migrated_app

    app = migrated_app(tmp_path / "footer.db", **{setting: ""})
    footer = parse(app.test_client().get("/")).xpath("//footer")[0]
    text, _ = FOOTER_ITEMS[setting]
    label = text.split("：")[0] if "：" in text else text
    assert label not in footer.text_content()
    assert all(li.text_content().strip() for li in footer.xpath(".//li"))
    others = [t for key, (t, _) in FOOTER_ITEMS.items() if key != setting]
    assert all(t in " ".join(footer.text_content().split()) for t in others)


def test_psb_link_without_digits_goes_to_the_registry():
    from app.templating import psb_registry_url

    assert psb_registry_url("待备案") == "https://beian.mps.gov.cn/#/query/webSearch"


# Home page --------------------------------------------------------------------------------


def strip_of(client) -> tuple[str, list[str]]:
    strip = parse(client.get("/")).xpath("//section[@class='notice-strip']")[0]
    return strip.xpath("string(.//h2)").strip(), texts(strip.xpath(".//li/a"))


def test_home_strip_shows_the_newest_of_the_first_section_by_default(client, make_article):
    for day in range(1, 8):
        make_article(section="news", title=f"要闻{day}", published_at=datetime(2026, 3, day))
    make_article(section="news", title="要闻草稿", status=ArticleStatus.DRAFT)
    heading, titles = strip_of(client)
    assert heading == "今日要闻"
    assert titles == ["要闻7", "要闻6", "要闻5", "要闻4", "要闻3"]
    columns = parse(client.get("/")).xpath("//section[contains(@class, 'home-column')]//h2")
    assert texts(columns) == ["贸易指南", "风险预警"]  # no second list of the same articles


def test_home_strip_prefers_a_section_named_notices(app, client, make_article):
    add_section(app, "notices", "通知公告", 9)
    make_article(section="notices", title="关于端午节放假的通知")
    assert strip_of(client) == ("通知公告", ["关于端午节放假的通知"])


def test_home_strip_section_is_a_setting(app, client):
    app.config["HOME_NOTICE_SECTION"] = "alerts"
    add_section(app, "notices", "通知公告", 9)
    assert strip_of(client)[0] == "风险预警"


def test_home_shows_the_configured_service_entries(client):
    services = parse(client.get("/")).xpath("//section[@class='services']//a")
    entries = {a.xpath("string(.//*[@class='service__name'])"): a.get("href") for a in services}
    assert entries == {
        "原产地证书": "/search?q=原产地证书",
        "ATA单证册": "/search?q=ATA单证册",
        "商事调解": "/search?q=调解",
        "法律咨询": "/consult",
    }


def test_service_entries_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(
        "FLASK_SERVICE_ENTRIES", '[{"name": "展会服务", "url": "https://expo.example.org.cn/"}]'
    )
    from tests.conftest import migrated_app

    app = migrated_app(tmp_path / "services.db")
    services = parse(app.test_client().get("/")).xpath("//section[@class='services']//a")
    assert [(a.text_content().strip(), a.get("href")) for a in services] == [
        ("展会服务", "https://expo.example.org.cn/")
    ]


# Site map ---------------------------------------------------------------------------------


def test_site_map_lists_sections_newest_articles_and_fixed_pages(app, client, make_article):
    add_section(app, "internal", "内部栏目", 9, hidden=True)
    for day in range(1, 8):
        make_article(section="guides", title=f"指南{day}", published_at=datetime(2026, 3, day))
    make_article(section="guides", title="指南草稿", status=ArticleStatus.DRAFT)
    page = parse(client.get("/sitemap.html"))
    assert page.xpath("string(//h1)") == "网站地图"
    sections = {
        li.xpath("string(.//h3/a)"): li for li in page.xpath("//ul[@class='sitemap__sections']/li")
    }
    assert list(sections) == ["今日要闻", "贸易指南", "风险预警"]
    guides = sections["贸易指南"]
    assert guides.xpath(".//h3/a/@href") == ["/guides/"]
    assert "共 7 篇" in guides.text_content()
    assert texts(guides.xpath(".//ul/li/a")) == ["指南7", "指南6", "指南5", "指南4", "指南3"]
    assert guides.xpath(".//a[@type='application/rss+xml']/@href") == ["/guides/feed.xml"]
    fixed = dict(zip(texts(page.xpath("//ul/li/a")), page.xpath("//ul/li/a/@href"), strict=True))
    for name, href in {
        "首页": "/", "站内搜索": "/search", "立即咨询": "/consult",
        "留言查询": "/consult/status", "隐私声明": "/privacy",
    }.items():  # fmt: skip
        assert fixed[name] == href


# 长者模式 ---------------------------------------------------------------------------------


def html_class(response) -> str | None:
    return parse(response).get("class")


def test_elder_switch_link_sets_the_cookie_and_returns(client):
    page = parse(client.get("/news/?page=1"))
    switch = page.xpath("//a[@data-elder-switch]")[0]
    assert switch.text_content().strip() == "长者模式"
    assert switch.get("aria-keyshortcuts") == "Alt+Shift+E"
    response = client.get(switch.get("href"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/news/?page=1"
    cookie = client.get_cookie(ELDER_COOKIE)
    assert cookie.value == "1" and cookie.max_age and cookie.max_age > 300 * 24 * 3600


@pytest.mark.parametrize("path", PUBLIC_PAGES + ["/admin/login"])
def test_elder_mode_is_decided_by_the_server_on_every_page(client, path):
    assert html_class(client.get(path)) is None
    client.get("/elder", query_string={"on": "1", "next": path})
    response = client.get(path)
    assert html_class(response) == "elder"
    assert "Cookie" in response.vary
    switch = parse(response).xpath("//a[@data-elder-switch]")[0]
    assert switch.text_content().strip() == "退出长者模式"
    assert "on=0" in switch.get("href")


def test_elder_mode_turns_off_again(client):
    client.get("/elder?on=1&next=/")
    response = client.get("/elder?on=0&next=/privacy")
    assert response.headers["Location"] == "/privacy"
    assert client.get_cookie(ELDER_COOKIE) is None
    assert html_class(client.get("/privacy")) is None


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/\r\nSet-Cookie: x=1",
        "/\tevil",
        "evil.example",
        "",
    ],
)
def test_elder_switch_never_redirects_to_another_site(client, target):
    response = client.get("/elder", query_string={"on": "1", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_elder_switch_keeps_local_paths_with_their_query(client):
    response = client.get("/elder", query_string={"on": "1", "next": "/search?q=退税&page=2"})
    assert response.headers["Location"] == "/search?q=%E9%80%80%E7%A8%8E&page=2"  # 退税


def test_create_app_defaults_document_every_frame_setting():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for key in (*FOOTER_ITEMS, "SITE_LOGO", "HOME_NOTICE_SECTION", "SERVICE_ENTRIES"):
        assert key in app.config
        assert f"FLASK_{key}" in text, key


def test_a_footer_without_records_leaves_no_empty_list(tmp_path):
    from tests.conftest import migrated_app

    app = migrated_app(
        tmp_path / "records.db", SITE_ICP_NUMBER="", SITE_PSB_NUMBER="", SITE_ID_CODE=""
    )
    footer = parse(app.test_client().get("/")).xpath("//footer")[0]
    assert all(ul.xpath("./li") for ul in footer.xpath(".//ul"))
    assert len(footer.xpath(".//ul")) == 2
