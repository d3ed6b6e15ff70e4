"""Public pages: home, section lists, articles, view counting and the live poll."""

from datetime import datetime

import pytest

from app.extensions import db
from app.models import Article, ArticleStatus

HTMX = {"HX-Request": "true"}


def views_of(app, article_id):
    with app.app_context():
        return db.session.get(Article, article_id).views


def test_home_shows_navigation_sections_and_footer(client, make_article):
    make_article(section="news", title="展会动态一")
    make_article(section="alerts", title="风险提示一")
    page = client.get("/").get_data(as_text=True)
    for text in ("今日要闻", "贸易指南", "风险预警", "文化交流", "资源共享", "展会动态一"):
        assert text in page
    assert "风险提示一" in page
    assert 'lang="zh-CN"' in page


def test_home_leaves_out_drafts(client, make_article):
    make_article(title="尚未发布的草稿", status=ArticleStatus.DRAFT)
    assert "尚未发布的草稿" not in client.get("/").get_data(as_text=True)


def test_section_lists_newest_first(client, make_article):
    make_article(title="较早的文章", published_at=datetime(2026, 3, 1))
    make_article(title="较新的文章", published_at=datetime(2026, 5, 1))
    page = client.get("/news/").get_data(as_text=True)
    assert page.index("较新的文章") < page.index("较早的文章")
    assert "2026-05-01" in page


def test_section_paginates_twenty_per_page(client, make_article):
    for day in range(1, 26):
        make_article(title=f"分页文章{day:02d}", published_at=datetime(2026, 1, day))
    first = client.get("/news/").get_data(as_text=True)
    second = client.get("/news/?page=2").get_data(as_text=True)
    assert first.count("分页文章") == 20 and "分页文章25" in first
    assert second.count("分页文章") == 5 and "分页文章01" in second
    assert 'href="/news/?page=2"' in first
    assert client.get("/news/?page=3").status_code == 404


def test_section_size_follows_a_new_article_at_once(client, make_article):
    """No worker keeps a stale count: an editor's new article is counted on the next request."""
    for day in range(1, 21):
        make_article(published_at=datetime(2026, 1, day))
    assert "共 20 篇" not in client.get("/news/").get_data(as_text=True)  # one page: no pager
    make_article(title="第二十一篇", published_at=datetime(2026, 2, 1))
    page = client.get("/news/").get_data(as_text=True)
    assert "第二十一篇" in page and "共 21 篇" in page and "下一页" in page


def test_section_pagination_fragment_for_htmx(client, make_article):
    for day in range(1, 22):
        make_article(published_at=datetime(2026, 1, day))
    response = client.get("/news/?page=2", headers=HTMX)
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="article-list"' in html
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("extra", [{"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}])
def test_boosted_and_history_restore_get_the_whole_page(client, make_article, extra):
    make_article()
    html = client.get("/news/", headers={**HTMX, **extra}).get_data(as_text=True)
    assert html.startswith("<!doctype html>")


def test_unknown_section_is_404_in_chinese(client):
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_article_page_shows_metadata_body_and_neighbours(client, make_article):
    older = make_article(title="上一篇的标题", published_at=datetime(2026, 2, 1))
    current = make_article(
        title="当前文章",
        source="海关总署",
        body="<h2>一、政策要点</h2><p>正文第一段。</p>",
        published_at=datetime(2026, 2, 2, 3),
        views=41,
    )
    newer = make_article(title="下一篇的标题", published_at=datetime(2026, 2, 3))
    html = client.get(f"/articles/{current}").get_data(as_text=True)
    assert "<h1>当前文章</h1>" in html
    assert "发布日期：" in html and "2026-02-02" in html
    assert "数据来源：海关总署" in html
    assert "浏览次数：" in html and ">42</span>" in html
    assert "<h2>一、政策要点</h2>" in html
    assert f'href="/articles/{older}"' in html and f'href="/articles/{newer}"' in html
    assert 'aria-label="当前位置"' in html and 'href="/news/"' in html
    assert 'media="print"' in html
    assert ">打印</button>" in html and ">分享</button>" in html


def test_article_date_is_shown_in_beijing_time(client, make_article):
    article = make_article(published_at=datetime(2026, 3, 5, 17, 0))  # 01:00 on the 6th in Beijing
    assert "2026-03-06" in client.get(f"/articles/{article}").get_data(as_text=True)


def test_each_render_counts_one_view(app, client, make_article):
    article = make_article(views=0)
    for _ in range(3):
        client.get(f"/articles/{article}")
    assert views_of(app, article) == 3


def test_poll_reads_without_counting(app, client, make_article):
    article = make_article(views=7)
    response = client.get(f"/articles/{article}/views", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert ">7</span>" in html and 'hx-trigger="every 10s' in html
    assert views_of(app, article) == 7


def test_poll_interval_comes_from_config(app, client, make_article):
    app.config["VIEW_POLL_SECONDS"] = 2
    article = make_article()
    assert 'hx-trigger="every 2s' in client.get(f"/articles/{article}").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/articles/{id}", "/articles/{id}/views"])
def test_draft_article_is_404(app, client, make_article, path):
    draft = make_article(status=ArticleStatus.DRAFT, views=5)
    response = client.get(path.format(id=draft))
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
    assert views_of(app, draft) == 5


def test_unknown_article_is_404(client):
    assert client.get("/articles/999999").status_code == 404


def test_article_body_is_sanitized(client, make_article):
    article = make_article(body='<p onclick="x()">安全</p><script>alert(1)</script>')
    html = client.get(f"/articles/{article}").get_data(as_text=True)
    assert "<p>安全</p>" in html and "alert(1)" not in html


def test_titles_are_escaped(client, make_article):
    article = make_article(title='<img src=x onerror="alert(1)">标题')
    html = client.get(f"/articles/{article}").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_article_page_lists_related_articles_of_its_section(client, make_article):
    current = make_article(title="出口退税政策解读")
    related = make_article(title="出口退税办理指南")
    make_article(title="人民币汇率走势")  # same section, nothing in common
    make_article(section="guides", title="出口退税常见问题")  # another section
    make_article(title="出口退税新规草稿", status=ArticleStatus.DRAFT)
    html = client.get(f"/articles/{current}").get_data(as_text=True)
    listed = html[html.index('id="related-title"') :]
    assert f'href="/articles/{related}"' in listed
    assert "汇率走势" not in listed and "常见问题" not in listed and "草稿" not in listed
    assert f'href="/articles/{current}"' not in listed


def test_article_without_related_articles_shows_no_empty_list(client, make_article):
    current = make_article(title="独一无二的标题")
    assert "相关文章" not in client.get(f"/articles/{current}").get_data(as_text=True)
