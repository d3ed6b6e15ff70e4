"""Editors write, check and publish articles in a real browser; visitors read what they wrote."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.editorial_fixtures import (
    KEPT,
    PASSWORD,
    Showcase,
    add_showcase_article,
    body_editor,
    compose,
    fill_article_fields,
    format_paragraph,
    pdf_bytes,
    png_bytes,
    sign_in,
    type_with_ime,
    upload,
    word_clipboard_html,
)
from tests.browser.judges import axe_violations, nu_errors
from tests.live import live_server

EDITOR = "wang.editor"  # 编辑 only
CHIEF = "li.chief"  # 系统管理员 and 编辑
PUBLISHED = "文章已发布，访客现在即可看到。"


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory):
    """A site of its own (demo content, two workers), so these articles disturb no other test."""
    database = f"sqlite:///{tmp_path_factory.mktemp('newsroom') / 'site.db'}"
    with live_server(database, workers=2, VIEW_POLL_SECONDS=1) as server:
        server.flask("create-admin", EDITOR, "--password", PASSWORD, "--role", "editor")
        server.flask(
            "create-admin", CHIEF, "--password", PASSWORD, "--role", "admin", "--role", "editor"
        )
        server.database = database
        yield server


@pytest.fixture(scope="module")
def showcase(newsroom) -> Showcase:
    """A published article with a table, an image and two attachments, saved twice."""
    return add_showcase_article(newsroom.database)


def published_id(page) -> int:
    """After 发布: the notice is shown on the article's edit page; return the article's id."""
    expect(page.get_by_role("status").filter(has_text=PUBLISHED)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/articles/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def view_count(page) -> int:
    return int(page.locator(".view-count").inner_text())


def test_an_editor_writes_with_every_tool_and_visitors_read_it_exactly(browser, context, newsroom):
    site = newsroom.url
    title = "关于举办跨境电商实务培训的通知"
    page = context.new_page()
    sign_in(page, site, EDITOR, "/admin/articles")
    page.get_by_role("link", name="新建文章").click()
    expect(page.get_by_role("heading", level=1, name="新建文章")).to_be_visible()
    fill_article_fields(
        page, title, "今日要闻",
        摘要="培训面向会员企业，免费参加。", 数据来源="贸促会培训中心", 署名="记者 刘晓岚",
    )  # fmt: skip

    # 正文: a heading, a paragraph typed through a Chinese input method, then a table.
    editor = body_editor(page)
    editor.click()
    cdp = context.new_cdp_session(page)
    page.keyboard.insert_text("培训安排")
    format_paragraph(page, "二级标题")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    type_with_ime(cdp, ["p", "pei", "peix", "peixun", "培训"], "培训")
    type_with_ime(cdp, ["shi", "shij", "shijian", "时间"], "时间")
    page.keyboard.insert_text("为五月八日上午九时，")
    type_with_ime(cdp, ["qing", "qingan", "请按"], "请按")
    page.keyboard.insert_text("时到场。")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="插入表格").click()
    cells = ["日期", "内容", "地点", "5月8日", "开班仪式", "会议室"]
    for n, text in enumerate(cells):
        if n:
            page.keyboard.press("Tab")
        if text == "会议室":
            type_with_ime(cdp, ["hui", "huiyi", "huiyishi", "会议室"], text)
        else:
            page.keyboard.insert_text(text)

    # A picture wider than the site keeps, through the 插入图片 dialog, at the end.
    page.keyboard.press("Control+End")
    page.get_by_role("button", name="插入图片").click()
    dialog = page.get_by_role("dialog", name="插入图片")
    dialog.get_by_label("图片文件").set_input_files(upload("教室.png", png_bytes(), "image/png"))
    dialog.get_by_label("替代文本").fill("培训教室全景")
    dialog.get_by_role("button", name="插入").click()
    expect(dialog).to_be_hidden()
    expect(editor.locator("img")).to_have_attribute("alt", "培训教室全景")
    notice = upload("培训通知.pdf", pdf_bytes("training notice"), "application/pdf")
    page.get_by_label("附件", exact=True).set_input_files(notice)

    # 预览 opens a new tab with what visitors will see.
    with context.expect_page() as opened:
        page.get_by_role("button", name="预览").click()
    preview = opened.value
    expect(preview.get_by_role("status").filter(has_text="预览")).to_be_visible()
    expect(preview.get_by_role("heading", level=1)).to_have_text(title)
    expect(preview.locator(".article__body p").first).to_have_text(
        "培训时间为五月八日上午九时，请按时到场。"
    )
    preview.close()

    page.get_by_role("button", name="发布").click()
    article_id = published_id(page)

    # A visitor finds it on the home page and in its section, and reads it as typed.
    visitor = browser.new_context(locale="zh-CN")
    reader = visitor.new_page()
    reader.goto(site + "/")
    expect(reader.get_by_role("link", name=title)).to_have_attribute(
        "href", f"/articles/{article_id}"
    )
    reader.get_by_role("navigation", name="栏目导航").get_by_role("link", name="今日要闻").click()
    reader.locator("#article-list").get_by_role("link", name=title).click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(title)
    body = reader.locator(".article__body")
    expect(body.get_by_role("heading", level=2)).to_have_text("培训安排")
    expect(body.locator("p").first).to_have_text("培训时间为五月八日上午九时，请按时到场。")
    expect(body.locator("table tr").first.locator("td, th")).to_have_text(cells[:3])
    expect(body.locator("table tr").nth(1).locator("td, th")).to_have_text(cells[3:])
    image = body.get_by_role("img", name="培训教室全景")
    expect(image).to_have_attribute("width", str(KEPT[0]))
    expect(image).to_have_attribute("height", str(KEPT[1]))
    assert image.evaluate("img => img.complete && img.naturalWidth") == KEPT[0]
    expect(reader.get_by_text("（记者 刘晓岚）", exact=True)).to_be_visible()
    attachments = reader.get_by_role("region", name="附件")
    expect(attachments.get_by_role("listitem")).to_have_text(
        re.compile(r"^培训通知\.pdf （PDF，\d+ B）$")
    )
    assert view_count(reader) == 1
    with reader.expect_download() as downloading:
        attachments.get_by_role("link", name="培训通知.pdf").click()
    assert downloading.value.suggested_filename == "培训通知.pdf"

    # 预览 of the published article counts no view: the visitor's next visit makes it 2.
    with context.expect_page() as opened:
        page.get_by_role("button", name="预览").click()
    expect(opened.value.get_by_role("status").filter(has_text="预览")).to_be_visible()
    reader.reload()
    assert view_count(reader) == 2
    visitor.close()


def test_without_javascript_the_body_is_html_in_a_textarea(browser, newsroom):
    site = newsroom.url
    title = "无脚本发布的展会通知"
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    sign_in(page, site, EDITOR, "/admin/articles")
    page.get_by_role("link", name="新建文章").click()
    fill_article_fields(page, title, "贸易指南", 摘要="不用脚本也能发布。")
    body = page.get_by_role("textbox", name="正文", exact=True)
    expect(body).to_have_js_property("tagName", "TEXTAREA")
    body.fill("<h2>展会日程</h2>\n<p>展会为期三天，欢迎参观。</p>")
    page.get_by_label("上传图片").set_input_files(
        upload("展台.png", png_bytes(colour=(30, 140, 60)), "image/png")
    )
    page.get_by_label("图片替代文本").fill("展台外景")
    page.get_by_role("button", name="发布").click()
    article_id = published_id(page)
    expect(page.get_by_role("textbox", name="正文", exact=True)).to_contain_text("展台外景")
    context.close()

    reader = browser.new_context(locale="zh-CN").new_page()
    reader.goto(site + "/guides/")
    reader.locator("#article-list").get_by_role("link", name=title).click()
    expect(reader).to_have_url(re.compile(rf"/articles/{article_id}$"))
    article = reader.locator(".article__body")
    expect(article.get_by_role("heading", level=2)).to_have_text("展会日程")
    expect(article.locator("p")).to_have_text("展会为期三天，欢迎参观。")
    image = article.get_by_role("img", name="展台外景")
    expect(image).to_have_attribute("width", str(KEPT[0]))
    expect(image).to_have_attribute("height", str(KEPT[1]))
    reader.context.close()


def test_forbidden_words_are_shown_while_typing_and_only_a_chief_may_publish_them(
    browser, context, newsroom
):
    site = newsroom.url
    title = "本会外贸咨询服务上线"
    reason = "引用评审委员会评语原文，已核实出处。"
    page = context.new_page()
    sign_in(page, site, EDITOR, "/admin/articles/new")
    fill_article_fields(page, title, "今日要闻")
    editor = body_editor(page)
    editor.click()
    cdp = context.new_cdp_session(page)
    page.keyboard.insert_text("本会为会员提供")
    with page.expect_response(re.compile("/admin/wording/check")):  # the panel updates meanwhile
        compose(cdp, ["zui", "zuij", "zuijia"])
    type_with_ime(cdp, ["最佳"], "最佳")
    page.keyboard.insert_text("的外贸咨询服务。")

    # The panel lists the word with its context; the caret stays where the editor types.
    panel = page.get_by_role("complementary", name="广告法用语检查")
    flags = panel.get_by_role("listitem")
    expect(flags).to_have_count(1)
    expect(flags).to_contain_text("禁止")
    expect(flags).to_contain_text("正文")
    expect(flags.locator("mark")).to_have_text("最佳")
    expect(flags).to_contain_text("为会员提供最佳的外贸咨询服务")
    expect(editor).to_be_focused()
    page.keyboard.insert_text("最后，此项服务最受欢迎。")
    expect(flags).to_have_count(2)  # 最后 is an exception; 最受 is a 提示
    expect(flags.nth(1)).to_contain_text("提示")
    expect(flags.nth(1)).to_contain_text("此项服务最受欢迎")
    expect(editor).to_be_focused()
    typed = "本会为会员提供最佳的外贸咨询服务。最后，此项服务最受欢迎。"
    expect(editor).to_have_text(typed)

    # 发布 is refused; what was typed is still there; an 编辑 is offered no way around it.
    page.get_by_role("button", name="发布").click()
    expect(page.get_by_role("alert")).to_have_text(
        "不能发布：文中含有广告法禁止用语(最佳)。请修改后再发布。"
    )
    expect(page.get_by_label("标题", exact=True)).to_have_value(title)
    expect(body_editor(page)).to_have_text(typed)
    expect(page.get_by_label("豁免理由")).to_have_count(0)
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("status").filter(has_text="草稿已保存。")).to_be_visible()

    # A 系统管理员 publishes it with a reason, which the audit log keeps.
    chief = browser.new_context(locale="zh-CN").new_page()
    sign_in(chief, site, CHIEF, "/admin/articles")
    chief.get_by_role("link", name=title).click()
    chief.get_by_role("button", name="发布").click()
    expect(chief.get_by_role("alert")).to_contain_text("不能发布")
    chief.get_by_label("豁免理由").fill(reason)
    chief.get_by_role("button", name="发布").click()
    article_id = published_id(chief)
    chief.goto(site + "/admin/audit")
    entry = chief.get_by_role("row").filter(has_text=reason)
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(CHIEF)
    expect(entry).to_contain_text("最佳")
    expect(entry).to_contain_text(title)
    chief.goto(site + f"/articles/{article_id}")
    expect(chief.locator(".article__body")).to_have_text(typed)
    chief.context.close()


PASTE = """(editor, html) => {
  const data = new DataTransfer();
  data.setData("text/html", html);
  data.setData("text/plain", "一、申报条件");
  editor.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true,
                                                    cancelable: true}));
}"""


def test_pasting_from_word_keeps_the_structure_and_drops_office_styling(page, newsroom):
    sign_in(page, newsroom.url, EDITOR, "/admin/articles/new")
    fill_article_fields(page, "企业申报材料清单", "贸易指南")
    editor = body_editor(page)
    editor.click()
    editor.evaluate(PASTE, word_clipboard_html())
    expect(editor.get_by_role("heading", level=2)).to_have_text("一、申报条件")
    expect(editor.locator("[style], [class*=Mso], [lang], font")).to_have_count(0)
    sent = page.locator("textarea[name=body]").input_value()  # what 保存草稿 will send
    assert "style=" not in sent and "<span" not in sent, sent
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("status").filter(has_text="草稿已保存。")).to_be_visible()

    # The saved article, reopened: the structure is there, the Office styling is not.
    stored = page.locator("textarea[name=body]").input_value()
    assert "<h2>一、申报条件</h2>" in stored
    assert re.search(r"<(strong|b)>粗体</\1>与普通文字", stored)
    assert "<ol><li>第一项材料</li><li>第二项材料</li></ol>" in stored
    assert "<ul><li>营业执照</li><li>报关单</li></ul>" in stored
    assert "<p>红色强调文字</p>" in stored
    for office in ("style=", "class=", "Mso", "mso-", "<span", "<o:p", "font", "color", "lang="):
        assert office not in stored, f"{office} was kept: {stored}"
    editor = body_editor(page)
    expect(editor.get_by_role("heading", level=2)).to_have_text("一、申报条件")
    expect(editor.locator("strong, b")).to_have_text("粗体")
    expect(editor.get_by_role("listitem")).to_have_text(
        ["第一项材料", "第二项材料", "营业执照", "报关单"]
    )
    expect(editor.locator("[style]")).to_have_count(0)


def editorial_pages(showcase: Showcase) -> dict[str, str]:
    """``{name: path}`` of the pages of the editorial work, admin and public."""
    article, (older, newer) = showcase.article_id, showcase.revision_ids
    return {
        "article list": "/admin/articles",
        "new article": "/admin/articles/new",
        "edit article": f"/admin/articles/{article}",
        "revisions": f"/admin/articles/{article}/revisions",
        "compare": f"/admin/articles/{article}/revisions/compare?a={older}&b={newer}",
        "users": "/admin/users",
        "new user": "/admin/users/new",
        "sections": "/admin/sections",
        "word list": "/admin/wording",
        "public article": f"/articles/{article}",
    }


def pages_after_actions(page, site: str, showcase: Showcase):
    """Yield ``(name, page)`` for pages reached by acting: a refused form twice, a preview."""
    page.goto(site + "/admin/articles/new")
    page.get_by_role("button", name="发布").click()
    expect(page.get_by_text("请填写标题。")).to_be_visible()
    yield "form with errors", page
    fill_article_fields(page, "本会提供最佳服务")
    page.get_by_role("button", name="发布").click()
    expect(page.get_by_label("豁免理由")).to_be_visible()
    yield "form refused for its wording", page
    page.goto(site + f"/admin/articles/{showcase.article_id}")
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="预览").click()
    preview = opened.value
    expect(preview.get_by_role("status").filter(has_text="预览")).to_be_visible()
    yield "preview", preview
    preview.close()


def test_axe_finds_no_violations_on_the_editorial_pages(page, newsroom, showcase):
    sign_in(page, newsroom.url, CHIEF)
    found = {}
    for name, path in editorial_pages(showcase).items():
        page.goto(newsroom.url + path)
        found[name] = axe_violations(page)
    for name, shown in pages_after_actions(page, newsroom.url, showcase):
        found[name] = axe_violations(shown)
    assert {name: v for name, v in found.items() if v} == {}


def test_nu_html_checker_finds_no_errors_on_the_editorial_pages(page, newsroom, showcase):
    sign_in(page, newsroom.url, CHIEF)
    documents = {}
    for name, path in editorial_pages(showcase).items():
        page.goto(newsroom.url + path)
        documents[name] = page.content()
    for name, shown in pages_after_actions(page, newsroom.url, showcase):
        documents[name] = shown.content()
    assert nu_errors(documents) == []


def sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize(("width", "height"), [(375, 740), (1440, 900)])
def test_the_editor_fits_phones_and_desktops_and_publishes(browser, newsroom, width, height):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    sign_in(page, newsroom.url, EDITOR, "/admin/articles/new")
    expect(body_editor(page)).to_be_visible()
    assert sideways_scroll(page) <= 0, f"the editor scrolls sideways at {width}px"
    title = f"宽度 {width} 像素时发布的文章"
    fill_article_fields(page, title, "风险预警", 摘要="在窄屏和宽屏上都能写稿。")
    body_editor(page).click()
    page.keyboard.insert_text("手机上也能写稿和发布。")
    page.get_by_role("button", name="插入表格").click()
    page.keyboard.insert_text("表格不撑宽页面")
    page.keyboard.press("Control+End")
    page.get_by_role("button", name="插入图片").click()
    dialog = page.get_by_role("dialog", name="插入图片")
    dialog.get_by_label("图片文件").set_input_files(upload("宽图.png", png_bytes(), "image/png"))
    dialog.get_by_label("替代文本").fill("一张很宽的图片")
    dialog.get_by_role("button", name="插入").click()
    expect(body_editor(page).get_by_role("img", name="一张很宽的图片")).to_be_visible()
    assert sideways_scroll(page) <= 0, f"the table or image scrolls sideways at {width}px"
    page.get_by_role("button", name="发布").click()
    article_id = published_id(page)
    assert sideways_scroll(page) <= 0, f"the saved article's form scrolls sideways at {width}px"
    page.goto(newsroom.url + f"/articles/{article_id}")
    expect(page.locator(".article__body")).to_contain_text("手机上也能写稿和发布。")
    expect(page.get_by_role("img", name="一张很宽的图片")).to_be_visible()
    assert sideways_scroll(page) <= 0, f"the published article scrolls sideways at {width}px"
    context.close()


def test_a_chief_creates_an_editor_who_publishes_from_a_phone(browser, newsroom):
    """Done when: no terminal after the first account; the new 编辑 works from a phone."""
    site = newsroom.url
    desk = browser.new_context(locale="zh-CN")
    chief = desk.new_page()
    sign_in(chief, site, CHIEF, "/admin/users")
    chief.get_by_role("link", name="新建账号").click()
    chief.get_by_label("用户名").fill("zhou.new")
    chief.get_by_label("编辑", exact=True).check()
    chief.get_by_role("button", name="创建账号").click()
    one_time = chief.locator(".one-time__password code").inner_text()
    desk.close()

    phone = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740})
    page = phone.new_page()
    page.goto(site + "/admin/login")
    page.get_by_label("用户名").fill("zhou.new")
    page.get_by_label("密码").fill(one_time)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
    page.get_by_label("当前密码").fill(one_time)
    page.get_by_label("新密码", exact=True).fill("zhou-own-password")
    page.get_by_label("再次输入新密码").fill("zhou-own-password")
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_role("heading", name="文章", exact=True)).to_be_visible()

    page.get_by_role("link", name="新建文章").click()
    fill_article_fields(page, "手机上发布的通知", "今日要闻", 摘要="新同事在手机上发布。")
    body_editor(page).click()
    page.keyboard.insert_text("请查看附件中的报名表。")
    page.get_by_role("button", name="插入表格").click()
    page.keyboard.insert_text("项目")
    page.keyboard.press("Control+End")
    page.get_by_role("button", name="插入图片").click()
    dialog = page.get_by_role("dialog", name="插入图片")
    dialog.get_by_label("图片文件").set_input_files(upload("现场.png", png_bytes(), "image/png"))
    dialog.get_by_label("替代文本").fill("培训现场")
    dialog.get_by_role("button", name="插入").click()
    page.get_by_label("附件", exact=True).set_input_files(
        upload("报名表.pdf", pdf_bytes("sign-up form"), "application/pdf")
    )
    page.get_by_role("button", name="发布").click()
    article_id = published_id(page)
    phone.close()

    visitor = browser.new_context(locale="zh-CN").new_page()
    visitor.goto(site + "/")
    visitor.get_by_role("link", name="手机上发布的通知").first.click()
    assert visitor.url.endswith(f"/articles/{article_id}")
    expect(visitor.locator(".article__body")).to_contain_text("请查看附件中的报名表。")
    expect(visitor.get_by_role("columnheader", name="项目")).to_be_visible()
    expect(visitor.get_by_role("img", name="培训现场")).to_be_visible()
    expect(visitor.get_by_role("link", name="报名表.pdf")).to_be_visible()
    visitor.context.close()
