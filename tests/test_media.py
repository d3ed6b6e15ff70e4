"""Media: what may be uploaded, how images are cleaned, how files are served and cached."""

import hashlib
import io
import json
import re
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.cookiejar import CookieJar

import pytest
import sqlalchemy as sa
from flask import render_template_string
from PIL import Image

from app.extensions import db
from app.media import storage
from app.media.storage import UploadError, clean_filename, file_size, file_type, store_upload
from app.models import AuditAction, AuditEvent, Media, Role
from tests import media_samples as samples
from tests.conftest import STAFF_PASSWORD
from tests.helpers import page_token
from tests.live import live_server

UPLOAD = "/admin/media"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def post(client, data: bytes, filename: str, alt: str = "示意图", **fields):
    form = {"file": (io.BytesIO(data), filename), "alt": alt, **fields}
    return client.post(UPLOAD, data=form, content_type="multipart/form-data")


def stored(app) -> list[Media]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Media).order_by(Media.id)))


def media_events(app) -> list[AuditEvent]:
    with app.app_context():
        query = sa.select(AuditEvent).where(AuditEvent.action == AuditAction.MEDIA)
        return list(db.session.scalars(query.order_by(AuditEvent.id)))


@pytest.fixture
def editor(auth):
    """The test client, signed in as an account that is only an editor."""
    auth.login("editor", roles=[Role.EDITOR])
    return auth._client


# --- what may be uploaded ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "kind", "content_type", "type_text"),
    [
        (samples.image("JPEG"), "照片.jpg", "image", "image/jpeg", "JPEG 图片"),
        (samples.image("PNG"), "图表.png", "image", "image/png", "PNG 图片"),
        (samples.image("WEBP"), "横幅.webp", "image", "image/webp", "WebP 图片"),
        (samples.pdf(), "通知.pdf", "document", "application/pdf", "PDF"),
        (samples.office("word"), "申请表.docx", "document", DOCX, "Word 文档"),
        (samples.office("xl"), "统计表.xlsx", "document", XLSX, "Excel 表格"),
        (samples.ole2(), "旧申请表.doc", "document", "application/msword", "Word 文档"),
        (samples.ole2(), "旧统计表.xls", "document", "application/vnd.ms-excel", "Excel 表格"),
        (
            samples.zip_of({"a.txt": "内容"}),
            "资料.zip",
            "document",
            "application/zip",
            "ZIP 压缩包",
        ),
    ],
    ids=["jpeg", "png", "webp", "pdf", "docx", "xlsx", "doc", "xls", "zip"],
)
def test_each_allowed_type_is_stored_with_its_kind_and_content_type(
    app, editor, data, filename, kind, content_type, type_text
):
    response = post(editor, data, filename)
    assert response.status_code == 201, response.json
    answer = response.json
    assert (answer["kind"], answer["content_type"]) == (kind, content_type)
    assert answer["type_text"] == type_text
    assert answer["filename"] == filename
    assert answer["alt"] == "示意图"
    (media,) = stored(app)
    assert (media.kind, media.content_type, media.size) == (kind, content_type, answer["size"])
    assert answer["url"] == f"/media/{media.sha256}/{urllib.parse.quote(filename)}"
    assert response.headers["Location"] == answer["url"]
    assert editor.get(answer["url"]).headers["Content-Type"].startswith(content_type)


def test_the_type_comes_from_the_content_not_the_name(app, editor):
    answer = post(editor, samples.pdf(), "看似图片.jpg").json
    assert answer["content_type"] == "application/pdf"
    assert answer["filename"] == "看似图片.pdf"  # so the download opens in the right program


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"<?php system($_GET['c']); ?>", "shell.jpg"),
        (b"<!DOCTYPE html><script>alert(document.cookie)</script>", "page.jpg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.svg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "logo.png"),
        (b"MZ\x90\x00\x03" + bytes(200), "setup.pdf"),
        (samples.image("GIF"), "动图.gif"),
        (b"\xff\xd8\xff<?php echo 1; ?>", "half.jpg"),
        (b"PK\x03\x04 not really a zip", "fake.zip"),
        (b"<html><script>alert(1)</script>" + samples.zip_of({"a": "b"}), "page.zip"),
    ],
    ids=[
        "php",
        "html",
        "svg",
        "svg-as-png",
        "exe",
        "gif",
        "jpeg-magic-only",
        "broken-zip",
        "html+zip",
    ],
)
def test_other_content_is_refused_whatever_its_name(app, editor, data, filename):
    response = post(editor, data, filename)
    assert response.status_code == 415
    assert response.json["error"].startswith("不支持的文件类型")
    assert "JPEG、PNG、WebP" in response.json["error"]
    assert "PDF、DOC、DOCX、XLS、XLSX、ZIP" in response.json["error"]
    assert stored(app) == [] and media_events(app) == []


