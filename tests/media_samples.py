"""Small sample files of every type editors may upload, made on the spot."""

import io
import uuid
import zipfile

from PIL import Image

CONTENT_TYPES = '<?xml version="1.0"?><Types xmlns="{ns}"/>'.format(
    ns="http://schemas.openxmlformats.org/package/2006/content-types"
)
ORIENTATION = 0x0112
GPS_INFO = 0x8825


def image(fmt: str = "PNG", size: tuple[int, int] = (40, 30), exif=None, **save) -> bytes:
    """An image in ``fmt`` with a colour gradient, so that its pixels say which way is up."""
    picture = Image.new("RGB", size)
    width, height = size
    picture.putdata(
        [(x * 255 // width, y * 255 // height, 90) for y in range(height) for x in range(width)]
    )
    if exif is not None:
        save["exif"] = exif
    output = io.BytesIO()
    picture.save(output, fmt, **save)
    return output.getvalue()


def photo_exif(orientation: int = 1) -> Image.Exif:
    """EXIF as a phone writes it: the camera, an orientation, and where the photo was taken."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[ORIENTATION] = orientation
    exif[GPS_INFO] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 50.0)}
    return exif


def pdf(padding: int = 0) -> bytes:
    """A minimal one-page PDF; ``padding`` bytes of comment make it as big as needed."""
    comment = b"%" + b"x" * padding + b"\n" if padding else b""
    return (
        b"%PDF-1.4\n" + comment + b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def office(folder: str, *extra: str) -> bytes:
    """A DOCX (``folder="word"``) or XLSX (``"xl"``) container: the parts that say which."""
    main = {"word": "word/document.xml", "xl": "xl/workbook.xml"}[folder]
    return zip_of({"[Content_Types].xml": CONTENT_TYPES, main: "<x/>", **dict.fromkeys(extra, "")})


def zip_of(files: dict[str, str]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return output.getvalue()


def ole2(size: int = 4096) -> bytes:
    """The start of an OLE2 compound file, as a DOC or an XLS begins."""
    header = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
    return header + bytes(size - len(header))


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type, for urllib requests."""
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    for name, value in fields.items():
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        )
        body.write(value.encode() + b"\r\n")
    for name, (filename, data) in files.items():
        disposition = f'form-data; name="{name}"; filename="{filename}"'
        body.write(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode())
        body.write(b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"
