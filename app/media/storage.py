"""Checking, shrinking and storing uploaded files; their URLs and how templates describe them.

The type of a file is read from its content, never from its name: images are decoded by
Pillow, the other types are recognised by their structure (a PDF header, a ZIP container
and the parts inside it, an OLE2 compound file). Files are named by the SHA-256 of the
bytes stored, so the same content uploaded twice is one row and its URL never changes.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

import sqlalchemy as sa
from flask import current_app, url_for
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.accounts import User
from app.models.audit import AuditAction, audit
from app.models.media import Media, MediaKind

if TYPE_CHECKING:
    from PIL import Image

# Decoding needs about 4 bytes a pixel: refuse images whose header promises more than this.
IMAGE_MAX_PIXELS = 50_000_000
SCALABLE_MODES = {"L", "LA", "RGB", "RGBA", "CMYK"}
JPEG_QUALITY = 85
WEBP_QUALITY = 85
FILENAME_MAX = 255
PDF_MAGIC = b"%PDF-"
OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class FileType:
    """One kind of file editors may upload."""

    name: str  # as listed to editors: JPEG, DOCX…
    content_type: str
    kind: MediaKind
    label: str  # as shown next to a link: PDF, Word 文档…
    extensions: tuple[str, ...]  # the first one is given to a name that has none of them


FILE_TYPES = {
    t.name: t
    for t in (
        FileType("JPEG", "image/jpeg", MediaKind.IMAGE, "JPEG 图片", (".jpg", ".jpeg")),
        FileType("PNG", "image/png", MediaKind.IMAGE, "PNG 图片", (".png",)),
        FileType("WebP", "image/webp", MediaKind.IMAGE, "WebP 图片", (".webp",)),
        FileType("PDF", "application/pdf", MediaKind.DOCUMENT, "PDF", (".pdf",)),
        FileType("DOC", "application/msword", MediaKind.DOCUMENT, "Word 文档", (".doc",)),
        FileType(
            "DOCX",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            MediaKind.DOCUMENT,
            "Word 文档",
            (".docx",),
        ),
        FileType("XLS", "application/vnd.ms-excel", MediaKind.DOCUMENT, "Excel 表格", (".xls",)),
        FileType(
            "XLSX",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            MediaKind.DOCUMENT,
            "Excel 表格",
            (".xlsx",),
        ),
        FileType("ZIP", "application/zip", MediaKind.DOCUMENT, "ZIP 压缩包", (".zip",)),
    )
}
TYPE_LABELS = {t.content_type: t.label for t in FILE_TYPES.values()}
# Pillow format name -> our type; Pillow is asked to try these decoders and no others.
PILLOW_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
KNOWN_EXTENSIONS = {ext for t in FILE_TYPES.values() for ext in t.extensions}
KIND_NAMES = {MediaKind.IMAGE: "图片", MediaKind.DOCUMENT: "附件"}

EMPTY = "文件是空的，请重新选择。"
TOO_BIG = "文件超过 {limit} 的上限，请压缩或拆分后再上传。"
BROKEN_IMAGE = "图片文件已损坏或不完整，无法读取，请重新导出后再上传。"
HUGE_IMAGE = "图片像素过多(超过 {limit} 万像素)，请缩小后再上传。"
ANIMATED = "暂不支持动态图片，请上传静态图片。"
MACROS = "不支持含宏的 Office 文件，请另存为不含宏的 DOCX 或 XLSX 后再上传。"
OLE2_UNNAMED = "无法判断此 Office 文件是 Word 还是 Excel 文档，请使用 .doc 或 .xls 扩展名后再上传。"


class UploadError(Exception):
    """An upload refused, with a message for the editor and the HTTP status that fits."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Upload:
    """A file checked and ready to store: the bytes as they will be served."""

    type: FileType
    filename: str
    data: bytes
    width: int | None = None
    height: int | None = None

    @property
    def kind(self) -> MediaKind:
        return self.type.kind


def file_size(size: int) -> str:
    """A byte count for people: 512 B, 356 KB, 1.2 MB, 10 MB."""
    if size < 1024:
        return f"{size} B"
    kilobytes = round(size / 1024)
    if kilobytes < 1024:
        return f"{kilobytes} KB"
    megabytes = f"{size / 1024 / 1024:.1f}".removesuffix(".0")
    return f"{megabytes} MB"


def file_type(item: Media | str) -> str:
    """What a file is, in Chinese (PDF, Word 文档, JPEG 图片…), from a Media or a content type."""
    content_type = item if isinstance(item, str) else item.content_type
    return TYPE_LABELS.get(content_type, "文件")


