"""Sections in the admin: add, rename, reorder, hide, delete, and what visitors see at once."""

import re
import urllib.parse

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ArticleRevision, ArticleStatus, AuditAction, AuditEvent, Role, Section
from app.sections.service import RESERVED_SLUGS, slug_problem
from tests.conftest import STAFF_PASSWORD, AuthActions
from tests.helpers import page_token, route_params

SECTIONS = "/admin/sections"
HTMX = {"HX-Request": "true"}


SECTION_ROUTES = route_params("sections.")


@pytest.fixture
def boss(auth):
    """The test client, signed in as ``boss``, a 系统管理员."""
    auth.login()
    return auth._client


def section(app, slug) -> Section | None:
    with app.app_context():
        return db.session.scalar(sa.select(Section).where(Section.slug == slug))


def section_id(app, slug) -> int:
    return section(app, slug).id


def nav_names(page: str) -> list[str]:
    """The section names of the public navigation, in order (首页 left out)."""
    nav = re.search(r'<nav class="site-nav" aria-label="栏目导航">(.*?)</nav>', page, re.S).group(1)
    return re.findall(r'<a href="/[^"]+/"[^>]*>([^<]+)</a>', nav)


def body(page: str) -> str:
    """What a visitor reads: the page without its <head> (whose description is fixed text)."""
    return page[page.index("<body") :]


def home_columns(page: str) -> list[str]:
    """The sections of the home page in order: the 通知公告 strip's, then one per column."""
    heading = r'<h2 (?:id="col-[^"]+"|class="notice-strip__title"[^>]*)>(?:<a [^>]*>)?([^<]+)<'
    return re.findall(heading, page)


def admin_rows(page: str) -> list[str]:
    return re.findall(r'<td data-label="名称">([^<]+)</td>', page)


def section_events(app) -> list[tuple[str, str]]:
    with app.app_context():
        query = sa.select(AuditEvent).where(AuditEvent.action == AuditAction.SECTION)
        return [(e.target, e.detail) for e in db.session.scalars(query.order_by(AuditEvent.id))]


# The list


def test_the_list_shows_every_section_in_order(app, boss, make_article):
    make_article(section="news")
    make_article(section="news", status=ArticleStatus.DRAFT)
    make_article(section="alerts", status=ArticleStatus.OFFLINE)
    with app.app_context():
        db.session.get(Section, section_id(app, "guides")).hidden = True
        db.session.commit()
    page = boss.get(SECTIONS).get_data(as_text=True)
    for heading in ("名称", "网址", "文章数", "状态"):
        assert f'<th scope="col">{heading}</th>' in page
    assert admin_rows(page) == ["今日要闻", "贸易指南", "风险预警"]
    rows = page.split("<tr>")[2:]
    assert "/news/" in rows[0] and '<td data-label="文章数">2</td>' in rows[0]
    assert "显示" in rows[0].split('data-label="状态"')[1][:80]
    assert "隐藏" in rows[1].split('data-label="状态"')[1][:80]
    assert '<td data-label="文章数">1</td>' in rows[2]


def test_the_admin_navigation_links_to_the_section_list(boss):
    assert f'href="{SECTIONS}"' in boss.get("/admin/audit").get_data(as_text=True)


# Adding


def test_adding_a_section_puts_it_at_the_end_of_the_public_navigation(app, boss, client):
    response = boss.post(SECTIONS, data={"name": "展会信息", "slug": " Trade-Fairs "})
    assert response.status_code == 303 and response.headers["Location"] == SECTIONS
    assert "已新增栏目“展会信息”，网址为 /trade-fairs/。" in boss.get(SECTIONS).get_data(
        as_text=True
    )
    added = section(app, "trade-fairs")
    assert added.position == 4 and not added.hidden
    home = client.get("/").get_data(as_text=True)
    assert nav_names(home) == ["今日要闻", "贸易指南", "风险预警", "展会信息"]
    assert home_columns(home)[-1] == "展会信息"
    assert client.get("/trade-fairs/").status_code == 200
    assert section_events(app) == [("栏目 trade-fairs", "新增栏目“展会信息”(/trade-fairs/)")]


