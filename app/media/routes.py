"""Uploading media (编辑, /admin/media) and serving it to everyone (/media/…)."""

from __future__ import annotations

import io
import re

from flask import Blueprint, Response, abort, current_app, request, send_file
from werkzeug.exceptions import HTTPException

from app.admin.access import FORBIDDEN, actor, allow, staff_blueprint, takes_uploads
from app.admin.auth import client_ip
from app.errors import MESSAGES
from app.media.storage import (
    UploadError,
    file_size,
    file_type,
    find_media,
    media_url,
    prepare_upload,
    save_upload,
)
from app.models.accounts import Role
from app.models.media import Media, MediaKind

bp = staff_blueprint("media", __name__, url_prefix="/admin/media")
files = Blueprint("files", __name__, url_prefix="/media")

NO_FILE = "请选择要上传的文件。"
NO_ALT = "请填写替代文本：用一句话说明图片的内容，供读屏软件朗读，没有替代文本的图片不能插入。"
BAD_WANT = "上传方式无效，请刷新页面后重试。"
UPLOAD_FAILED = "上传没有成功，请稍后重试;如果一再失败，请联系系统管理员。"
REQUEST_TOO_BIG = "上传的内容超过 {limit} 的上限，请压缩或拆分后再上传。"
ONE_YEAR = 365 * 24 * 3600
HASH = re.compile(r"[0-9a-f]{64}")
# A file opened on its own can run nothing and load nothing.
MEDIA_CSP = "default-src 'none'; sandbox"


@bp.errorhandler(HTTPException)
@bp.errorhandler(500)  # by code, or the site's HTML page for 500 would win
def json_error(error: HTTPException):
    """Errors of the upload endpoint as JSON with a Chinese message, as its script expects."""
    if error.code == 413:
        limit = file_size(current_app.config["UPLOAD_MAX_REQUEST_BYTES"])
        message = REQUEST_TOO_BIG.format(limit=limit)
    elif error.code == 403:
        message = FORBIDDEN
    else:
        message = MESSAGES.get(error.code, ("", UPLOAD_FAILED))[1]
    return {"error": message}, error.code


@bp.post("")
@allow(Role.EDITOR)
@takes_uploads
def upload():
    """Store one image or attachment; answer JSON describing it (201) or the reason not (4xx)."""
    sent, alt = request.files.get("file"), request.form.get("alt", "").strip()
    want = request.form.get("want", "")
    if want not in {"", *MediaKind}:
        return {"error": BAD_WANT}, 400
    if sent is None or not sent.filename:
        return {"error": NO_FILE}, 400
    try:
        checked = prepare_upload(sent.stream, sent.filename, want=want or None)
    except UploadError as error:
        return {"error": error.message}, error.status
    if checked.kind is MediaKind.IMAGE and not alt:
        return {"error": NO_ALT}, 400
    media = save_upload(checked, actor(), ip=client_ip())
    return described(media, alt), 201, {"Location": media_url(media)}


def described(media: Media, alt: str) -> dict:
    """What the editor's script needs to insert a file into an article."""
    return {
        "id": media.id,
        "url": media_url(media),
        "kind": media.kind.value,
        "filename": media.filename,
        "size": media.size,
        "size_text": file_size(media.size),
        "type_text": file_type(media),
        "content_type": media.content_type,
        "width": media.width,
        "height": media.height,
        "alt": alt,
    }


@files.get("/<sha256>/<path:filename>")
def serve(sha256: str, filename: str):
    """The stored bytes, cacheable for a year: images inline, documents as downloads."""
    media = find_media(sha256) if HASH.fullmatch(sha256) else None
    if media is None:
        abort(404)
    if request.if_none_match.contains(media.sha256):
        return cached(Response(status=304), media)  # the bytes are not even loaded
    response = send_file(
        io.BytesIO(media.data),
        mimetype=media.content_type,
        as_attachment=media.kind is MediaKind.DOCUMENT,
        download_name=media.filename,
        conditional=True,
        etag=media.sha256,
        last_modified=media.created_at,
        max_age=ONE_YEAR,
    )
    return cached(response, media)


def cached(response: Response, media: Media) -> Response:
    """Headers shared by the file and its 304: the hash as ETag, cached forever, not sniffed."""
    response.set_etag(media.sha256)
    response.cache_control.public = True
    response.cache_control.max_age = ONE_YEAR
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = MEDIA_CSP
    return response