def media_url(media: Media) -> str:
    """The file's public URL: it names the content's hash, so it is the same forever."""
    return url_for("files.serve", sha256=media.sha256, filename=media.filename)


def unsupported(want: MediaKind | None) -> UploadError:
    """The 415 that lists what may be uploaded (only images, only attachments, or both)."""
    kinds = [want] if want else list(MediaKind)
    parts = [
        f"{KIND_NAMES[kind]}：" + "、".join(t.name for t in FILE_TYPES.values() if t.kind is kind)
        for kind in kinds
    ]
    where = "这里只能上传" if want else "可以上传的"
    return UploadError(f"不支持的文件类型。{where}{';'.join(parts)}。", 415)


def too_many_pixels() -> UploadError:
    """The 413 for an image whose header promises more pixels than we decode."""
    return UploadError(HUGE_IMAGE.format(limit=IMAGE_MAX_PIXELS // 10_000), 413)


def clean_filename(raw: str | None, found: FileType) -> str:
    """The uploaded name fit for display: no folders, no control characters, a fitting extension.

    A name whose extension belongs to another of our types (a PDF called ``报告.jpg``) gets
    the right one instead; one without any gets the right one added.
    """
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Zl", "Zp"})
    name = name.strip().strip(".").strip()
    stem, dot, extension = name.rpartition(".")
    extension = f"{dot}{extension}".lower()
    if not dot:
        stem = name
    if extension not in found.extensions:
        if extension not in KNOWN_EXTENSIONS:
            stem = name
        extension = found.extensions[0]
    stem = stem.strip() or "未命名"
    return stem[: FILENAME_MAX - len(extension)] + extension


def read_limited(source: bytes | BinaryIO, limit: int) -> bytes:
    """Up to ``limit`` + 1 bytes of ``source``: enough to tell that it is too big."""
    if isinstance(source, bytes | bytearray):
        return bytes(source[: limit + 1])
    return source.read(limit + 1)


def detect_type(data: bytes, filename: str) -> FileType:
    """The type of ``data`` judged by its content; ``filename`` only tells DOC from XLS."""
    if data.startswith(PDF_MAGIC):
        return FILE_TYPES["PDF"]
    if data.startswith(OLE2_MAGIC):
        extension = filename.rpartition(".")[2].lower() if "." in filename else ""
        if extension in {"doc", "xls"}:
            return FILE_TYPES[extension.upper()]
        raise UploadError(OLE2_UNNAMED, 415)
    if data.startswith(ZIP_MAGIC):
        return _zip_type(data)
    return _image_type(data)


def _zip_type(data: bytes) -> FileType:
    """DOCX, XLSX or plain ZIP, from the parts the archive lists (nothing is extracted)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise unsupported(None) from error
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise UploadError(MACROS, 415)
    if "[Content_Types].xml" in names:
        if any(name.startswith("word/") for name in names):
            return FILE_TYPES["DOCX"]
        if any(name.startswith("xl/") for name in names):
            return FILE_TYPES["XLSX"]
    return FILE_TYPES["ZIP"]


def _image_type(data: bytes) -> FileType:
    """JPEG, PNG or WebP when Pillow recognises the header as one of them; else a 415."""
    from PIL import Image, UnidentifiedImageError  # only uploads need Pillow, not web workers

    try:
        with Image.open(io.BytesIO(data), formats=list(PILLOW_FORMATS)) as image:
            return FILE_TYPES[PILLOW_FORMATS[image.format]]
    except Image.DecompressionBombError as error:
        raise too_many_pixels() from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise unsupported(None) from error


def shrink_image(data: bytes, max_width: int) -> tuple[bytes, int, int]:
    """Decode an image, turn it upright, scale it to ``max_width`` at most, encode it again.

    Encoding anew keeps only the pixels (and the colour profile): EXIF with its GPS
    position, XMP and comments are dropped. Returns the new bytes, width and height.
    """
    from PIL import Image  # only uploads need Pillow, not web workers

    try:
        with Image.open(io.BytesIO(data), formats=list(PILLOW_FORMATS)) as image:
            if image.width * image.height > IMAGE_MAX_PIXELS:
                raise too_many_pixels()
            if getattr(image, "n_frames", 1) > 1:
                raise UploadError(ANIMATED, 415)
            upright = _upright_and_narrow(image, max_width)
            output = io.BytesIO()
            upright.save(output, image.format, **_encoder_options(image))
    except Image.DecompressionBombError as error:
        raise too_many_pixels() from error
    except (OSError, SyntaxError, ValueError) as error:
        raise UploadError(BROKEN_IMAGE, 415) from error
    return output.getvalue(), upright.width, upright.height


def _upright_and_narrow(image: Image.Image, max_width: int) -> Image.Image:
    """The image scaled down (JPEGs decoded at reduced size) and turned by its EXIF tag."""
    from PIL import Image, ImageOps

    turned = image.getexif().get(0x0112, 1) in {5, 6, 7, 8}  # orientation: a quarter turn
    shown_width = image.height if turned else image.width
    if image.mode not in SCALABLE_MODES:  # palette, 1-bit, 16-bit: scaled badly or not at all
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    if shown_width > max_width:
        box = (image.width, max_width) if turned else (max_width, image.height)
        image.thumbnail(box, Image.Resampling.LANCZOS)
    upright = ImageOps.exif_transpose(image)
    upright.load()
    return upright


def _has_alpha(image: Image.Image) -> bool:
    return "A" in image.getbands() or "transparency" in image.info


def _encoder_options(image: Image.Image) -> dict:
    """What to keep when encoding again: quality and the colour profile, no metadata."""
    options: dict = {"icc_profile": image.info.get("icc_profile")}
    if image.format == "JPEG":
        options |= {"quality": JPEG_QUALITY, "optimize": True, "comment": b""}
    elif image.format == "WEBP":
        options |= {"quality": WEBP_QUALITY}
    else:
        options |= {"optimize": True}
    return {key: value for key, value in options.items() if value is not None}


def prepare_upload(
    source: bytes | BinaryIO, filename: str | None, *, want: MediaKind | str | None = None
) -> Upload:
    """Read and check an uploaded file; images come back upright, narrowed and re-encoded.

    :param want: ``"image"`` or ``"document"`` to accept only that kind.
    :raises UploadError: empty (400), too big (413), a type not allowed (415).
    """
    want = MediaKind(want) if want else None
    limit = current_app.config["MEDIA_MAX_BYTES"]
    data = read_limited(source, limit)
    if not data:
        raise UploadError(EMPTY, 400)
    if len(data) > limit:
        raise UploadError(TOO_BIG.format(limit=file_size(limit)), 413)
    found = detect_type(data, filename or "")
    if want and found.kind is not want:
        raise unsupported(want)
    name = clean_filename(filename, found)
    if found.kind is not MediaKind.IMAGE:
        return Upload(found, name, data)
    data, width, height = shrink_image(data, current_app.config["MEDIA_IMAGE_MAX_WIDTH"])
    return Upload(found, name, data, width, height)


def find_media(sha256: str) -> Media | None:
    """The stored file with this hash, its bytes not loaded yet."""
    return db.session.scalar(sa.select(Media).where(Media.sha256 == sha256))


def save_upload(upload: Upload, user: User | None, *, ip: str = "") -> Media:
    """Store a checked upload, or find the same content stored already; audit it and commit.

    Two uploads of the same content at once both insert; the unique hash lets one win and
    the other finds the winner's row.
    """
    digest = hashlib.sha256(upload.data).hexdigest()
    username = user.username if user else None
    detail = f"{upload.type.label},{file_size(len(upload.data))}"
    media = find_media(digest)
    if media is None:
        media = Media(
            sha256=digest,
            kind=upload.kind,
            content_type=upload.type.content_type,
            filename=upload.filename,
            size=len(upload.data),
            width=upload.width,
            height=upload.height,
            data=upload.data,
            created_by_id=user.id if user else None,
        )
        db.session.add(media)
        audit(AuditAction.MEDIA, actor=username, target=upload.filename[:64], ip=ip, detail=detail)
        try:
            db.session.commit()
            return media
        except IntegrityError:
            db.session.rollback()
            media = find_media(digest)
            if media is None:
                raise
    same = f"{detail}(与已有文件 {media.filename[:100]} 相同)"
    audit(AuditAction.MEDIA, actor=username, target=upload.filename[:64], ip=ip, detail=same)
    db.session.commit()
    return media


def store_upload(
    source: bytes | BinaryIO,
    filename: str | None,
    user: User | None,
    *,
    want: MediaKind | str | None = None,
    ip: str = "",
) -> Media:
    """Check, store and audit one uploaded file; return its row (an existing one if the same).

    :raises UploadError: see ``prepare_upload``.
    """
    return save_upload(prepare_upload(source, filename, want=want), user, ip=ip)
