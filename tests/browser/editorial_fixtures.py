"""Material for the editorial browser tests: files to upload, a finished article, typing helpers."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image
from playwright.sync_api import expect

PASSWORD = "editorial-test-password"
WIDE = (2400, 1200)  # wider than the 1600 px the server keeps
KEPT = (1600, 800)  # the same picture as stored


def png_bytes(size: tuple[int, int] = WIDE, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A plain PNG of ``size``; another ``colour`` gives other bytes (uploads are deduplicated)."""
    output = io.BytesIO()
    Image.new("RGB", size, colour).save(output, "PNG")
    return output.getvalue()


def pdf_bytes(line: str) -> bytes:
    """A small valid one-page PDF showing ``line`` (ASCII); other lines give other bytes."""
    text = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 36 120 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 200] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _word_list_item(list_id: int, marker: str, text: str) -> str:
    """A list item as Word copies it: a paragraph whose marker only Word shows."""
    font = "font-family:Wingdings;" if marker == "l" else ""  # Wingdings' l is a bullet
    style = f"margin-left:21.0pt;text-indent:-21.0pt;mso-list:l{list_id} level1 lfo{list_id + 1}"
    return (
        f"<p class=MsoListParagraph style='{style}'><![if !supportLists]>"
        f"<span style='{font}mso-list:Ignore'>{marker}"
        "<span style='font:7.0pt \"Times New Roman\"'>&nbsp;&nbsp; </span></span>"
        f"<![endif]>{text}<o:p></o:p></p>"
    )


def word_clipboard_html() -> str:
    """What Word puts on the clipboard: Office namespaces, Mso classes, mso- styles, fonts.

    A heading, bold text, a numbered list (list 0), a bulleted list (list 1) and red text.
    """
    numbered = [
        _word_list_item(0, f"{n}.", text) for n, text in enumerate(["第一项材料", "第二项材料"], 1)
    ]
    bulleted = [_word_list_item(1, "l", text) for text in ["营业执照", "报关单"]]
    return f"""<html xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">
<head><meta charset="utf-8"><style>
p.MsoNormal {{mso-style-parent:""; margin:0cm; font-size:10.5pt; font-family:等线;}}
@list l0:level1 {{mso-level-text:"%1."; mso-level-tab-stop:none;}}
@list l1:level1 {{mso-level-number-format:bullet; mso-level-text:\\F06C; font-family:Wingdings;}}
</style></head>
<body lang=ZH-CN style='tab-interval:21.0pt;word-wrap:break-word'>
<!--StartFragment-->
<h2 style='mso-margin-top-alt:auto;mso-outline-level:2'><span
style='font-family:黑体;mso-ascii-font-family:Arial'>一、申报条件<o:p></o:p></span></h2>
<p class=MsoNormal style='mso-line-height-rule:exactly;line-height:20.0pt'><b><span
style='font-size:14.0pt;font-family:宋体'>粗体</span></b><span lang=EN-US
style='mso-bidi-font-size:10.5pt'>与普通文字<o:p></o:p></span></p>
{"".join(numbered)}
{"".join(bulleted)}
<p class=MsoNormal><span style="color:red;font-family:宋体">红色强调文字</span></p>
<!--EndFragment-->
</body></html>"""


def upload(name: str, data: bytes, mime: str) -> dict:
    """A file for Playwright's ``set_input_files``, under any name (Chinese ones too)."""
    return {"name": name, "mimeType": mime, "buffer": data}


def sign_in(page, site: str, username: str, path: str = "/admin/") -> None:
    """Sign in on the login page the way staff do, landing on ``path``."""
    page.goto(site + path)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    page.wait_for_load_state()


def body_editor(page):
    """The rich-text 正文 (Quill's contenteditable, named by the 正文 label)."""
    return page.get_by_role("textbox", name="正文", exact=True)


def compose(cdp, steps: list[str]) -> None:
    """Go through a Chinese input method's composition, e.g. ``["pei", "peix", "培训"]``."""
    for shown in steps:
        cdp.send(
            "Input.imeSetComposition",
            {"text": shown, "selectionStart": len(shown), "selectionEnd": len(shown)},
        )


def type_with_ime(cdp, steps: list[str], text: str) -> None:
    """Type ``text`` as a Chinese input method does: compose through ``steps``, then commit."""
    compose(cdp, steps)
    cdp.send("Input.insertText", {"text": text})


def format_paragraph(page, name: str) -> None:
    """Pick 二级标题, 三级标题… or 正文段落 from the toolbar's 段落格式 picker."""
    page.get_by_role("button", name="段落格式").click()
    page.get_by_role("button", name=name, exact=True).click()


def fill_article_fields(page, title: str, section: str = "今日要闻", **more: str) -> None:
    """Fill the article form's plain fields by their labels (``more``: label → value)."""
    page.get_by_label("标题", exact=True).fill(title)
    page.get_by_label("栏目", exact=True).select_option(label=section)
    for label, value in more.items():
        page.get_by_label(label, exact=True).fill(value)


@dataclass(frozen=True)
class Showcase:
    """An article saved twice (draft, then published) with a table, an image and attachments."""

    article_id: int
    revision_ids: tuple[int, int]  # older, newer


def add_showcase_article(database_url: str) -> Showcase:
    """Save such an article straight into the live site's database, as the editor would."""
    import sqlalchemy as sa

    from app import create_app
    from app.articles.service import Action, ArticleFields, save_article
    from app.extensions import db
    from app.media.storage import media_url, store_upload
    from app.models import Section
    from app.models.content import ArticleRevision

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"})
    with app.test_request_context():
        section = db.session.scalar(sa.select(Section).filter_by(slug="news"))
        image = store_upload(png_bytes(colour=(20, 90, 160)), "展会现场.png", None, want="image")
        files = [
            store_upload(pdf_bytes("showcase notice"), "展会通知.pdf", None, want="document"),
            store_upload(pdf_bytes("showcase form"), "报名表.pdf", None, want="document"),
        ]
        body = (
            "<h2>展会安排</h2><p>展会将于五月举行,详见<a href='https://www.ccpit.org/'>贸促会网站</a>。</p>"
            "<table><tbody><tr><th scope='col'>日期</th><th scope='col'>地点</th></tr>"
            "<tr><td>5月8日</td><td>国际会展中心</td></tr></tbody></table>"
            f"<figure><img src='{media_url(image)}' alt='展会现场全景'"
            f" width='{image.width}' height='{image.height}'></figure>"
        )
        wanted = ArticleFields(title="展会参展指南", section_id=section.id, summary="展会安排。")
        wanted.body = body
        article = save_article(None, wanted, Action.DRAFT, None, attachments=files)
        wanted = ArticleFields.of(article)
        wanted.source = "展览部"
        article = save_article(article, wanted, Action.PUBLISH, None, seen_version=article.version)
        revision_ids = db.session.scalars(
            sa.select(ArticleRevision.id)
            .where(ArticleRevision.article_id == article.id)
            .order_by(ArticleRevision.id)
        ).all()
        db.engine.dispose()
    return Showcase(article.id, tuple(revision_ids))
