"""The article editor: create, publish, schedule, sanitise, conflicts, revisions, preview."""

import io
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import joinedload

import app.pagecache as pagecache
import app.public.routes as public_routes
from app.articles.service import Action, ArticleFields, save_article
from app.extensions import db
from app.models import Article, ArticleRevision, ArticleStatus, AuditAction, AuditEvent, Role
from app.models.base import utcnow
from app.models.content import sanitize_html

NEW = "/admin/articles/new"


@pytest.fixture
def editor(auth):
    """The test client, signed in as an account holding only the 编辑 role."""
    auth.login("editor", roles=[Role.EDITOR])
    return auth._client


def form(**fields):
    values = {
        "title": "关于举办跨境电商培训的通知",
        "section": "1",
        "summary": "培训安排",
        "source": "市贸促会",
        "body": "<h2>培训安排</h2><p>请各企业报名。</p>",
        "action": "publish",
    }
    return {**values, **fields}


def article_row(app, **where):
    """The article as stored, its creator loaded (usable after the app context ends)."""
    with app.app_context():
        query = sa.select(Article).filter_by(**where).options(joinedload(Article.created_by))
        return db.session.scalar(query)


def version_of(page: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


def test_the_form_has_the_labelled_fields_and_buttons(editor):
    page = editor.get(NEW).get_data(as_text=True)
    for label in ("标题", "栏目", "摘要", "数据来源", "发布日期", "正文", "附件"):
        assert f">{label}</label>" in page
    assert 'type="datetime-local"' in page
    for button in ("保存草稿", "预览", "发布"):
        assert re.search(rf">{button}(<span|</button>)", page)
    assert 'enctype="multipart/form-data"' in page
    list_page = editor.get("/admin/articles/").get_data(as_text=True)
    assert ">新建文章</a>" in list_page


def test_a_published_article_is_on_the_home_page_its_section_and_its_own_page(app, editor, client):
    response = editor.post(NEW, data=form())
    assert response.status_code == 303
    article = article_row(app, title="关于举办跨境电商培训的通知")
    assert response.headers["Location"] == f"/admin/articles/{article.id}"
    assert article.status == ArticleStatus.PUBLISHED and article.created_by.username == "editor"
    assert "关于举办跨境电商培训的通知" in client.get("/").get_data(as_text=True)
    assert "关于举办跨境电商培训的通知" in client.get("/news/").get_data(as_text=True)
    page = client.get(f"/articles/{article.id}").get_data(as_text=True)
    assert "<h2>培训安排</h2>" in page and "请各企业报名。" in page


def test_a_draft_and_an_offline_article_are_not_public(app, editor, client):
    editor.post(NEW, data=form(action="draft", title="草稿文章"))
    draft = article_row(app, title="草稿文章")
    assert draft.status == ArticleStatus.DRAFT
    assert client.get(f"/articles/{draft.id}").status_code == 404
    editor.post(NEW, data=form(title="将下线的文章"))
    shown = article_row(app, title="将下线的文章")
    assert client.get(f"/articles/{shown.id}").status_code == 200
    page = editor.get(f"/admin/articles/{shown.id}").get_data(as_text=True)
    editor.post(
        f"/admin/articles/{shown.id}",
        data=form(title="将下线的文章", action="offline", version=version_of(page)),
    )
    assert article_row(app, id=shown.id).status == ArticleStatus.OFFLINE
    assert client.get(f"/articles/{shown.id}").status_code == 404
    assert "将下线的文章" not in client.get("/news/").get_data(as_text=True)


def test_a_scheduled_article_appears_at_its_time_without_any_job(app, editor, client, monkeypatch):
    # 发布日期 in Beijing time, two days ahead.
    when = utcnow() + timedelta(days=2)
    local = (when + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")
    editor.post(NEW, data=form(title="定时发布的通知", published_at=local))
    article = article_row(app, title="定时发布的通知")
    assert article.status == ArticleStatus.PUBLISHED and article.published_at > utcnow()
    assert client.get(f"/articles/{article.id}").status_code == 404
    assert "定时发布的通知" not in client.get("/").get_data(as_text=True)
    listing = editor.get("/admin/articles/?status=scheduled").get_data(as_text=True)
    assert "定时发布的通知" in listing and "定时发布</span>" in listing

    for module in (public_routes, pagecache):  # the pages kept until then are stale now
        monkeypatch.setattr(module, "utcnow", lambda: when + timedelta(minutes=1))
    assert client.get(f"/articles/{article.id}").status_code == 200
    assert "定时发布的通知" in client.get("/").get_data(as_text=True)
    assert "定时发布的通知" in client.get("/news/").get_data(as_text=True)


def test_the_form_refuses_a_missing_title_and_keeps_what_was_typed(editor):
    response = editor.post(NEW, data=form(title="  ", body="<p>已输入的正文</p>"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "请填写标题。" in page
    assert "已输入的正文" in page


HOSTILE = [
    ("<script>alert(1)</script><p>正文</p>", "<script"),
    ('<img src="x" alt="a" onerror="alert(1)">', "onerror"),
    ('<a href="javascript:alert(1)">点我</a>', "javascript:"),
    ('<p style="color:red" onclick="x()">红</p>', "style="),
    ("<svg><script>alert(1)</script></svg>", "<svg"),
    ('<img src="data:image/png;base64,AAAA" alt="a">', "data:"),
    ('<p><b><i>嵌套</b></i><table><tr><td>格<td></table><iframe src="//evil">', "<iframe"),
    ('<a href="https://example.org/">外链</a>', 'target="'),
]


@pytest.mark.parametrize(("body", "forbidden"), HOSTILE)
def test_hostile_bodies_are_stored_sanitised(app, editor, client, body, forbidden):
    editor.post(NEW, data=form(title="含恶意代码的文章", body=body))
    article = article_row(app, title="含恶意代码的文章")
    assert forbidden not in article.body
    assert (
        forbidden
        not in client.get(f"/articles/{article.id}")
        .get_data(as_text=True)
        .split('class="article__body"')[1]
        .split("</article>")[0]
    )


def test_external_links_get_noopener_and_media_images_keep_their_size(app, editor):
    body = (
        '<p><a href="https://example.org/">外链</a>'
        '<img src="/media/abc/x.png" alt="图" width="10" height="5"></p>'
    )
    editor.post(NEW, data=form(title="链接", body=body))
    stored = article_row(app, title="链接").body
    assert 'rel="noopener"' in stored
    assert '<img src="/media/abc/x.png" alt="图" width="10" height="5">' in stored


HTML = st.recursive(
    st.text(alphabet="<>/=\"' abcdefghijklmnopqrstuvwxyz中文:;&#", max_size=20),
    lambda inner: st.builds(
        lambda tag, attr, value, content: f'<{tag} {attr}="{value}">{content}</{tag}>',
        st.sampled_from(["p", "a", "img", "script", "svg", "style", "table", "td", "iframe", "b"]),
        st.sampled_from(["href", "src", "onclick", "onerror", "style", "alt", "onload"]),
        st.sampled_from(["javascript:alert(1)", "https://x.cn", "data:text/html,x", "x", "/m"]),
        st.lists(inner, max_size=3).map("".join),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(HTML)
@example('<a href="x"><table><a href="x"></a></table></a>')  # a link in a link, repaired twice
def test_the_sanitiser_is_stable_and_never_leaves_a_handler(html):
    clean = sanitize_html(html)
    assert sanitize_html(clean) == clean
    assert not re.search(r"<[^>]*\son\w+\s*=", clean, re.I)
    assert not re.search(r"<(script|style|svg|iframe)", clean, re.I)
    assert not re.search(r"<[^>]*\s(href|src)=\"\s*(javascript|data|vbscript):", clean, re.I)


def test_an_image_without_alt_text_is_refused(app, editor):
    response = editor.post(NEW, data=form(title="无替代文本", body='<p><img src="/m.png"></p>'))
    assert response.status_code == 422
    assert "替代文本" in response.get_data(as_text=True)
    assert article_row(app, title="无替代文本") is None


def test_a_later_save_over_a_colleagues_newer_one_is_refused_and_keeps_the_typed_text(
    app, auth, editor
):
    editor.post(NEW, data=form(title="两人同时编辑", body="<p>原文</p>"))
    article = article_row(app, title="两人同时编辑")
    mine = editor.get(f"/admin/articles/{article.id}").get_data(as_text=True)
    colleague = app.test_client()
    type(auth)(app, colleague).login("colleague", roles=[Role.EDITOR])
    theirs = colleague.get(f"/admin/articles/{article.id}").get_data(as_text=True)
    saved = colleague.post(
        f"/admin/articles/{article.id}",
        data=form(title="两人同时编辑", body="<p>同事的修改</p>", version=version_of(theirs)),
    )
    assert saved.status_code == 303

    refused = editor.post(
        f"/admin/articles/{article.id}",
        data=form(title="两人同时编辑", body="<p>我的修改</p>", version=version_of(mine)),
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "colleague 在您打开后修改了这篇文章" in page
    assert "同事的修改" in page and "我的修改" in page  # their change shown, my text kept
    assert "同事的修改" in article_row(app, id=article.id).body

    again = editor.post(
        f"/admin/articles/{article.id}",
        data=form(title="两人同时编辑", body="<p>我的修改</p>", version=version_of(page)),
    )
    assert again.status_code == 303
    assert "我的修改" in article_row(app, id=article.id).body


def test_a_save_without_the_version_is_refused(app, editor):
    editor.post(NEW, data=form(title="缺版本"))
    article = article_row(app, title="缺版本")
    response = editor.post(f"/admin/articles/{article.id}", data=form(title="缺版本改"))
    assert response.status_code == 409


def test_revisions_are_listed_compared_and_restored(app, editor):
    editor.post(NEW, data=form(title="修订测试", body="<p>第一版</p>", action="draft"))
    article = article_row(app, title="修订测试")
    page = editor.get(f"/admin/articles/{article.id}").get_data(as_text=True)
    editor.post(
        f"/admin/articles/{article.id}",
        data=form(title="修订测试(改)", body="<p>第二版</p>", action="draft",
                  version=version_of(page)),
    )  # fmt: skip
    history = editor.get(f"/admin/articles/{article.id}/revisions").get_data(as_text=True)
    assert history.count("editor") >= 2 and "新建草稿" in history and "修改" in history
    with app.app_context():
        first, second = db.session.scalars(
            sa.select(ArticleRevision.id).order_by(ArticleRevision.id)
        ).all()
    diff = editor.get(
        f"/admin/articles/{article.id}/revisions/compare?a={first}&b={second}"
    ).get_data(as_text=True)
    assert '<del><span class="visually-hidden">删除：</span>&lt;p&gt;第一版&lt;/p&gt;</del>' in diff
    assert "第二版" in diff and "标题" in diff

    restored = editor.post(f"/admin/articles/{article.id}/revisions/{first}/restore")
    assert restored.status_code == 303
    row = article_row(app, id=article.id)
    assert row.title == "修订测试" and "第一版" in row.body
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count(ArticleRevision.id)))
    assert count == 3


def test_a_page_view_changes_neither_updated_at_nor_the_version(app, editor, client):
    editor.post(NEW, data=form(title="浏览不改时间"))
    before = article_row(app, title="浏览不改时间")
    for _ in range(3):
        client.get(f"/articles/{before.id}")
    after = article_row(app, id=before.id)
    assert after.views == before.views + 3
    assert after.updated_at == before.updated_at and after.version == before.version


def test_preview_shows_the_unsaved_form_as_visitors_would_and_counts_no_view(app, editor):
    editor.post(NEW, data=form(title="预览测试"))
    article = article_row(app, title="预览测试")
    response = editor.post(
        f"/admin/articles/preview?article={article.id}",
        data=form(title="预览测试(未保存的标题)", body="<p>尚未保存的正文</p>"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>预览</strong>" in page and 'content="noindex' in page
    assert "预览测试(未保存的标题)" in page and "尚未保存的正文" in page
    assert "/views" not in page  # no live view-count poll either
    row = article_row(app, id=article.id)
    assert row.views == article.views and row.title == "预览测试"


def test_publishing_a_forbidden_word_is_refused_then_allowed_with_an_admins_reason(app, auth):
    client = auth._client
    auth.login("chief", roles=[Role.ADMIN, Role.EDITOR])
    refused = client.post(NEW, data=form(title="全市最佳服务", body="<p>我们是最佳的。</p>"))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "不能发布" in page and "最佳" in page
    assert "豁免理由" in page and "全市最佳服务" in page
    assert article_row(app, title="全市最佳服务") is None

    allowed = client.post(
        NEW,
        data=form(title="全市最佳服务", body="<p>我们是最佳的。</p>",
                  override_reason="引用获奖名称原文"),
    )  # fmt: skip
    assert allowed.status_code == 303
    assert article_row(app, title="全市最佳服务").status == ArticleStatus.PUBLISHED
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == AuditAction.OVERRIDE)
        )
    assert "引用获奖名称原文" in event.detail and event.actor == "chief"
    assert "引用获奖名称原文" in client.get("/admin/audit").get_data(as_text=True)


def test_an_editor_cannot_override_the_wording_check(app, editor):
    response = editor.post(NEW, data=form(title="最佳", override_reason="我想发布"))
    assert response.status_code == 422
    assert article_row(app, title="最佳") is None
    assert "豁免理由" not in response.get_data(as_text=True)


def test_caution_words_never_block_and_the_public_page_masks_nothing(app, editor, client):
    editor.post(NEW, data=form(title="最后一公里与第一批企业", body="<p>最快的办理方式</p>"))
    article = article_row(app, title="最后一公里与第一批企业")
    page = client.get(f"/articles/{article.id}").get_data(as_text=True)
    assert (
        "最后一公里与第一批企业" in page
        and "最快的办理方式" in page
        and "*" not in page.split('class="article__body"')[1].split("</div>")[0]
    )


def test_attachments_are_listed_under_the_article_and_fake_images_refused(app, editor, client):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    response = editor.post(
        NEW,
        data=form(title="带附件的通知", attachments=[(io.BytesIO(pdf), "培训通知.pdf")]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    article = article_row(app, title="带附件的通知")
    page = client.get(f"/articles/{article.id}").get_data(as_text=True)
    assert ">附件</h2>" in page and "培训通知.pdf" in page and "PDF" in page

    fake = editor.post(
        NEW,
        data=form(title="假图片", image=(io.BytesIO(b"<?php system($_GET[1]); ?>"), "a.jpg"),
                  image_alt="图"),
        content_type="multipart/form-data",
    )  # fmt: skip
    assert fake.status_code == 415 and "不支持的文件类型" in fake.get_data(as_text=True)
    assert article_row(app, title="假图片") is None


def test_demo_articles_are_imported_through_the_editors_save(app, runner):
    assert "已添加 30 篇示例文章" in runner.invoke(args=["seed-demo"]).output
    with app.app_context():
        revisions = db.session.scalar(sa.select(sa.func.count(ArticleRevision.id)))
        published = db.session.scalar(
            sa.select(sa.func.count(Article.id)).where(Article.status == ArticleStatus.PUBLISHED)
        )
    assert revisions == 30 and published == 30
    assert "已添加 0 篇示例文章" in runner.invoke(args=["seed-demo"]).output


def test_save_article_sanitises_whoever_calls_it(app):
    with app.app_context():
        wanted = ArticleFields(title="命令行", section_id=1, body='<p onclick="x">文</p>',
                               published_at=datetime(2026, 1, 1))  # fmt: skip
        article = save_article(None, wanted, Action.PUBLISH, None)
        assert article.body == "<p>文</p>"


def test_a_tables_first_row_becomes_its_header_row(app, editor):
    body = (
        '<table><tbody><tr><td>日期</td><td colspan="2">内容</td></tr>'
        "<tr><td>1日</td><td>培训</td></tr></tbody></table>"
    )
    editor.post(NEW, data=form(title="表格", body=body))
    stored = article_row(app, title="表格").body
    assert (
        '<thead><tr><th scope="col">日期</th><th scope="col" colspan="2">内容</th></tr></thead>'
        in stored
    )
    assert "<tbody><tr><td>1日</td><td>培训</td></tr></tbody>" in stored