def test_the_image_button_accepts_only_images(app, editor):
    response = post(editor, samples.pdf(), "通知.pdf", want="image")
    assert response.status_code == 415
    assert response.json["error"] == "不支持的文件类型。这里只能上传图片：JPEG、PNG、WebP。"
    response = post(editor, samples.image(), "图.png", want="document")
    assert response.status_code == 415
    assert "这里只能上传附件" in response.json["error"]
    assert post(editor, samples.image(), "图.png", want="image").status_code == 201
    assert post(editor, samples.pdf(), "通知.pdf", want="nonsense").status_code == 400
    assert len(stored(app)) == 1


def test_office_files_with_macros_are_refused(app, editor):
    response = post(editor, samples.office("word", "word/vbaProject.bin"), "宏.docx")
    assert response.status_code == 415
    assert "含宏" in response.json["error"]
    assert stored(app) == []


def test_an_ole2_file_must_be_named_doc_or_xls(app, editor):
    response = post(editor, samples.ole2(), "安装包.msi")
    assert response.status_code == 415
    assert ".doc 或 .xls" in response.json["error"]


def test_a_file_over_the_limit_is_refused_with_the_limit_in_chinese(app, editor):
    app.config["MEDIA_MAX_BYTES"] = 2048
    assert post(editor, samples.pdf(padding=1700), "小.pdf").status_code == 201
    response = post(editor, samples.pdf(padding=2100), "大.pdf")
    assert response.status_code == 413
    assert response.json["error"].startswith("文件超过 2 KB 的上限")
    assert len(stored(app)) == 1


def test_the_default_limit_is_rendered_from_the_setting(app):
    with app.app_context(), pytest.raises(UploadError) as refused:
        store_upload(io.BytesIO(b"%PDF-" + bytes(10 * 1024 * 1024)), "大.pdf", None)
    assert refused.value.status == 413
    assert refused.value.message.startswith("文件超过 10 MB 的上限")


def test_an_empty_file_or_none_at_all_is_refused(app, editor):
    assert post(editor, b"", "空.pdf").json == {"error": "文件是空的，请重新选择。"}
    response = editor.post(UPLOAD, data={"alt": "x"}, content_type="multipart/form-data")
    assert (response.status_code, response.json) == (400, {"error": "请选择要上传的文件。"})


def test_uploads_may_exceed_the_site_wide_request_limit(app, editor):
    big = samples.pdf(padding=200 * 1024)
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]
    assert post(editor, big, "大文件.pdf").status_code == 201


def test_a_request_over_the_upload_limit_gets_a_json_413(app, editor):
    app.config["UPLOAD_MAX_REQUEST_BYTES"] = 100 * 1024
    response = post(editor, samples.pdf(padding=150 * 1024), "太大.pdf")
    assert response.status_code == 413
    assert response.json["error"].startswith("上传的内容超过 100 KB 的上限")
    assert stored(app) == []


# --- images ----------------------------------------------------------------------------------


def test_an_image_needs_alternative_text(app, editor):
    response = post(editor, samples.image(), "图.png", alt="   ")
    assert response.status_code == 400
    assert response.json["error"].startswith("请填写替代文本")
    assert stored(app) == []
    assert post(editor, samples.pdf(), "通知.pdf", alt="").status_code == 201


