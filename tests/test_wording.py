"""The Advertising-Law wording check: the checker, the word list page, the panel, the report."""

import re

import pytest
import sqlalchemy as sa
from flask import render_template, render_template_string
from hypothesis import given
from hypothesis import strategies as st

from app.extensions import db
from app.models import ArticleStatus, AuditAction, AuditEvent, Role, WordEntry, WordLevel
from app.wording.checker import (
    CONTEXT_CHARS,
    WordList,
    check_article,
    check_text,
    current_word_list,
    default_words,
    describe,
    ensure_word_list,
    fold,
    forbidden,
    html_text,
)
from tests.conftest import STAFF_PASSWORD

WORDS = WordList(
    forbidden=("最佳", "国家级", "一流"),
    caution=("最", "第一", "唯一", "TOP1"),
    exceptions=("最后", "最近", "第一季度", "唯一标识"),
)
HTMX = {"HX-Request": "true"}


def found(text, words=WORDS):
    return [(flag.phrase, flag.level) for flag in check_text(text, words)]


# The checker


def test_a_forbidden_and_a_caution_word():
    assert found("本地最佳") == [("最佳", WordLevel.FORBIDDEN)]
    assert found("本地最美") == [("最", WordLevel.CAUTION)]


@pytest.mark.parametrize("text", ["最后一天", "最近的展会", "第一季度出口", "唯一标识码"])
def test_ordinary_phrases_are_not_flagged(text):
    assert found(text) == []


def test_an_exception_covers_only_its_own_occurrence():
    assert found("最后是最美的") == [("最", WordLevel.CAUTION)]
    assert [flag.start for flag in check_text("最后是最美的", WORDS)] == [3]


def test_overlapping_words_are_reported_once_the_longest():
    assert found("最佳") == [("最佳", WordLevel.FORBIDDEN)]
    assert found("最最佳") == [("最", WordLevel.CAUTION), ("最佳", WordLevel.FORBIDDEN)]


def test_on_equal_length_the_more_severe_word_wins():
    # 第一 (提示) starts first, but 一流 (禁止) is as long and more severe.
    assert found("第一流") == [("一流", WordLevel.FORBIDDEN)]


def test_flags_come_in_text_order_with_their_offsets():
    flags = check_text("唯一的国家级最佳项目", WORDS, field="摘要")
    assert [(f.phrase, f.start, f.field) for f in flags] == [
        ("唯一", 0, "摘要"),
        ("国家级", 3, "摘要"),
        ("最佳", 6, "摘要"),
    ]


def test_latin_letters_match_in_any_case_and_width():
    assert found("品牌Top1、top1和ＴＯＰ１") == [("Top1", WordLevel.CAUTION)] + [
        ("top1", WordLevel.CAUTION),
        ("ＴＯＰ１", WordLevel.CAUTION),
    ]
    assert fold("ＡＢｃ") == "abc"


def test_the_context_is_about_twelve_characters_each_side():
    text = "一二三四五六七八九十甲乙丙丁最佳子丑寅卯辰巳午未申酉戌亥天"
    (flag,) = check_text(text, WORDS)
    assert flag.before == "三四五六七八九十甲乙丙丁" and len(flag.before) == CONTEXT_CHARS
    assert flag.after == "子丑寅卯辰巳午未申酉戌亥"
    (flag,) = check_text("上一段\n最佳\n下一段", WORDS)
    assert (flag.before, flag.after) == ("上一段 ", " 下一段")


@given(st.text(alphabet="最佳后近第一季度流唯标识 Tt", max_size=40))
def test_flags_never_overlap_and_point_at_the_text(text):
    flags = check_text(text, WORDS)
    spans = [(f.start, f.start + len(f.phrase)) for f in flags]
    assert spans == sorted(spans)
    assert all(
        end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False)
    )
    assert all(text[f.start : f.start + len(f.phrase)] == f.phrase for f in flags)


