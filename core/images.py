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
import pikepdf
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageCms, ImageOps

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


def _to_srgb(im: Image.Image) -> Image.Image:
    """RGB pixels in sRGB, so the embedded colour profile is no longer needed and can be dropped."""
    profile = im.info.get("icc_profile")
    if profile:
        try:
            converted = ImageCms.profileToProfile(
                im if im.mode in ("RGB", "CMYK", "L") else im.convert("RGB"),
                ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile: keep the pixels as they are, without it
    return im.convert("RGB")


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
                clean = _to_srgb(ImageOps.exif_transpose(im))
                # Nothing of the original's metadata may ride along: Pillow writes a JPEG comment
                # from ``info`` unless told otherwise, so start from pixels alone.
                clean.info.clear()
                out = io.BytesIO()
                clean.save(out, "JPEG", quality=85, comment=b"", exif=b"", icc_profile=None, xmp=None)
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
        img.info.clear()
        out = io.BytesIO()
        img.save(out, "JPEG", quality=82, comment=b"")
        return out.getvalue()


PDF_MAGIC = b"%PDF-"

# Keys that make a PDF act rather than show: scripts, actions run on open or on events, programs
# to launch, and files carried inside (DOMAIN of the upload checks; the issue "Trust I").
_PDF_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/OpenAction", "/AA", "/EmbeddedFiles", "/EmbeddedFile", "/EF"})
_PDF_ACTIVE_VALUES = frozenset({"/JavaScript", "/Launch", "/EmbeddedFile"})


def _pdf_refused() -> BadImage:
    return BadImage(_("PDFs with scripts, actions or embedded files are not accepted."))


def check_pdf(data: bytes, *, max_bytes: int | None = None) -> None:
    """Accept a PDF only if a real parser (qpdf, through pikepdf) finds nothing active in it.

    Every indirect object is visited, including those packed in compressed object streams, with
    names already decoded by the parser (so ``/J#61vaScript`` is ``/JavaScript``). Encrypted files
    are refused: their content cannot be checked. Compressed streams are inflated against a budget
    first, so a zip bomb is refused before the parser expands it.
    """
    max_bytes = max_bytes or settings.UPLOAD_PDF_MAX_BYTES
    if not data:
        raise BadImage(_("The file is empty."))
    if len(data) > max_bytes:
        raise BadImage(_("The PDF is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)})
    if not data.startswith(PDF_MAGIC) or b"%%EOF" not in data[-2048:]:
        raise BadImage(_("The file is not a complete PDF."))
    _pdf_inflation_within(data, budget=4 * max_bytes)
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise BadImage(_("Encrypted PDFs are not accepted: upload the document without a password.")) from exc
    except (pikepdf.PdfError, ValueError, RecursionError) as exc:
        raise BadImage(_("The file is not a complete PDF.")) from exc
    with pdf:
        if pdf.is_encrypted:
            raise BadImage(_("Encrypted PDFs are not accepted: upload the document without a password."))
        try:
            _pdf_refuse_active(pdf.trailer)
            for obj in pdf.objects:
                _pdf_refuse_active(obj)
        except (pikepdf.PdfError, RecursionError) as exc:
            raise BadImage(_("The file is not a complete PDF.")) from exc


def _pdf_refuse_active(obj: Any, depth: int = 0) -> None:
    """Walk one object and its direct children (indirect ones are visited from ``pdf.objects``)."""
    if depth > 64:
        raise BadImage(_("The file is not a complete PDF."))
    if isinstance(obj, pikepdf.Stream):
        obj = obj.stream_dict
    if isinstance(obj, pikepdf.Dictionary):
        for key in list(obj.keys()):
            if key in _PDF_ACTIVE_KEYS:
                raise _pdf_refused()
            value = obj.get(key)
            if isinstance(value, pikepdf.Name) and str(value) in _PDF_ACTIVE_VALUES:
                raise _pdf_refused()
            if isinstance(value, (pikepdf.Dictionary, pikepdf.Array)) and not value.is_indirect:
                _pdf_refuse_active(value, depth + 1)
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            if isinstance(item, pikepdf.Name) and str(item) in _PDF_ACTIVE_VALUES:
                raise _pdf_refused()
            if isinstance(item, (pikepdf.Dictionary, pikepdf.Array)) and not item.is_indirect:
                _pdf_refuse_active(item, depth + 1)


def _pdf_inflation_within(data: bytes, *, budget: int) -> None:
    """Refuse a PDF whose Flate streams, all together, inflate past ``budget`` bytes.

    Every ``stream`` keyword is tried, whatever its dictionary says: a bomb cannot hide by
    mislabelling itself. Data that is not zlib (images, other filters) is simply not counted.
    """
    for match in re.finditer(rb"stream\r?\n", data):
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(memoryview(data)[match.end() :], budget + 1)
        except zlib.error:
            continue
        budget -= len(text)
        if budget < 0 or inflater.unconsumed_tail:
            raise BadImage(_("The PDF expands to more than its size limit allows: it may be a compression bomb."))