def test_a_wide_photo_is_narrowed_and_loses_its_exif(app, editor):
    original = samples.image("JPEG", (3000, 2000), exif=samples.photo_exif())
    assert Image.open(io.BytesIO(original)).getexif()[samples.GPS_INFO]
    answer = post(editor, original, "现场.jpg").json
    assert (answer["width"], answer["height"]) == (1600, 1067)
    served = Image.open(io.BytesIO(editor.get(answer["url"]).data))
    assert served.size == (1600, 1067)
    assert dict(served.getexif()) == {}
    assert "exif" not in served.info


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_an_image_is_turned_upright_by_its_exif_orientation(app, fmt):
    turned = samples.image(fmt, (300, 200), exif=samples.photo_exif(orientation=6))
    with app.app_context():
        data, width, height = storage.shrink_image(turned, 1600)
    upright = Image.open(io.BytesIO(data))
    assert (width, height) == upright.size == (200, 300)
    assert upright.format == fmt
    assert dict(upright.getexif()) == {}
    # Turned a quarter clockwise, the original's top-left corner (dark) is now top right.
    red_left, red_right = upright.getpixel((0, 0))[1], upright.getpixel((199, 0))[1]
    assert red_left > red_right


def test_a_turned_photo_is_narrowed_by_its_upright_width(app):
    turned = samples.image("JPEG", (2000, 3200), exif=samples.photo_exif(orientation=6))
    with app.app_context():
        _, width, height = storage.shrink_image(turned, 1600)
    assert (width, height) == (1600, 1000)


def test_a_narrow_image_keeps_its_size(app, editor):
    answer = post(editor, samples.image("PNG", (800, 600)), "图.png").json
    assert (answer["width"], answer["height"]) == (800, 600)


def test_too_many_pixels_are_refused_before_decoding(app, editor, monkeypatch):
    monkeypatch.setattr(storage, "IMAGE_MAX_PIXELS", 1000)
    response = post(editor, samples.image("PNG", (40, 30)), "大图.png")
    assert response.status_code == 413
    assert response.json["error"].startswith("图片像素过多")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow's own alarm: a 413 too
    assert post(editor, samples.image("PNG", (30, 30)), "炸弹.png").status_code == 413
    assert stored(app) == []


def test_a_truncated_or_animated_image_is_refused(app, editor):
    truncated = samples.image("PNG", (200, 200))[:-300]
    response = post(editor, truncated, "残缺.png")
    assert (response.status_code, response.json["error"][:6]) == (415, "图片文件已损")
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "blue")]
    animated = io.BytesIO()
    frames[0].save(animated, "PNG", save_all=True, append_images=frames[1:])
    response = post(editor, animated.getvalue(), "动图.png")
    assert (response.status_code, response.json["error"]) == (415, storage.ANIMATED)
    assert stored(app) == []


# --- storing ---------------------------------------------------------------------------------


def test_the_same_content_twice_is_one_file(app, editor):
    first = post(editor, samples.pdf(), "通知.pdf").json
    second = post(editor, samples.pdf(), "另一个名字.pdf").json
    assert first["id"] == second["id"] and first["url"] == second["url"]
    assert len(stored(app)) == 1
    assert [event.target for event in media_events(app)] == ["通知.pdf", "另一个名字.pdf"]
    assert "与已有文件 通知.pdf 相同" in media_events(app)[1].detail


def test_an_upload_racing_another_finds_the_winners_row(app, monkeypatch):
    """Two uploads of one file at once: the one whose insert fails returns the other's row."""
    with app.app_context():
        winner = store_upload(samples.pdf(), "先到.pdf", None)
        winner_id = winner.id
        real_find, looked = storage.find_media, []

        def find_too_early(digest):  # the loser's first look came before the winner's commit
            looked.append(digest)
            return real_find(digest) if len(looked) > 1 else None

        monkeypatch.setattr(storage, "find_media", find_too_early)
        loser = store_upload(samples.pdf(), "后到.pdf", None)
        assert loser.id == winner_id and len(looked) == 2
        assert db.session.scalar(sa.select(sa.func.count(Media.id))) == 1
        details = [event.detail for event in media_events(app)]
    assert len(details) == 2 and "相同" in details[1]