def test_html_text_removes_tags_and_decodes_entities():
    html = (
        '<p>一<strong>带<em>一</em>路</strong>&amp;<a href="/x?a=1&amp;b=2">链接</a>&lt;b&gt;</p>'
    )
    assert html_text(html) == "一带一路&链接<b>"


def test_html_text_keeps_paragraphs_apart():
    html = "<h2>标题</h2><p>本届最</p><p>佳展商</p><ul><li>甲</li><li>乙</li></ul>x<br>y"
    assert html_text(html) == "标题\n本届最\n佳展商\n甲\n乙\nx\ny"
    assert found(html_text(html)) == [("最", WordLevel.CAUTION)]


def test_html_text_leaves_out_scripts_and_collapses_spaces():
    assert html_text("<p>文 \n  字</p><script>最佳()</script><style>p{}</style>") == "文 字"
    assert html_text("") == ""


def test_check_article_covers_title_summary_and_body():
    flags = check_article("最佳", "唯一", "<p>国家<b>级</b></p>", WORDS)
    assert [(f.field, f.phrase) for f in flags] == [
        ("标题", "最佳"),
        ("摘要", "唯一"),
        ("正文", "国家级"),
    ]
    assert [f.phrase for f in forbidden(flags)] == ["最佳", "国家级"]


def test_the_summary_sentence():
    assert describe([]) == "未发现需要注意的用语。"
    assert describe(check_text("最佳最佳最", WORDS)) == "发现 2 处禁止用语、1 处提示用语。"
    assert describe(check_text("最", WORDS)) == "发现 1 处提示用语。"


# The shipped list


def test_the_default_list_is_sound():
    entries = default_words()
    assert len({fold(phrase) for phrase, _, _ in entries}) == len(entries)
    assert all(len(phrase) <= 50 and len(note) <= 200 for phrase, _, note in entries)
    levels = {phrase: level for phrase, level, _ in entries}
    assert {"国家级", "最高级", "最佳"} <= {
        p for p, lv in levels.items() if lv == WordLevel.FORBIDDEN
    }
    flagged = [p for p, lv in levels.items() if lv != WordLevel.EXCEPTION]
    # An exception that contains no listed word would never do anything.
    for phrase, level in levels.items():
        if level == WordLevel.EXCEPTION:
            assert any(fold(word) in fold(phrase) for word in flagged), phrase


def shipped() -> WordList:
    entries = default_words()
    pick = lambda wanted: tuple(p for p, level, _ in entries if level == wanted)  # noqa: E731
    return WordList(pick(WordLevel.FORBIDDEN), pick(WordLevel.CAUTION), pick(WordLevel.EXCEPTION))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("第一季度最后一周，最近公布的最新数据", []),
        ("位于国家级经济技术开发区", []),
        ("根据条例第一条，企业最迟于月底前申报", []),
        ("本市最佳营商环境", [("最佳", WordLevel.FORBIDDEN)]),
        ("国家级展会", [("国家级", WordLevel.FORBIDDEN)]),
        ("全国第一家", [("全国第一", WordLevel.CAUTION)]),
        ("绝对不能忽视，绝对安全", [("绝对", WordLevel.FORBIDDEN)]),
    ],
)
def test_the_default_list_on_council_sentences(text, expected):
    assert found(text, shipped()) == expected


# The list in the database


def test_ensure_word_list_loads_the_defaults_once(app):
    with app.app_context():
        db.session.execute(sa.delete(WordEntry))
        db.session.commit()
        assert ensure_word_list() == len(default_words())
        assert ensure_word_list() == 0
        db.session.execute(sa.delete(WordEntry).where(WordEntry.phrase == "最佳"))
        db.session.commit()
        assert ensure_word_list() == 0  # the list is the admins' now: nothing comes back
        count = db.session.scalar(sa.select(sa.func.count(WordEntry.id)))
        assert count == len(default_words()) - 1
        assert "最佳" not in current_word_list().forbidden


