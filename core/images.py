"""Untrusted image uploads, sanitized by re-encoding.

Bytes are sniffed (never the name or Content-Type), size- and pixel-capped, verified, rotated by
their EXIF orientation, and re-encoded as a JPEG without metadata. The capture time and GPS
position are read from the original first and returned as data, for moderators only.
"""

from __future__ import annotations

import datetime
import io
import re
import warnings
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import filetype
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps

ALLOWED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class BadImage(ValueError):
    """An upload that is not an acceptable image; the message is shown to the user."""


@dataclass
class CleanImage:
    data: bytes
    width: int
    height: int
    taken_at: datetime.datetime | None = None
    gps_lat: Decimal | None = None
    gps_lon: Decimal | None = None
    original_format: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _ratio(value: Any) -> Decimal:
    try:
        return Decimal(str(float(value)))
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise ValueError("bad rational") from exc


def _gps(exif: Image.Exif) -> tuple[Decimal | None, Decimal | None]:
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:
        return None, None
    try:
        lat, lat_ref = gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef, "N")
        lon, lon_ref = gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef, "E")
        to_deg = lambda dms: _ratio(dms[0]) + _ratio(dms[1]) / 60 + _ratio(dms[2]) / 3600  # noqa: E731
        lat_v, lon_v = to_deg(lat), to_deg(lon)
    except (KeyError, IndexError, TypeError, ValueError):
        return None, None
    if str(lat_ref).upper().startswith("S"):
        lat_v = -lat_v
    if str(lon_ref).upper().startswith("W"):
        lon_v = -lon_v
    if not (-90 <= lat_v <= 90 and -180 <= lon_v <= 180):
        return None, None
    return lat_v.quantize(Decimal("0.000001")), lon_v.quantize(Decimal("0.000001"))


def _taken_at(exif: Image.Exif) -> datetime.datetime | None:
    try:
        raw = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
        if not raw:
            return None
        naive = datetime.datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except (ValueError, TypeError, KeyError):
        return None
    # EXIF carries no zone; keep the wall-clock time as UTC and say so where it is shown.
    return naive.replace(tzinfo=datetime.UTC)


def sanitize_image(data: bytes, *, max_bytes: int | None = None, max_pixels: int | None = None) -> CleanImage:
    max_bytes = max_bytes or settings.UPLOAD_IMAGE_MAX_BYTES
    max_pixels = max_pixels or settings.UPLOAD_IMAGE_MAX_PIXELS
    if not data:
        raise BadImage(_("The file is empty."))
    if len(data) > max_bytes:
        raise BadImage(_("The image is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)})
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED.values():
        raise BadImage(_("Only JPEG, PNG and WebP images are accepted."))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        previous = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = max_pixels
        try:
            with Image.open(io.BytesIO(data)) as im:
                if ALLOWED.get(im.format or "") != kind.mime:
                    raise BadImage(_("The file's contents do not match its image type."))
                if im.width * im.height > max_pixels:
                    raise BadImage(_("The image has too many pixels."))
                fmt = im.format or ""
                im.verify()  # leaves the image unusable: reopen below
            with Image.open(io.BytesIO(data)) as im:
                exif = im.getexif()
                lat, lon = _gps(exif)
                taken = _taken_at(exif)
                im.load()
                clean = ImageOps.exif_transpose(im).convert("RGB")
                out = io.BytesIO()
                clean.save(out, "JPEG", quality=85)
                return CleanImage(
                    data=out.getvalue(),
                    width=clean.width,
                    height=clean.height,
                    taken_at=taken,
                    gps_lat=lat,
                    gps_lon=lon,
                    original_format=fmt,
                )
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise BadImage(_("The image is a decompression bomb.")) from exc
        except BadImage:
            raise
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise BadImage(_("The image is damaged or truncated.")) from exc
        finally:
            Image.MAX_IMAGE_PIXELS = previous


def resized(data: bytes, longest_side: int) -> bytes:
    """A JPEG derivative no longer than ``longest_side`` (input is already sanitized).

    An image already small enough is returned as it is: re-encoding would only lose quality.
    JPEG draft mode lets libjpeg decode at a reduced scale, which is most of the saving.
    """
    with Image.open(io.BytesIO(data)) as im:
        if max(im.size) <= longest_side and im.format == "JPEG":
            return data
        im.draft("RGB", (longest_side, longest_side))
        img = im.convert("RGB")
        img.thumbnail((longest_side, longest_side), reducing_gap=2.0)
        out = io.BytesIO()
        img.save(out, "JPEG", quality=82)
        return out.getvalue()


PDF_MAGIC = b"%PDF-"


def check_pdf(data: bytes, *, max_bytes: int | None = None) -> None:
    """Accept a PDF only by its bytes, capped in size, with no scripts or launch actions."""
    max_bytes = max_bytes or settings.UPLOAD_PDF_MAX_BYTES
    if not data:
        raise BadImage(_("The file is empty."))
    if len(data) > max_bytes:
        raise BadImage(_("The PDF is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)})
    if not data.startswith(PDF_MAGIC) or b"%%EOF" not in data[-2048:]:
        raise BadImage(_("The file is not a complete PDF."))
    for text in (data, *_pdf_object_streams(data, budget=4 * max_bytes)):
        lowered = _pdf_names(text).lower()
        for marker in (b"/javascript", b"/js", b"/launch", b"/embeddedfile", b"/openaction", b"/aa"):
            if marker in lowered:
                raise BadImage(_("PDFs with scripts, actions or embedded files are not accepted."))


def _pdf_names(data: bytes) -> bytes:
    # PDF names may spell any byte as #xx (/J#61vaScript is /JavaScript): decode before looking.
    return re.sub(rb"#([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), data)


def _pdf_object_streams(data: bytes, *, budget: int) -> list[bytes]:
    """The inflated object streams (/Type /ObjStm): dictionaries hidden there are invisible in the raw bytes.

    Inflation is capped in total, so a compressed bomb is refused rather than expanded.
    """
    found = []
    for match in re.finditer(rb"(?<!end)stream\r?\n", data):
        head = data[max(0, match.start() - 4096) : match.start()]
        if b"/objstm" not in _pdf_names(head[head.rfind(b"obj") :]).lower():
            continue
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(data[match.end() :], budget)
        except zlib.error as exc:
            raise BadImage(_("The file is not a complete PDF.")) from exc
        budget -= len(text)
        if inflater.unconsumed_tail or budget <= 0:
            raise BadImage(_("The PDF is larger than %(mb)d MB.") % {"mb": len(data) // (1024 * 1024) + 1})
        found.append(text)
    return found
