"""Hostile uploads built in memory: bombs, truncations, polyglots, disguises, scripted PDFs.

Every builder returns plain bytes so a test can wrap them in whatever the upload path expects
(a multipart file for pages and the API, a DocumentUpload for a service).
"""

from __future__ import annotations

import functools
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from typing import Any

from PIL import Image

SCRIPT = b"<script>alert(1)</script>"


def png_bytes(size: tuple[int, int] = (24, 24), colour: str = "green") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    """A real JPEG carrying EXIF (camera make, a comment-like description and GPS)."""
    im = Image.new("RGB", (40, 30), "brown")
    exif = Image.Exif()
    exif[0x010F] = "HostileCam"  # Make
    exif[0x010E] = "<script>alert(1)</script>"  # ImageDescription
    exif[0x8825] = {1: "N", 2: (4.0, 30.0, 0.0), 3: "W", 4: (75.0, 40.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


@functools.cache
def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A valid 1-bit PNG of width×height pixels (400 megapixels) that compresses to a few tens of KB."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    parts = [packer.compress(row * 1000) for _ in range(height // 1000)]
    parts.append(packer.compress(row * (height % 1000)))
    parts.append(packer.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")


def jpeg_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, "JPEG", quality=90)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = jpeg_bytes((200, 150))
    return data[: len(data) // 2]


def truncated_png() -> bytes:
    # Noise, so the image data is large enough that cutting it loses real pixels, not just IEND.
    im = Image.frombytes("RGB", (120, 120), bytes((i * 7919) % 251 for i in range(120 * 120 * 3)))
    out = io.BytesIO()
    im.save(out, "PNG")
    data = out.getvalue()
    return data[: len(data) // 2]


def gif_script_polyglot() -> bytes:
    """GIF89a header that is also a line of JavaScript / HTML."""
    return b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;" + SCRIPT + b"\x00;"


def jpeg_html_polyglot() -> bytes:
    """A valid JPEG with an HTML page appended after its end marker."""
    return jpeg_bytes() + b"<html><body>" + SCRIPT + b"</body></html>"


def jpeg_zip_polyglot() -> bytes:
    """A valid JPEG with a ZIP archive (holding an HTML file) appended."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("index.html", b"<html>" + SCRIPT + b"</html>")
    return jpeg_bytes() + out.getvalue()


def svg_disguised() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" width="10" height="10">'
        b"<script>alert(1)</script><rect width='10' height='10'/></svg>"
    )


def html_disguised() -> bytes:
    return b"<!DOCTYPE html><html><head><title>x</title></head><body>" + SCRIPT + b"</body></html>"


# One real page (object 9): a PDF without a page is not a document, and qpdf will not open it.
PAGE = b"9 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>\nendobj\n"


def _pdf(body: bytes) -> bytes:
    return b"%PDF-1.4\n" + PAGE + body + b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def clean_pdf() -> bytes:
    return _pdf(
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [9 0 R] /Count 1 >>\nendobj"
    )


def pdf_with_javascript() -> bytes:
    return _pdf(
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [9 0 R] /Count 1 >>\nendobj\n"
        b"3 0 obj\n<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj"
    )


def pdf_with_hex_escaped_javascript() -> bytes:
    """The same script, its names spelt with PDF #xx escapes (/Open#41ction is /OpenAction)."""
    return _pdf(
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Open#41ction 3 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [9 0 R] /Count 1 >>\nendobj\n"
        b"3 0 obj\n<< /Type /Action /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>\nendobj"
    )


def oversized(limit: int, head: bytes = b"\xff\xd8\xff\xe0") -> bytes:
    """Just over ``limit`` bytes, starting with an image signature so only the size can refuse it."""
    return head + b"\x00" * (limit + 1 - len(head))


# File names that try to climb out of the storage directory or disguise their extension.
HOSTILE_NAMES = [
    "../../etc/passwd.jpg",
    "..\\..\\x.png",
    "a\x00b.jpg",
    "x" * 500 + ".png",
    "photo\u202egnp.exe",  # RIGHT-TO-LEFT OVERRIDE: shows as "photoexe.png"
    "/etc/cron.d/evil.png",
]

FORMULA_CELLS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1,1)", '=HYPERLINK("http://evil","x")']


def binary_blob() -> bytes:
    return bytes(range(256)) * 8


def nul_text_csv(header: str) -> bytes:
    """Valid UTF-8 that is really binary: a header line, then NUL bytes."""
    return header.encode() + b"\n" + b"\x00" * 64 + b",\x00\n"


def _object_stream_pdf(objects: list[bytes]) -> bytes:
    offsets, body, pos = [], b"", 0
    for number, obj in enumerate(objects, start=1):
        offsets.append(f"{number} {pos}".encode())
        body += obj + b"\n"
        pos = len(body)
    header = b" ".join(offsets) + b"\n"
    packed = zlib.compress(header + body)
    stream = (
        b"4 0 obj\n<< /Type /ObjStm /N 3 /First "
        + str(len(header)).encode()
        + b" /Filter /FlateDecode /Length "
        + str(len(packed)).encode()
        + b" >>\nstream\n"
        + packed
        + b"\nendstream\nendobj"
    )
    return _pdf(stream)


def pdf_with_javascript_in_object_stream() -> bytes:
    """The catalogue's /OpenAction and the /JavaScript action hidden in a Flate-compressed object stream."""
    return _object_stream_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>",
            b"<< /Type /Pages /Kids [9 0 R] /Count 1 >>",
            b"<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>",
        ]
    )


def clean_pdf_with_object_stream() -> bytes:
    """A clean PDF whose objects sit in compressed object streams (located by an xref stream)."""
    return pikepdf_clean()


def pillow_pdf() -> bytes:
    """A real one-page PDF as Pillow writes it (a scanned document, in effect)."""
    out = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(out, "PDF")
    return out.getvalue()


@functools.cache
def pdf_object_stream_bomb() -> bytes:
    """An object stream of a few tens of KB that inflates to 60 MB: refused, never expanded in full."""
    packed = zlib.compress(b" " * (60 * 1024 * 1024), 9)
    return _pdf(
        b"4 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length "
        + str(len(packed)).encode()
        + b" >>\nstream\n"
        + packed
        + b"\nendstream\nendobj"
    )


def jpeg_with_every_marker() -> bytes:
    """A JPEG carrying each metadata marker a camera or editor writes: EXIF, XMP, ICC, a comment, IPTC."""
    from PIL import ImageCms

    im = Image.new("RGB", (40, 30), "brown")
    exif = Image.Exif()
    exif[0x010F] = "HostileCam"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description HostileXMP="1"/></x:xmpmeta>'
    iptc_payload = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10\x1c\x02\x78\x00\x0bHostileIPTC\x00"
    app13 = b"\xff\xed" + struct.pack(">H", len(iptc_payload) + 2) + iptc_payload
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif.tobytes(), icc_profile=icc, xmp=xmp, comment=b"HostileComment", extra=app13)
    return out.getvalue()