def test_the_word_list_is_read_afresh_on_every_check(app):
    with app.app_context():
        assert found("会展之都", current_word_list()) == []
        db.session.add(WordEntry(phrase="会展之都", level=WordLevel.CAUTION))
        db.session.commit()
        assert found("会展之都", current_word_list()) == [("会展之都", WordLevel.CAUTION)]


# The word list page


@pytest.fixture
def admin(auth, client):
    auth.login("wordadmin", roles=[Role.ADMIN])
    return client


def entry(app, phrase):
    with app.app_context():
        return db.session.scalar(sa.select(WordEntry).filter_by(phrase=phrase))


def word_events(app):
    with app.app_context():
        query = (
            sa.select(AuditEvent).filter_by(action=AuditAction.WORD_LIST).order_by(AuditEvent.id)
        )
        return [(e.actor, e.target, e.detail) for e in db.session.scalars(query)]


def group(page, level):
    """The HTML of one level's section of the list page."""
    match = re.search(rf'<section[^>]*id="level-{level}".*?</section>', page, re.S)
    return match.group(0)


def test_the_list_page_groups_the_words_by_level(admin):
    page = admin.get("/admin/wording").get_data(as_text=True)
    assert "<title>用语词表" in page
    assert [m for m in re.findall(r'id="level-\w+-title"[^>]*>(\w+)', page)] == [
        "禁止",
        "提示",
        "例外",
    ]
    assert "最佳" in group(page, "forbidden") and "《广告法》第九条第(三)项" in group(
        page, "forbidden"
    )
    assert "最后" in group(page, "exception") and "最后" not in group(page, "caution")
    for label in ("词语", "级别", "说明"):
        assert f">{label}</label>" in page


def test_adding_a_word(app, admin):
    data = {"phrase": " 会展之都 ", "level": "caution", "note": "城市宣传语"}
    response = admin.post("/admin/wording", data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/wording"
    page = admin.get("/admin/wording").get_data(as_text=True)
    assert "已添加“会展之都”(提示)" in page
    assert "会展之都" in group(page, "caution") and "城市宣传语" in group(page, "caution")
    assert word_events(app) == [("wordadmin", "词语 会展之都", "新增 会展之都(提示)：城市宣传语")]


@pytest.mark.parametrize("phrase", ["最佳", "top1", "ＴＯＰ１"])
def test_a_duplicate_is_refused(app, admin, phrase):
    response = admin.post("/admin/wording", data={"phrase": phrase, "level": "forbidden"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r'class="field__error"[^>]*>“(最佳|TOP1)”已在词表中', page)
    assert word_events(app) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(WordEntry.id))) == len(default_words())


def test_an_empty_word_is_refused(app, admin):
    page = admin.post("/admin/wording", data={"phrase": "  ", "level": "caution"}).get_data(
        as_text=True
    )
    assert "请填写词语。" in page and word_events(app) == []


