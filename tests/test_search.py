"""Site search (站内搜索): Chinese matching, the results page, the index and related articles.

The suite runs once on SQLite and once on PostgreSQL (DATABASE_URL), so the table of
queries below checks that both databases return the same articles.
"""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app.articles.service import Action, ArticleFields, save_article
from app.extensions import db
from app.models import Article, ArticleStatus, Section
from app.models.base import utcnow
from app.search import related, searched
from app.search.index import MAX_QUERY_CHARS, SearchQuery, highlight, tokens

HTMX = {"HX-Request": "true", "HX-Target": "search-results"}  # the results page's own box

# key: (section, title, body); published on consecutive days from 2026-01-02, in this order.
CORPUS = {
    "refund": ("news", "出口退税办理指南更新", "<p>企业可以在线申报出口退税，材料更少。</p>"),
    "tariff": ("guides", "关税减让表解读", "<p>RCEP 生效后，多数商品关税逐年下降。</p>"),
    "rate": ("alerts", "人民币汇率波动风险提示", "<p>2024年以来汇率波动加大，请关注外汇风险。</p>"),
    "loose": (
        "news",
        "稳外贸政策问答",
        "<p>扩大出口规模。出口企业办理退税时，退税材料可线上提交；出口信保支持。</p>",
    ),
    "expo": ("guides", "Canton Fair 参展须知", "<p>广交会（Canton Fair）每年春秋两季举办。</p>"),
}

# query → the articles it must find (any order); hostile syntax never reaches the database.
QUERIES = [
    pytest.param("税", {"refund", "tariff", "loose"}, id="one character"),
    pytest.param("关税", {"tariff"}, id="two characters"),
    pytest.param("退税", {"refund", "loose"}, id="two characters in a longer word"),
    pytest.param("汇率", {"rate"}, id="two characters, alerts"),
    pytest.param("出口退税", {"refund", "loose"}, id="four characters"),
    pytest.param("关税减让", {"tariff"}, id="four characters of a title"),
    pytest.param("在线申报出口退税", {"refund"}, id="a phrase"),
    pytest.param("RCEP", {"tariff"}, id="latin"),
    pytest.param("rcep", {"tariff"}, id="latin, lower case"),
    pytest.param("ＲＣＥＰ", {"tariff"}, id="latin, full width"),
    pytest.param("canton fair", {"expo"}, id="two latin words"),
    pytest.param("2024", {"rate"}, id="a number"),
    pytest.param("2024 汇率", {"rate"}, id="a number and a word"),
    pytest.param("外汇 关税", set(), id="two words never together"),
    pytest.param("稀土", set(), id="nothing matches"),
    pytest.param('"退税', {"refund", "loose"}, id="unbalanced quote"),
    pytest.param('退税"', {"refund", "loose"}, id="closing quote"),
    pytest.param("退税*", {"refund", "loose"}, id="star"),
    pytest.param("*", None, id="a star alone"),
    pytest.param("退税 OR 汇率", set(), id="OR is a word, not an operator"),
    pytest.param("关税 AND", set(), id="dangling AND"),
    pytest.param("NOT 关税", set(), id="NOT"),
    pytest.param("NEAR(关税 退税)", set(), id="NEAR"),
    pytest.param("(关税", {"tariff"}, id="open bracket"),
    pytest.param("body:关税", set(), id="column filter"),
    pytest.param("^关税", {"tariff"}, id="caret"),
    pytest.param("关税\x00", {"tariff"}, id="NUL"),
    pytest.param("关\x07税\x1b", {"tariff"}, id="control characters"),
    pytest.param("':* & |", None, id="tsquery syntax"),
    pytest.param("税" * 2000, set(), id="2000 characters"),
]


@pytest.fixture
def corpus(make_article):
    """The articles of CORPUS, by key → id."""
    return {
        key: make_article(section=section, title=title, body=body)
        for key, (section, title, body) in CORPUS.items()
    }


def found_ids(app, text: str, **filters) -> list[int]:
    """The ids the search finds for ``text``, in the order shown (all pages)."""
    from app.search.index import Filters, search

    with app.app_context():
        page = search(SearchQuery.parse(text), Filters(**filters), 1, 1000, utcnow())
        return [a.id for a in page.page.items]


def titles_on(page_html: str) -> list[str]:
    return [t for t in (v[0] for v in CORPUS.values()) if t in page_html]