def test_each_upload_is_audited_with_its_name_type_and_size(app, editor):
    post(editor, samples.pdf(padding=3000), "年度报告.pdf")
    (event,) = media_events(app)
    assert (event.actor, event.target) == ("editor", "年度报告.pdf")
    assert event.detail == "PDF,3 KB"
    (media,) = stored(app)
    with app.app_context():
        assert db.session.get(Media, media.id).created_by_id is not None


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("C:\\Users\\张三\\桌面\\报告.pdf", "PDF", "报告.pdf"),
        ("../../etc/passwd.pdf", "PDF", "passwd.pdf"),
        ("发票\u202egnp.pdf", "PDF", "发票gnp.pdf"),
        ("行\n一\t二\x00.pdf", "PDF", "行一二.pdf"),
        ("shell.php", "PNG", "shell.php.png"),
        ("照片.JPEG", "JPEG", "照片.jpeg"),
        ("报告.docx", "PDF", "报告.pdf"),
        ("方案v1.2", "DOC", "方案v1.2.doc"),
        ("..", "ZIP", "未命名.zip"),
        ("", "PNG", "未命名.png"),
        ("长" * 300 + ".xlsx", "XLSX", "长" * 250 + ".xlsx"),
    ],
)
def test_file_names_are_kept_but_cleaned_for_display(raw, kind, expected):
    assert clean_filename(raw, storage.FILE_TYPES[kind]) == expected


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (1000, "1000 B"), (364_544, "356 KB"), (1_258_291, "1.2 MB"), (10 << 20, "10 MB")],
)
def test_file_sizes_read_as_people_write_them(size, text):
    assert file_size(size) == text


def test_templates_describe_files_with_filters(app, editor):
    post(editor, samples.office("xl"), "统计表.xlsx")
    (media,) = stored(app)
    with app.test_request_context():
        page = render_template_string(
            "<a href='{{ m|media_url }}'>{{ m.filename }}</a>({{ m|file_type }},"
            "{{ m.size|file_size }})",
            m=media,
        )
    assert page.startswith(f"<a href='/media/{media.sha256}/")
    assert page.endswith(f"(Excel 表格,{file_size(media.size)})")
    assert file_type("application/x-unknown") == "文件"


# --- serving ---------------------------------------------------------------------------------