def test_editing_a_word(app, admin):
    target = entry(app, "顶级")
    url = f"/admin/wording/{target.id}/edit"
    form = admin.get(url).get_data(as_text=True)
    assert 'value="顶级"' in form and '<option selected value="caution">' in form
    response = admin.post(url, data={"phrase": "顶级", "level": "forbidden", "note": "升级为禁止"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/wording"
    assert entry(app, "顶级").level == WordLevel.FORBIDDEN
    assert "顶级" in group(admin.get("/admin/wording").get_data(as_text=True), "forbidden")
    ((who, target_name, detail),) = word_events(app)
    assert (who, target_name) == ("wordadmin", "词语 顶级")
    assert detail.startswith("修改 顶级(提示)") and detail.endswith("→ 顶级(禁止)：升级为禁止")


def test_saving_an_unchanged_word_writes_no_audit_event(app, admin):
    target = entry(app, "最佳")
    data = {"phrase": target.phrase, "level": "forbidden", "note": target.note}
    assert admin.post(f"/admin/wording/{target.id}/edit", data=data).status_code == 303
    assert word_events(app) == []


def test_editing_into_a_duplicate_is_refused(app, admin):
    target = entry(app, "顶级")
    data = {"phrase": "最佳", "level": "caution"}
    page = admin.post(f"/admin/wording/{target.id}/edit", data=data).get_data(as_text=True)
    assert "“最佳”已在词表中(级别：禁止)" in page
    assert entry(app, "顶级") is not None and word_events(app) == []


def test_deleting_a_word_asks_first(app, admin):
    target = entry(app, "领先")
    url = f"/admin/wording/{target.id}/delete"
    page = admin.get(url).get_data(as_text=True)
    assert "确定从词表中删除“领先”(提示)?" in page and ">确认删除</button>" in page
    assert entry(app, "领先") is not None
    response = admin.post(url)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/wording"
    assert entry(app, "领先") is None
    assert "已删除“领先”" in admin.get("/admin/wording").get_data(as_text=True)
    assert word_events(app)[0][2].startswith("删除 领先(提示)")


def test_unknown_entries_are_404(admin):
    assert admin.get("/admin/wording/9999/edit").status_code == 404
    assert admin.post("/admin/wording/9999/delete").status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/admin/wording"),
        ("POST", "/admin/wording"),
        ("GET", "/admin/wording/1/edit"),
        ("POST", "/admin/wording/1/edit"),
        ("GET", "/admin/wording/1/delete"),
        ("POST", "/admin/wording/1/delete"),
    ],
)
def test_an_editor_cannot_change_the_list(app, auth, client, method, url):
    auth.login("writer", roles=[Role.EDITOR])
    data = {"phrase": "新词", "level": "forbidden"}
    response = client.open(url, method=method, data=data)
    assert response.status_code == 403
    assert "无权访问" in response.get_data(as_text=True)
    assert entry(app, "新词") is None and entry(app, "最佳").level == WordLevel.FORBIDDEN
    with app.app_context():
        assert db.session.get(WordEntry, 1) is not None


def test_the_list_page_needs_the_csrf_token(staff_app):
    app = staff_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    client.post(
        "/admin/login", data={"username": "boss", "password": STAFF_PASSWORD, "csrf_token": token}
    )
    data = {"phrase": "会展之都", "level": "caution"}
    assert client.post("/admin/wording", data=data).status_code == 400
    token = csrf_token(client.get("/admin/wording").get_data(as_text=True))
    assert client.post("/admin/wording", data={**data, "csrf_token": token}).status_code == 303


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


# The panel


@pytest.fixture
def editor(auth, client):
    auth.login("writer", roles=[Role.EDITOR])
    return client


def test_the_check_returns_the_panel_fragment(app, editor):
    before = word_events(app), audit_count(app)
    data = {
        "title": "本市最佳营商环境",
        "summary": "第一季度",
        "body": "<p>唯一的</p><p>国家级展会</p>",
    }
    response = editor.post("/admin/wording/check", data=data, headers=HTMX)
    assert response.status_code == 200
    panel = response.get_data(as_text=True)
    assert "<html" not in panel
    assert panel.lstrip().startswith(
        '<aside id="wording-panel" class="wording-panel" data-live-panel'
    )
    assert '<h2 id="wording-panel-title">广告法用语检查</h2>' in panel
    assert re.search(r'aria-live="polite">发现 2 处禁止用语、1 处提示用语。<', panel)
    items = re.findall(r"<li class=\"wording-flag\">(.*?)</li>", panel, re.S)
    assert len(items) == 3
    assert "禁止" in items[0] and "标题" in items[0] and "本市<mark>最佳</mark>营商环境" in items[0]
    assert "提示" in items[1] and "正文" in items[1] and "<mark>唯一</mark>的" in items[1]
    assert "国家级" in items[2] and "第一季度" not in panel
    assert (word_events(app), audit_count(app)) == before  # read only


def audit_count(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))