@pytest.mark.parametrize(
    ("name", "slug", "error"),
    [
        ("", "fairs", "请输入栏目名称。"),
        ("展" * 41, "fairs", "栏目名称不能超过 40 个字。"),
        ("今日要闻", "fairs", "已有名为“今日要闻”的栏目。"),
        ("展会信息", "", "请输入网址标识。"),
        ("展会信息", "x", "网址标识须为 2–40 个小写英文字母"),
        ("展会信息", "a" * 41, "网址标识须为 2–40 个小写英文字母"),
        ("展会信息", "trade_fairs", "网址标识须为"),
        ("展会信息", "trade fairs", "网址标识须为"),
        ("展会信息", "-fairs", "网址标识须为"),
        ("展会信息", "fairs-", "网址标识须为"),
        ("展会信息", "展会", "网址标识须为"),
        ("展会信息", "admin", "“admin”是网站保留的地址"),
        ("展会信息", "Search", "“search”是网站保留的地址"),
        ("展会信息", "NEWS", "网址标识 news 已被其他栏目使用。"),
    ],
)
def test_adding_explains_what_is_wrong(app, boss, name, slug, error):
    response = boss.post(SECTIONS, data={"name": name, "slug": slug})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error in page and 'class="field__error"' in page
    assert admin_rows(page) == ["今日要闻", "贸易指南", "风险预警"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Section.id))) == 3
    assert section_events(app) == []


def test_every_first_path_segment_of_the_site_is_reserved(app):
    segments = {
        rule.rule.split("/")[1]
        for rule in app.url_map.iter_rules()
        if "<" not in rule.rule.split("/")[1] and rule.rule != "/"
    }
    assert segments <= RESERVED_SLUGS
    assert {"admin", "articles", "consult", "static", "healthz", "sitemap.xml"} <= RESERVED_SLUGS


def test_reserved_slugs_are_refused_even_where_the_pattern_allows_them(app):
    with app.app_context():
        for slug in RESERVED_SLUGS:
            assert slug_problem(slug) is not None
        assert slug_problem("rss") == "“rss”是网站保留的地址，请换一个网址标识。"
        assert slug_problem("trade-2026") is None


def test_the_add_form_has_labels(boss):
    page = boss.get(SECTIONS).get_data(as_text=True)
    assert '<label for="name">名称</label>' in page
    assert '<label for="slug">网址标识</label>' in page


# Renaming


def test_renaming_keeps_the_address_and_shows_at_once(app, boss, client, make_article):
    make_article(section="news", title="要闻一")
    news = section_id(app, "news")
    form = boss.get(f"{SECTIONS}/{news}/edit").get_data(as_text=True)
    assert "/news/" in form and 'name="slug"' not in form
    response = boss.post(f"{SECTIONS}/{news}/edit", data={"name": " 要闻速递 ", "slug": "hacked"})
    assert response.headers["Location"] == SECTIONS
    assert section(app, "news").name == "要闻速递"
    assert section(app, "hacked") is None
    home = client.get("/").get_data(as_text=True)
    assert nav_names(home)[0] == "要闻速递" and home_columns(home)[0] == "要闻速递"
    assert "今日要闻" not in body(home)
    listing = client.get("/news/").get_data(as_text=True)
    assert '<h1 class="page-title">要闻速递</h1>' in listing and "要闻一" in listing
    assert section_events(app) == [("栏目 news", "改名 今日要闻→要闻速递")]


def test_renaming_refuses_another_sections_name(app, boss):
    news = section_id(app, "news")
    response = boss.post(f"{SECTIONS}/{news}/edit", data={"name": "贸易指南"})
    assert "已有名为“贸易指南”的栏目。" in response.get_data(as_text=True)
    assert section(app, "news").name == "今日要闻"
    same = boss.post(f"{SECTIONS}/{news}/edit", data={"name": "今日要闻"})
    assert same.status_code == 303  # its own name is no clash
    assert section_events(app) == []


# Reordering