@pytest.mark.parametrize(("text", "expected"), QUERIES)
def test_queries_find_the_articles_that_contain_them(app, client, corpus, text, expected):
    response = client.get("/search", query_string={"q": text})
    assert response.status_code == 200
    shown = client.get("/search", query_string={"q": text}, headers=HTMX).text
    assert not any(c in shown for c in "\x00\x07\x1b")  # never echoed back
    if expected is None:  # nothing searchable was typed: the hint, no list
        assert "搜索词" in response.text and 'class="listing' not in response.text
        return
    ids = found_ids(app, text)
    assert set(ids) == {corpus[key] for key in expected}
    assert len(ids) == len(set(ids))
    if not expected:
        assert "没有找到" in response.text


def test_an_overlong_query_is_cut_and_the_page_says_so(client, corpus):
    typed = "关税" + "，" * 100
    page = client.get("/search", query_string={"q": typed}).text
    assert f"只按前 {MAX_QUERY_CHARS} 个字搜索" in page
    assert f'value="{typed[:MAX_QUERY_CHARS]}"' in page
    assert "关税减让表解读" in page.replace("<mark>", "").replace("</mark>", "")


def test_the_whole_phrase_ranks_first(app, make_article):
    parts = make_article(title="出口企业退税问答", body="<p>出口企业办理退税，出口货物退税。</p>")
    filler = "<p>" + "本期汇编收录多项外贸便利化措施。" * 20 + "</p>"
    whole = make_article(title="政策汇编", body=f"{filler}<p>其中一项涉及出口退税。</p>")
    assert found_ids(app, "出口退税") == [whole, parts]
    assert found_ids(app, "退税") == [parts, whole]  # without a long run: BM25 alone


def test_tokens_are_bigrams_each_character_starting_one():
    assert tokens("出口退税，RCEP 2024年") == ["出口", "口退", "退税", "税", "rcep", "2024", "年"]
    assert tokens("x" * 5000) == ["x" * 60]  # a pasted hash stays a bounded token


def test_newest_order_and_relevance_order(client, make_article):
    old = make_article(title="汇率汇率汇率专题", published_at=datetime(2025, 1, 1))
    new = make_article(
        title="市场动态", body="<p>提到一次汇率。</p>", published_at=datetime(2026, 6, 1)
    )
    by_relevance = client.get("/search", query_string={"q": "汇率"}).text
    newest = client.get("/search", query_string={"q": "汇率", "order": "newest"}).text
    assert by_relevance.index(f"/articles/{old}") < by_relevance.index(f"/articles/{new}")
    assert newest.index(f"/articles/{new}") < newest.index(f"/articles/{old}")
    assert "按发布日期排列" in newest


def test_results_show_section_date_and_a_snippet_around_the_match(client, make_article):
    body = "<p>" + "前言部分的内容。" * 30 + "办理原产地证书需要提前准备发票。</p>"
    make_article(section="guides", title="办事指南", body=body, published_at=datetime(2026, 3, 5))
    page = client.get("/search", query_string={"q": "原产地"}).text
    assert "栏目：贸易指南" in page and "发布日期：" in page and "2026-03-05" in page
    assert "办理<mark>原产地</mark>证书" in page
    assert "…" in page  # the excerpt starts near the match, not at the top of the text


def test_highlight_escapes_markup_in_titles_and_text(client, make_article):
    make_article(
        title="<script>alert(1)</script> 关税 & 退税 <b>加粗</b>",
        summary="<img src=x onerror=alert(2)> 关税摘要",
    )
    page = client.get("/search", query_string={"q": "关税"}).text
    assert "<script>alert(1)" not in page and "<b>加粗" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>关税</mark> &amp; 退税" in page
    assert "&lt;img src=x onerror=alert(2)&gt; <mark>关税</mark>摘要" in page


def test_highlight_never_trusts_the_query():
    shown = highlight("a<b>c", SearchQuery.parse("<b>"))
    assert "<b>" not in str(shown) and "&lt;" in str(shown)