@contextmanager
def statements(engine):
    """Collect the SQL that ``engine`` runs inside the block."""
    seen = []

    def record(_conn, _cursor, sql, *_args):
        seen.append(sql)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_an_image_is_served_inline_and_cached_forever(app, editor, client):
    answer = post(editor, samples.image("PNG"), "图表.png").json
    editor.post("/admin/logout")
    response = client.get(answer["url"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cache = response.headers["Cache-Control"]
    assert {"public", "max-age=31536000", "immutable"} <= set(cache.replace(" ", "").split(","))
    assert "attachment" not in response.headers.get("Content-Disposition", "")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    (media,) = stored(app)
    assert response.headers["ETag"] == f'"{media.sha256}"'
    assert hashlib.sha256(response.data).hexdigest() == media.sha256
    assert "Set-Cookie" not in response.headers


def test_a_known_etag_gets_304_without_loading_the_bytes(app, editor, client):
    url = post(editor, samples.image("PNG"), "图表.png").json["url"]
    etag = client.get(url).headers["ETag"]
    with app.app_context(), statements(db.engine) as seen:
        response = client.get(url, headers={"If-None-Match": etag})
    assert seen and not any("media.data" in sql for sql in seen)
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert "immutable" in response.headers["Cache-Control"]
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_document_downloads_under_its_chinese_name(app, editor, client):
    url = post(editor, samples.office("word"), "2026年 展会报名表.docx").json["url"]
    response = client.get(url)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    encoded = re.search(r"filename\*=UTF-8''([^;]+)", disposition).group(1)
    assert urllib.parse.unquote(encoded) == "2026年 展会报名表.docx"
    assert response.data == samples.office("word")


@pytest.mark.parametrize("sha", ["0" * 64, "not-a-hash", "A" * 64])
def test_an_unknown_file_is_404(client, sha):
    assert client.get(f"/media/{sha}/x.pdf").status_code == 404


# --- who may upload --------------------------------------------------------------------------


def test_a_visitor_is_sent_to_the_login_page(app, client):
    response = post(client, samples.pdf(), "通知.pdf")
    assert response.status_code in (302, 303)
    assert urllib.parse.urlsplit(response.headers["Location"]).path == "/admin/login"
    assert stored(app) == []


def test_a_responder_may_not_upload(app, auth, client):
    auth.login("responder", roles=[Role.RESPONDER])
    response = post(client, samples.pdf(), "通知.pdf")
    assert response.status_code == 403
    assert "没有权限" in response.json["error"]
    assert stored(app) == []


def header_token(html: str) -> str:
    """The token an admin page gives htmx and the editor's script (``data-hx-headers``)."""
    return re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)


def test_an_upload_needs_the_csrf_token(staff_app):
    app = staff_app(WTF_CSRF_ENABLED=True, UPLOAD_MAX_REQUEST_BYTES=100 * 1024)
    client = app.test_client()
    token = page_token(client.get("/admin/login").get_data(as_text=True))
    login = {"username": "boss", "password": STAFF_PASSWORD, "csrf_token": token}
    page = client.post("/admin/login", data=login, follow_redirects=True).get_data(as_text=True)
    response = post(client, samples.pdf(), "通知.pdf")
    assert response.status_code == 400
    assert "error" in response.json
    fresh = header_token(page)
    form = {"file": (io.BytesIO(samples.pdf()), "通知.pdf")}
    headers = {"X-CSRFToken": fresh}
    assert client.post(UPLOAD, data=form, headers=headers).status_code == 201
    # Too big: refused while the guard reads the form for its token, and still in JSON.
    form = {"file": (io.BytesIO(samples.pdf(padding=150 * 1024)), "大.pdf")}
    response = client.post(UPLOAD, data=form, headers=headers)
    assert response.status_code == 413 and "100 KB" in response.json["error"]


# --- several app servers ---------------------------------------------------------------------


def sign_in(opener, base: str) -> str:
    """Sign in as ``boss`` over HTTP; return a CSRF token of the new session."""
    token = page_token(opener.open(base + "/admin/login").read().decode())
    form = {"username": "boss", "password": STAFF_PASSWORD, "csrf_token": token}
    page = opener.open(base + "/admin/login", urllib.parse.urlencode(form).encode()).read()
    return header_token(page.decode())


def test_a_file_uploaded_to_one_server_is_served_by_another(database_url):
    """Two gunicorn servers on one database: what one stores, the other serves, byte for byte."""
    document = samples.pdf(padding=300 * 1024)  # above the site-wide request limit, too
    with (
        live_server(database_url, workers=2, seed=False) as first,
        live_server(database_url, workers=2, seed=False) as second,
    ):
        first.flask("create-admin", "boss", "--password", STAFF_PASSWORD)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        token = sign_in(opener, first.url)
        body, content_type = samples.multipart({}, {"file": ("展会通知.pdf", document)})
        headers = {"Content-Type": content_type, "X-CSRFToken": token}
        request = urllib.request.Request(first.url + UPLOAD, body, headers)
        answer = json.loads(opener.open(request).read())
        served = [urllib.request.urlopen(base + answer["url"]) for base in (first.url, second.url)]
        assert [response.read() for response in served] == [document, document]
        assert answer["url"].startswith(f"/media/{hashlib.sha256(document).hexdigest()}/")
        disposition = served[1].headers["Content-Disposition"]
        assert "filename*=UTF-8''%E5%B1%95%E4%BC%9A%E9%80%9A%E7%9F%A5.pdf" in disposition

        # The same new file sent to both servers at once, twice each: one row, no failure.
        body, content_type = samples.multipart({}, {"file": ("同时.pdf", samples.pdf(4000))})
        headers["Content-Type"] = content_type

        def send(base: str) -> dict:
            return json.loads(
                opener.open(urllib.request.Request(base + UPLOAD, body, headers)).read()
            )

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(send, [first.url, second.url] * 2))
        assert len({answer["id"] for answer in answers}) == 1


def test_a_server_error_during_an_upload_is_reported_in_chinese(app, editor, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(*_args, **_kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("app.media.routes.save_upload", broken)
    response = post(editor, samples.pdf(), "通知.pdf")
    assert response.status_code == 500
    assert response.json == {"error": "上传没有成功，请稍后重试;如果一再失败，请联系系统管理员。"}