def test_moving_reorders_the_navigation_and_the_home_page(app, boss, client):
    alerts = section_id(app, "alerts")
    response = boss.post(f"{SECTIONS}/{alerts}/move", data={"direction": "up"})
    assert response.status_code == 303 and response.headers["Location"] == SECTIONS
    home = client.get("/").get_data(as_text=True)
    assert nav_names(home) == ["今日要闻", "风险预警", "贸易指南"]
    assert home_columns(home) == ["今日要闻", "风险预警", "贸易指南"]
    boss.post(f"{SECTIONS}/{section_id(app, 'news')}/move", data={"direction": "down"})
    assert nav_names(client.get("/").get_data(as_text=True)) == ["风险预警", "今日要闻", "贸易指南"]
    with app.app_context():
        positions = db.session.execute(
            sa.select(Section.slug, Section.position).order_by(Section.position)
        ).all()
    assert positions == [("alerts", 1), ("news", 2), ("guides", 3)]
    assert section_events(app) == [("栏目 alerts", "上移至第 2 位"), ("栏目 news", "下移至第 2 位")]


def test_positions_are_renumbered_densely(app, boss):
    with app.app_context():
        for slug, position in (("news", 10), ("guides", 20), ("alerts", 35)):
            db.session.scalar(sa.select(Section).where(Section.slug == slug)).position = position
        db.session.commit()
    boss.post(f"{SECTIONS}/{section_id(app, 'guides')}/move", data={"direction": "down"})
    with app.app_context():
        positions = db.session.execute(
            sa.select(Section.slug, Section.position).order_by(Section.position)
        ).all()
    assert positions == [("news", 1), ("alerts", 2), ("guides", 3)]


def test_the_ends_of_the_list_do_not_move_further(app, boss):
    page = boss.get(SECTIONS).get_data(as_text=True)
    rows = page.split("<tr>")[2:]
    assert ">上移<" not in rows[0] and ">下移<" in rows[0]
    assert ">上移<" in rows[2] and ">下移<" not in rows[2]
    boss.post(f"{SECTIONS}/{section_id(app, 'news')}/move", data={"direction": "up"})
    assert admin_rows(boss.get(SECTIONS).get_data(as_text=True))[0] == "今日要闻"
    assert section_events(app) == []


def test_moving_with_htmx_answers_with_the_new_table(app, boss):
    alerts = section_id(app, "alerts")
    response = boss.post(f"{SECTIONS}/{alerts}/move", data={"direction": "up"}, headers=HTMX)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<div id="section-list">')
    assert admin_rows(fragment) == ["今日要闻", "风险预警", "贸易指南"]
    assert "栏目“风险预警”已上移。" in fragment
    assert response.headers["Vary"] == "HX-Request" or "HX-Request" in response.headers["Vary"]


def test_an_unknown_direction_is_refused(app, boss):
    response = boss.post(f"{SECTIONS}/{section_id(app, 'news')}/move", data={"direction": "left"})
    assert response.status_code == 400


# Hiding


def test_a_hidden_section_leaves_the_public_site_at_once(app, boss, client, make_article):
    article = make_article(section="guides", title="指南文章一")
    guides = section_id(app, "guides")
    assert client.get(f"/articles/{article}").status_code == 200
    response = boss.post(f"{SECTIONS}/{guides}/visibility", data={"hidden": "1"})
    assert response.headers["Location"] == SECTIONS
    home = client.get("/").get_data(as_text=True)
    assert nav_names(home) == ["今日要闻", "风险预警"]
    assert "贸易指南" not in body(home) and "指南文章一" not in home
    assert client.get("/guides/").status_code == 404
    assert client.get(f"/articles/{article}").status_code == 404
    listed = boss.get(SECTIONS).get_data(as_text=True)
    assert admin_rows(listed) == ["今日要闻", "贸易指南", "风险预警"]  # still listed for staff
    boss.post(f"{SECTIONS}/{guides}/visibility", data={"hidden": "0"})
    home = client.get("/").get_data(as_text=True)
    assert nav_names(home) == ["今日要闻", "贸易指南", "风险预警"] and "指南文章一" in home
    assert client.get("/guides/").status_code == 200
    assert section_events(app) == [("栏目 guides", "隐藏"), ("栏目 guides", "显示")]


def test_hiding_twice_changes_nothing_more(app, boss):
    guides = section_id(app, "guides")
    boss.post(f"{SECTIONS}/{guides}/visibility", data={"hidden": "1"})
    boss.post(f"{SECTIONS}/{guides}/visibility", data={"hidden": "1"})
    assert section(app, "guides").hidden
    assert section_events(app) == [("栏目 guides", "隐藏")]
    bad = boss.post(f"{SECTIONS}/{guides}/visibility", data={"hidden": "maybe"})
    assert bad.status_code == 400