def test_the_panel_says_when_nothing_was_found(editor):
    data = {"title": "最后一周", "summary": "", "body": "<p>最近的展会</p>"}
    panel = editor.post("/admin/wording/check", data=data, headers=HTMX).get_data(as_text=True)
    assert "未发现需要注意的用语。" in panel and "<li" not in panel


def test_the_panel_escapes_what_was_typed(editor):
    data = {"title": "<b>最佳</b>", "body": "<p>&lt;script&gt;最</p>"}
    panel = editor.post("/admin/wording/check", data=data, headers=HTMX).get_data(as_text=True)
    assert "<b>" not in panel and "&lt;b&gt;<mark>最佳</mark>" in panel
    assert "<script>" not in panel and "&lt;script&gt;<mark>最</mark>" in panel


def test_a_long_article_is_checked_whole(editor):
    # Percent-encoded, 30,000 characters are ~270 KB: far over the site-wide request limit.
    body = "<p>" + "展" * 30_000 + "</p><p>最佳</p>"
    response = editor.post("/admin/wording/check", data={"body": body}, headers=HTMX)
    assert response.status_code == 200
    assert "<mark>最佳</mark>" in response.get_data(as_text=True)


def test_a_long_list_of_flags_is_cut_short(editor):
    panel = editor.post("/admin/wording/check", data={"body": "最佳" * 130}).get_data(as_text=True)
    assert "发现 130 处禁止用语。" in panel
    assert panel.count("<mark>") == 100 and "另有 30 处未列出" in panel


def test_an_admin_edit_takes_effect_in_the_next_check(admin):
    data = {"title": "打造会展之都"}
    assert "<mark>" not in admin.post("/admin/wording/check", data=data).get_data(as_text=True)
    admin.post("/admin/wording", data={"phrase": "会展之都", "level": "forbidden"})
    panel = admin.post("/admin/wording/check", data=data).get_data(as_text=True)
    assert "<mark>会展之都</mark>" in panel


def test_a_responder_cannot_use_the_check(auth, client):
    auth.login("answerer", roles=[Role.RESPONDER])
    assert client.post("/admin/wording/check", data={"title": "最佳"}).status_code == 403


def test_the_panel_can_be_included_with_flags(app):
    flags = check_article("最佳", "", "", WORDS)
    with app.test_request_context():
        page = render_template_string(
            '<main>{% include "wording/_panel.html" %}</main>', flags=flags
        )
        empty = render_template("wording/_panel.html")
    assert 'id="wording-panel"' in page and "<mark>最佳</mark>" in page
    assert "发现 1 处禁止用语。" in page
    assert "未发现需要注意的用语。" in empty


# The report


def test_check_wording_reports_published_articles(runner, make_article):
    flagged = make_article(title="本市最佳营商环境", summary="", body="<p>唯一的展会</p>")
    make_article(title="第一季度外贸数据", body="<p>最近发布</p>")
    make_article(title="草稿里的最佳", status=ArticleStatus.DRAFT)
    result = runner.invoke(args=["check-wording"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"文章 {flagged}《本市最佳营商环境》" in lines
    assert "  [禁止] 标题：本市【最佳】营商环境" in lines
    assert "  [提示] 正文：【唯一】的展会" in lines
    assert "草稿" not in result.output and "第一季度外贸数据" not in result.output
    assert lines[-1] == "共检查 2 篇已发布文章，其中 1 篇发现 1 处禁止用语、1 处提示用语。"


def test_check_wording_with_nothing_to_report(runner, make_article):
    make_article(title="第一季度外贸数据")
    result = runner.invoke(args=["check-wording"])
    assert result.output.strip() == "共检查 1 篇已发布文章，未发现需要注意的用语。"


def test_public_pages_are_never_masked(client, make_article):
    article = make_article(title="最后一批最佳展商", body="<p>最佳</p>")
    page = client.get(f"/articles/{article}").get_data(as_text=True)
    assert "最后一批最佳展商" in page and "*后" not in page and "最*" not in page