def test_drafts_scheduled_and_hidden_sections_stay_out_until_public(app, client, make_article):
    now = utcnow()
    draft = make_article(title="草稿关税", status=ArticleStatus.DRAFT)
    offline = make_article(title="下线关税", status=ArticleStatus.OFFLINE)
    scheduled = make_article(title="定时关税", published_at=now + timedelta(hours=2))
    hidden = make_article(section="alerts", title="隐藏栏目关税")
    with app.app_context():
        section = db.session.scalar(sa.select(Section).filter_by(slug="alerts"))
        section.hidden = True
        db.session.commit()
    assert found_ids(app, "关税") == []
    assert "没有找到" in client.get("/search", query_string={"q": "关税"}).text

    with app.app_context():
        article = db.session.get(Article, draft)
        wanted = ArticleFields.of(article)
        save_article(article, wanted, Action.PUBLISH, None, seen_version=article.version)
        db.session.scalar(sa.select(Section).filter_by(slug="alerts")).hidden = False
        db.session.commit()
    assert set(found_ids(app, "关税")) == {draft, hidden}

    with app.app_context():
        from app.search.index import Filters, search

        later = search(SearchQuery.parse("关税"), Filters(), 1, 20, now + timedelta(hours=3))
        assert {a.id for a in later.page.items} == {draft, hidden, scheduled}  # its time has come
    assert offline not in found_ids(app, "关税")


def test_the_index_follows_edits_unpublishing_and_deletes(app, make_article):
    article_id = make_article(title="原标题汇率")
    assert found_ids(app, "汇率") == [article_id]
    with app.app_context():
        article = db.session.get(Article, article_id)
        wanted = ArticleFields.of(article)
        wanted.title = "新标题关税"
        save_article(article, wanted, Action.PUBLISH, None, seen_version=article.version)
    assert found_ids(app, "汇率") == [] and found_ids(app, "关税") == [article_id]
    with app.app_context():
        article = db.session.get(Article, article_id)
        save_article(
            article, ArticleFields.of(article), Action.OFFLINE, None, seen_version=article.version
        )
    assert found_ids(app, "关税") == []
    with app.app_context():
        article = db.session.get(Article, article_id)
        save_article(
            article, ArticleFields.of(article), Action.PUBLISH, None, seen_version=article.version
        )
    assert found_ids(app, "关税") == [article_id]
    with app.app_context():
        db.session.delete(db.session.get(Article, article_id))
        db.session.commit()
        assert index_entries() == 0
    assert found_ids(app, "关税") == []


def index_entries() -> int:
    """How many articles the index holds, read from its own table."""
    table = "search_documents" if db.engine.dialect.name == "postgresql" else "search_index"
    return db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))


def test_the_index_changes_in_the_same_transaction_as_the_article(app, make_article):
    with app.app_context():
        section = db.session.scalar(sa.select(Section).filter_by(slug="news"))
        article = Article(section=section, title="事务里的关税", status=ArticleStatus.PUBLISHED,
                          published_at=datetime(2026, 1, 1))  # fmt: skip
        db.session.add(article)
        db.session.flush()
        assert index_entries() == 1  # written by the flush, inside the transaction
        db.session.rollback()
        assert index_entries() == 0  # and gone with it


def test_reindex_rebuilds_the_index_and_says_how_many(app, runner, corpus):
    with app.app_context():
        table = "search_documents" if db.engine.dialect.name == "postgresql" else "search_index"
        db.session.execute(sa.text(f"DELETE FROM {table}"))
        db.session.commit()
    assert found_ids(app, "关税") == []
    for _ in range(2):  # idempotent
        result = runner.invoke(args=["reindex"])
        assert result.exit_code == 0 and f"共索引 {len(CORPUS)} 篇文章" in result.output
    assert found_ids(app, "关税") == [corpus["tariff"]]
    with app.app_context():
        assert index_entries() == len(CORPUS)


def test_demo_content_is_searchable_after_seeding(app, runner, client):
    runner.invoke(args=["seed-demo"])
    page = client.get("/search", query_string={"q": "出口退税"}).text
    assert "找到" in page and "<mark>出口退税</mark>" in page


def test_filters_by_section_and_time(app, client, make_article):
    now = utcnow()
    recent = make_article(section="news", title="近期关税", published_at=now - timedelta(days=3))
    older = make_article(section="guides", title="较早关税", published_at=now - timedelta(days=60))
    assert set(found_ids(app, "关税")) == {recent, older}
    only_guides = client.get("/search", query_string={"q": "关税", "section": "guides"}).text
    assert "较早关税" in strip_marks(only_guides) and "近期关税" not in strip_marks(only_guides)
    week = client.get("/search", query_string={"q": "关税", "period": "week"}).text
    assert "近期关税" in strip_marks(week) and "较早关税" not in strip_marks(week)
    year = client.get("/search", query_string={"q": "关税", "period": "year"}).text
    assert "近期关税" in strip_marks(year) and "较早关税" in strip_marks(year)
    unknown = client.get("/search", query_string={"q": "关税", "section": "x", "period": "x"})
    assert unknown.status_code == 200 and "较早关税" in strip_marks(unknown.text)