# Deleting


def test_a_section_with_articles_cannot_be_deleted(app, boss, make_article):
    make_article(section="alerts")
    make_article(section="alerts", status=ArticleStatus.DRAFT)
    alerts = section_id(app, "alerts")
    refusal = "该栏目下还有 2 篇文章，不能删除，只能隐藏。"
    page = boss.get(f"{SECTIONS}/{alerts}/delete").get_data(as_text=True)
    assert refusal in page and "确认删除" not in page
    response = boss.post(f"{SECTIONS}/{alerts}/delete")
    assert response.headers["Location"] == SECTIONS
    assert refusal in boss.get(SECTIONS).get_data(as_text=True)
    assert section(app, "alerts") is not None
    assert section_events(app) == []


def test_a_section_named_in_old_revisions_cannot_be_deleted(app, boss, make_article):
    article = make_article(section="news")
    alerts = section_id(app, "alerts")
    with app.app_context():
        db.session.add(
            ArticleRevision(
                article_id=article, section_id=alerts, title="旧标题", status=ArticleStatus.DRAFT
            )
        )
        db.session.commit()
    boss.post(f"{SECTIONS}/{alerts}/delete")
    assert section(app, "alerts") is not None
    assert "不能删除，只能隐藏" in boss.get(SECTIONS).get_data(as_text=True)


def test_an_empty_section_is_deleted_after_confirmation(app, boss, client):
    boss.post(SECTIONS, data={"name": "展会信息", "slug": "fairs"})
    fairs = section_id(app, "fairs")
    page = boss.get(f"{SECTIONS}/{fairs}/delete").get_data(as_text=True)
    assert "确定删除栏目“展会信息”?" in page
    assert section(app, "fairs") is not None  # asking is not doing
    response = boss.post(f"{SECTIONS}/{fairs}/delete")
    assert response.headers["Location"] == SECTIONS
    assert "栏目“展会信息”已删除。" in boss.get(SECTIONS).get_data(as_text=True)
    assert section(app, "fairs") is None
    assert client.get("/fairs/").status_code == 404
    assert "展会信息" not in client.get("/").get_data(as_text=True)
    assert section_events(app)[-1] == ("栏目 fairs", "删除栏目“展会信息”")


# Access and CSRF


def test_the_section_list_has_the_expected_routes():
    assert {case.id for case in SECTION_ROUTES} == {
        "GET /admin/sections",
        "POST /admin/sections",
        "GET /admin/sections/<id:section_id>/edit",
        "POST /admin/sections/<id:section_id>/edit",
        "POST /admin/sections/<id:section_id>/move",
        "POST /admin/sections/<id:section_id>/visibility",
        "GET /admin/sections/<id:section_id>/delete",
        "POST /admin/sections/<id:section_id>/delete",
    }


@pytest.mark.parametrize(("method", "url"), SECTION_ROUTES)
def test_only_a_system_administrator_may_change_sections(app, auth, method, url):
    editor = app.test_client()
    AuthActions(app, editor).login("writer", roles=[Role.EDITOR, Role.RESPONDER])
    data = {"name": "改掉", "slug": "changed", "direction": "down", "hidden": "1"}
    response = editor.open(url, method=method, data=data)
    assert response.status_code == 403
    with app.app_context():
        names = db.session.scalars(sa.select(Section.name).order_by(Section.position)).all()
    assert names == ["今日要闻", "贸易指南", "风险预警"] and not section(app, "news").hidden
    anonymous = app.test_client().open(url, method=method)
    assert urllib.parse.urlsplit(anonymous.headers["Location"]).path == "/admin/login"


def test_changes_need_the_csrf_token(staff_app):
    app = staff_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = page_token(client.get("/admin/login").get_data(as_text=True))
    login = {"username": "boss", "password": STAFF_PASSWORD, "csrf_token": token}
    client.post("/admin/login", data=login)
    data = {"name": "展会信息", "slug": "fairs"}
    assert client.post(SECTIONS, data=data).status_code == 400
    assert section(app, "fairs") is None
    token = page_token(client.get(SECTIONS).get_data(as_text=True))
    assert client.post(SECTIONS, data={**data, "csrf_token": token}).status_code == 303
    assert section(app, "fairs") is not None