def jpeg_markers(data: bytes) -> list[int]:
    """The segment markers of a JPEG up to the start of scan (APPn = 0xE0..0xEF, COM = 0xFE)."""
    markers, pos = [], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    return markers


def _pikepdf(build: Callable[[Any], None], **save: Any) -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    build(pdf)
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, **save)
    return out.getvalue()


def _js(pdf: Any) -> Any:
    import pikepdf

    return pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Action, S=pikepdf.Name.JavaScript, JS="app.alert(1)"))


def pdf_hiding_javascript_behind_an_obj_name() -> bytes:
    """An /OpenAction script in a compressed object stream whose dictionary also names "obj".

    The old byte scan looked for /ObjStm only after the last "obj" before the stream, so it never
    inflated this one; a reader (qpdf here) still finds and runs the script.
    """
    data = pdf_open_action_javascript()
    head = re.search(rb"<< /Type /ObjStm[^>]*>>", data)
    assert head is not None
    return data[: head.end() - 2] + b"/Note /obj >>" + data[head.end() :]


def pdf_open_action_javascript() -> bytes:
    return _pikepdf(lambda pdf: pdf.Root.__setitem__("/OpenAction", _js(pdf)))


def pdf_names_javascript() -> bytes:
    import pikepdf

    def build(pdf: Any) -> None:
        tree = pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("x"), _js(pdf)]))
        pdf.Root.Names = pikepdf.Dictionary(JavaScript=pdf.make_indirect(tree))

    return _pikepdf(build)


def pdf_page_additional_action() -> bytes:
    import pikepdf

    return _pikepdf(lambda pdf: pdf.pages[0].obj.__setitem__("/AA", pikepdf.Dictionary(O=_js(pdf))))


def pdf_launch_action() -> bytes:
    import pikepdf

    def build(pdf: Any) -> None:
        action = pikepdf.Dictionary(Type=pikepdf.Name.Action, S=pikepdf.Name.Launch, F="calc.exe")
        annot = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 100, 100], A=action)
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(annot)]))

    return _pikepdf(build)


def pdf_embedded_file() -> bytes:
    import pikepdf

    def build(pdf: Any) -> None:
        pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00 not a document")

    return _pikepdf(build)


def pdf_encrypted() -> bytes:
    import pikepdf

    return _pikepdf(lambda pdf: None, encryption=pikepdf.Encryption(owner="o", user="u"))


def pdf_encrypted_without_user_password() -> bytes:
    import pikepdf

    return _pikepdf(lambda pdf: None, encryption=pikepdf.Encryption(owner="o", user=""))


def pikepdf_clean() -> bytes:
    """A clean PDF written by qpdf with compressed object streams: it must be accepted."""
    return _pikepdf(lambda pdf: pdf.docinfo.__setitem__("/Title", "Cupping sheet"))