def strip_marks(page: str) -> str:
    return page.replace("<mark>", "").replace("</mark>", "")


def test_twenty_results_a_page_and_page_links_keep_the_query(client, make_article):
    for day in range(1, 26):
        make_article(title=f"物流第{day:02d}期", published_at=datetime(2026, 1, day))
    first = client.get("/search", query_string={"q": "物流", "order": "newest"}).text
    second = client.get("/search", query_string={"q": "物流", "order": "newest", "page": 2}).text
    assert strip_marks(first).count("物流第") == 20 and "物流第25期" in strip_marks(first)
    assert strip_marks(second).count("物流第") == 5 and "物流第01期" in strip_marks(second)
    assert "共 25 篇" in first and "找到 25 篇" in first
    assert 'href="/search?page=2&amp;q=%E7%89%A9%E6%B5%81&amp;order=newest"' in first
    past = client.get("/search", query_string={"q": "物流", "page": 9})
    assert past.status_code == 200 and "第一页" in past.text


def test_without_javascript_the_form_is_a_plain_get_form(client, corpus):
    page = client.get("/search", query_string={"q": "退税"}).text
    assert "<html" in page and 'role="search"' in page
    assert 'action="/search" method="get"' in page
    assert 'name="q" value="退税"' in page
    assert "出口<mark>退税</mark>办理指南更新" in page


def test_htmx_gets_only_the_results_and_the_count_for_screen_readers(client, corpus):
    response = client.get("/search", query_string={"q": "退税"}, headers=HTMX)
    assert "<html" not in response.text and "<form" not in response.text
    assert 'id="search-results"' in response.text
    assert 'id="search-status" data-hx-swap-oob="innerHTML">找到 2 篇' in response.text
    assert "HX-Request" in response.headers["Vary"]
    full = client.get("/search", query_string={"q": "退税"}).text
    assert 'id="search-status" class="search-status" role="status">找到 2 篇' in full
    assert 'data-hx-trigger="input changed delay:300ms, search"' in full


def test_the_header_box_gets_the_whole_page_to_take_its_main_area_from(client, corpus):
    header = {"HX-Request": "true", "HX-Target": "main", "HX-Trigger": "site-search-q"}
    response = client.get("/search", query_string={"q": "退税"}, headers=header)
    assert '<main id="main"' in response.text and "出口<mark>退税</mark>" in response.text
    assert "data-hx-swap-oob" not in response.text  # the status comes with the main area
    home = client.get("/").text
    assert 'id="site-search-q"' in home and 'data-hx-target="#main" data-hx-select="#main"' in home


def test_an_empty_query_shows_the_hint_and_no_list(client, corpus):
    for query in ({}, {"q": ""}, {"q": "   "}, {"q": "，。！"}):
        page = client.get("/search", query_string=query).text
        assert (
            "一个字、两个字的词" in page and 'class="listing' not in page and "没有找到" not in page
        )


def test_each_answered_search_is_signalled_with_its_result_count(client, corpus):
    seen = []

    def listen(_sender, **info):
        seen.append(info)

    with searched.connected_to(listen):
        client.get("/search", query_string={"q": "退税"})
        client.get("/search", query_string={"q": "稀土"})
        client.get("/search")
    assert seen == [{"query": "退税", "results": 2}, {"query": "稀土", "results": 0}]


def test_related_articles_share_terms_in_the_same_section_and_are_public(app, make_article):
    now = utcnow()
    this = make_article(section="news", title="出口退税新政解读")
    close = make_article(section="news", title="出口退税办理问答")
    near = make_article(section="news", title="企业退税提速")
    make_article(section="news", title="展会动态")  # nothing in common
    make_article(section="guides", title="出口退税操作指南")  # another section
    make_article(section="news", title="出口退税草稿", status=ArticleStatus.DRAFT)
    make_article(section="news", title="出口退税预告", published_at=now + timedelta(days=1))
    with app.app_context():
        found = related(db.session.get(Article, this))
        assert [a.id for a in found] == [close, near]
        assert related(db.session.get(Article, this), limit=1)[0].id == close


def test_related_articles_of_an_article_without_words_are_none(app, make_article):
    lone = make_article(title="！")
    make_article(title="其他文章")
    with app.app_context():
        assert related(db.session.get(Article, lone)) == []


@pytest.mark.parametrize("page", ["99999999999999999999", str(2**63), "0", "-1"])
def test_page_numbers_out_of_range_are_not_found(client, corpus, page):
    assert client.get(f"/search?q=退税&page={page}").status_code == 404
