"""Upload attacks against every upload field, through the real pages and the API.

Fields: lot photos (page, API), custody documents (page, API), cupping signed originals (page,
API), shipment documents (contract page), cupping CSV import (page, API), pricing CSV imports
(page). Each hostile file must get a clear 4xx or form error, never a 5xx, and leave no row and no
file behind; what is accepted is stored under a random name and served with a safe type.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tests import factories
from tests.security import hostile_files as h

pytestmark = pytest.mark.django_db

# --- the world each test uploads into -----------------------------------------------------------


def _sca_values() -> dict[str, Any]:
    from cupping import scoring

    values: dict[str, Any] = dict.fromkeys(scoring.SCA_QUALITY, Decimal("7.75"))
    values.update(uniform_cups=5, clean_cups=5, sweet_cups=5, taint_cups=0, fault_cups=0)
    return values


@pytest.fixture
def world(producer: Any, roaster: Any, q_grader: Any, moderator: Any) -> dict[str, Any]:
    from cupping import services as cupping
    from marketplace.negotiation import services as trade

    lot = factories.LotFactory(producer=producer)
    sheet = cupping.sheet_submit(
        grader=q_grader,
        lot=lot,
        protocol="sca2004",
        cupped_on=timezone.localdate() - datetime.timedelta(days=1),
        independent=True,
        values=_sca_values(),
    )
    order = trade.order_create(
        lot=lot,
        buyer=roaster,
        seller=producer,
        quantity_kg=Decimal("60"),
        price_per_kg=Decimal("30.00"),
        currency="USD",
        incoterm="FOB",
        incoterm_place="Buenaventura",
        source="negotiation",
        source_id=7001,
        by=producer,
    )
    trade.order_mark_paid(order=order, by=None, reference="test")
    return {"lot": lot, "sheet": sheet, "order": order}


def stored_files() -> set[str]:
    """Every file name in the default and private storages (InMemoryStorage under test)."""
    found: set[str] = set()
    for alias in ("default", "private"):
        storage = storages[alias]

        def walk(path: str, storage: Any = storage, alias: str = alias) -> None:
            dirs, files = storage.listdir(path)
            for name in files:
                found.add(f"{alias}:{path}/{name}" if path else f"{alias}:{name}")
            for d in dirs:
                walk(f"{path}/{d}" if path else d)

        walk("")
    return found


def snapshot(world: dict[str, Any]) -> dict[str, Any]:
    from cupping.models import CuppingSheet
    from lots.models import CustodyDocument, CustodyEvent, LotPhoto
    from marketplace.negotiation.models import Order, ShipmentDocument

    return {
        "photos": LotPhoto.objects.count(),
        "events": CustodyEvent.objects.count(),
        "custody_docs": CustodyDocument.objects.count(),
        "shipment_docs": ShipmentDocument.objects.count(),
        "order": Order.objects.filter(pk=world["order"].pk).values_list("status", flat=True).get(),
        "original": CuppingSheet.objects.filter(pk=world["sheet"].pk).values_list("original", flat=True).get(),
        "files": stored_files(),
    }


# --- the upload fields ---------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    accepts_pdf: bool
    post: Callable[[dict[str, Any], Any, SimpleUploadedFile], Any]
    refused: Callable[[Any], bool]


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _form_error(field: str, form_key: str = "form") -> Callable[[Any], bool]:
    def check(response: Any) -> bool:
        form = response.context[form_key] if response.context else None
        return response.status_code in (200, 400) and form is not None and field in form.errors

    return check


def _api_400(response: Any) -> bool:
    return response.status_code == 400 and "message" in response.json()


def _message_error(response: Any) -> bool:
    levels = [m.level_tag for m in get_messages(response.wsgi_request)]
    return response.status_code == 200 and "error" in levels and "success" not in levels


CUSTODY = {
    "stage": "harvest",
    "occurred_on": "2025-10-05",
    "state_in": "cherry",
    "state_out": "cherry",
    "weight_in_kg": "100",
    "weight_out_kg": "98",
    "separated": "on",
    "place": "Finca",
    "notes": "",
}


def _photos_page(w: dict[str, Any], users: Any, f: SimpleUploadedFile) -> Any:
    return _client(users.producer).post(
        reverse("lots:photos", args=[w["lot"].pk]), {"photos": f, "kind": "plot", "caption": ""}
    )


def _photos_api(w: dict[str, Any], users: Any, f: SimpleUploadedFile) -> Any:
    return users.api(users.producer).post(
        f"/api/v1/lots/{w['lot'].pk}/photos/", {"image": f, "kind": "plot", "caption": ""}, format="multipart"
    )


def _custody_page(w: dict[str, Any], users: Any, f: SimpleUploadedFile) -> Any:
    return _client(users.producer).post(reverse("lots:custody_add", args=[w["lot"].pk]), {**CUSTODY, "documents": f})


def _custody_api(w: dict[str, Any], users: Any, f: SimpleUploadedFile) -> Any:
    data = {**CUSTODY, "separated": "true", "documents": f}
    return users.api(users.producer).post(f"/api/v1/lots/{w['lot'].pk}/custody-events/", data, format="multipart")


def _original_page(w: dict[str, Any], users: Any, f: SimpleUploadedFile) -> Any:
    return _client(users.q_grader).post(
        reverse("cupping:sheet_original_upload", args=[w["sheet"].pk]), {"file": f}, follow=True
    )


def _original_api(w: dict[str, Any], users: Any, f: SimpleUploadedFile) -> Any:
    return users.api(users.q_grader).post(
        f"/api/v1/cupping-sheets/{w['sheet'].pk}/original/", {"file": f}, format="multipart"
    )


def _shipment_page(w: dict[str, Any], users: Any, f: SimpleUploadedFile) -> Any:
    return _client(users.producer).post(
        reverse("negotiation:order_ship", args=[w["order"].pk]),
        {"courier": "DHL", "tracking": "BL-9", "documents": f},
    )


FIELDS = [
    Field("lot photos page", False, _photos_page, _form_error("photos")),
    Field("lot photos API", False, _photos_api, _api_400),
    Field("custody documents page", True, _custody_page, _form_error("documents")),
    Field("custody documents API", True, _custody_api, _api_400),
    Field("cupping original page", True, _original_page, _message_error),
    Field("cupping original API", True, _original_api, _api_400),
    Field("shipment documents page", True, _shipment_page, _form_error("documents", "ship_form")),
]
FIELD_IDS = [f.name for f in FIELDS]


@dataclass
class Users:
    producer: Any
    q_grader: Any
    api: Any


@pytest.fixture
def users(producer: Any, q_grader: Any, api: Any) -> Users:
    return Users(producer=producer, q_grader=q_grader, api=api)


# (attack, file name, declared Content-Type, bytes)
IMAGE_ATTACKS: list[tuple[str, str, str, Callable[[], bytes]]] = [
    ("decompression bomb", "bomb.png", "image/png", h.png_bomb),
    ("truncated JPEG", "cut.jpg", "image/jpeg", h.truncated_jpeg),
    ("truncated PNG", "cut.png", "image/png", h.truncated_png),
    ("GIF89a + script polyglot", "poly.gif", "image/gif", h.gif_script_polyglot),
    ("GIF polyglot named .jpg", "poly.jpg", "image/jpeg", h.gif_script_polyglot),
    ("SVG disguised as .jpg", "logo.jpg", "image/jpeg", h.svg_disguised),
    ("SVG disguised as .png", "logo.png", "image/png", h.svg_disguised),
    ("HTML disguised as .png", "page.png", "image/png", h.html_disguised),
    ("HTML disguised as .jpg", "page.jpg", "image/jpeg", h.html_disguised),
    ("empty file named .jpg", "empty.jpg", "image/jpeg", lambda: b"\x00"),
]
PDF_ATTACKS: list[tuple[str, str, str, Callable[[], bytes]]] = [
    ("PDF with /OpenAction + /JavaScript", "bl.pdf", "application/pdf", h.pdf_with_javascript),
    ("PDF with #xx-escaped /JavaScript", "bl.pdf", "application/pdf", h.pdf_with_hex_escaped_javascript),
    ("scripted PDF disguised as .png", "bl.png", "image/png", h.pdf_with_javascript),
    ("truncated PDF", "cut.pdf", "application/pdf", lambda: h.clean_pdf()[:-10]),
    ("PDF with /JavaScript in an object stream", "bl.pdf", "application/pdf", h.pdf_with_javascript_in_object_stream),
    ("PDF whose object stream is a zip bomb", "bl.pdf", "application/pdf", h.pdf_object_stream_bomb),
    (
        "PDF hiding /JavaScript behind an obj name",
        "bl.pdf",
        "application/pdf",
        h.pdf_hiding_javascript_behind_an_obj_name,
    ),
    ("qpdf-written PDF with /OpenAction script", "bl.pdf", "application/pdf", h.pdf_open_action_javascript),
    ("PDF with a /Names /JavaScript tree", "bl.pdf", "application/pdf", h.pdf_names_javascript),
    ("PDF with a page additional action", "bl.pdf", "application/pdf", h.pdf_page_additional_action),
    ("PDF with a launch action", "bl.pdf", "application/pdf", h.pdf_launch_action),
    ("PDF with an embedded file", "bl.pdf", "application/pdf", h.pdf_embedded_file),
    ("encrypted PDF", "bl.pdf", "application/pdf", h.pdf_encrypted),
    ("encrypted PDF with an empty user password", "bl.pdf", "application/pdf", h.pdf_encrypted_without_user_password),
]


@pytest.mark.parametrize("field", FIELDS, ids=FIELD_IDS)
@pytest.mark.parametrize("attack", IMAGE_ATTACKS + PDF_ATTACKS, ids=[a[0] for a in IMAGE_ATTACKS + PDF_ATTACKS])
def test_hostile_file_is_refused_and_nothing_is_stored(
    field: Field, attack: tuple[str, str, str, Callable[[], bytes]], world: dict[str, Any], users: Users
) -> None:
    _label, name, content_type, build = attack
    before = snapshot(world)
    response = field.post(world, users, SimpleUploadedFile(name, build(), content_type=content_type))
    assert response.status_code < 500
    assert field.refused(response), (response.status_code, getattr(response, "content", b"")[:500])
    assert snapshot(world) == before


def _last_stored(field: Field, world: dict[str, Any]) -> tuple[Any, str]:
    """The stored file (field file) and the name shown to users, for the field's newest upload."""
    from cupping.models import CuppingSheet
    from lots.models import CustodyDocument, LotPhoto
    from marketplace.negotiation.models import ShipmentDocument

    if field.name.startswith("lot photos"):
        photo = LotPhoto.objects.latest("pk")
        return photo.image, ""
    if field.name.startswith("custody"):
        doc = CustodyDocument.objects.latest("pk")
        return doc.file, doc.name
    if field.name.startswith("cupping original"):
        sheet = CuppingSheet.objects.get(pk=world["sheet"].pk)
        return sheet.original, ""
    doc = ShipmentDocument.objects.latest("pk")
    return doc.file, doc.name


RANDOM_NAME = re.compile(r"^[a-z/_0-9-]*[0-9a-f]{32}(\.jpg|\.pdf)?$")


@pytest.mark.parametrize("field", FIELDS, ids=FIELD_IDS)
@pytest.mark.parametrize("filename", h.HOSTILE_NAMES, ids=["dotdot", "backslash", "nul", "long", "rtl", "absolute"])
def test_path_tricks_never_reach_the_storage(field: Field, filename: str, world: dict[str, Any], users: Users) -> None:
    response = field.post(world, users, SimpleUploadedFile(filename, h.png_bytes(), content_type="image/png"))
    assert response.status_code < 400, response.content[:500]
    stored, shown = _last_stored(field, world)
    assert RANDOM_NAME.match(stored.name), stored.name
    for part in ("..", "passwd", "etc", "\\", "\x00", "\u202e", "x" * 40, "gnp"):
        assert part not in stored.name
    if shown:
        # The name kept for display is the last path part only, printable, and bounded.
        for part in ("/", "\\", "\x00", "\u202e", ".."):
            assert part not in shown
        assert len(shown) <= 255


def _metadata_free_jpeg(data: bytes) -> None:
    """Only JFIF's APP0 may stand before the image: no APP1 (EXIF, XMP), APP2 (ICC), APP13 (IPTC), COM."""
    markers = h.jpeg_markers(data)
    assert markers and markers[-1] == 0xDA, markers
    metadata = [m for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE]
    assert not metadata, [hex(m) for m in metadata]
    for planted in (b"HostileCam", b"HostileXMP", b"HostileComment", b"HostileIPTC", b"ICC_PROFILE"):
        assert planted not in data


@pytest.mark.parametrize(
    "field", [f for f in FIELDS if f.name.startswith(("lot photos", "cupping original"))], ids=lambda f: f.name
)
def test_sanitized_images_carry_no_metadata_marker_at_all(field: Field, world: dict[str, Any], users: Users) -> None:
    """EXIF, XMP, an ICC profile that sRGB makes needless, a JPEG comment and IPTC: none survives."""
    response = field.post(world, users, SimpleUploadedFile("x.jpg", h.jpeg_with_every_marker(), "image/jpeg"))
    assert response.status_code < 400
    stored, _shown = _last_stored(field, world)
    with stored.open("rb") as fh:
        _metadata_free_jpeg(fh.read())


def test_photo_derivatives_carry_no_metadata_marker(producer: Any) -> None:
    from core.images import resized, sanitize_image

    clean = sanitize_image(h.jpeg_with_every_marker()).data
    for side in (8, 16, 4000):
        _metadata_free_jpeg(resized(clean, side))


def _exif_free_jpeg(data: bytes) -> None:
    with Image.open(__import__("io").BytesIO(data)) as im:
        assert im.format == "JPEG"
        assert not im.getexif()
        assert "exif" not in im.info
    assert b"HostileCam" not in data and b"<script" not in data and b"<html" not in data and b"PK\x03\x04" not in data


SANITIZED = [f for f in FIELDS if f.name.startswith(("lot photos", "cupping original"))]


@pytest.mark.parametrize("field", SANITIZED, ids=[f.name for f in SANITIZED])
@pytest.mark.parametrize(
    "build", [h.jpeg_with_exif, h.jpeg_html_polyglot, h.jpeg_zip_polyglot], ids=["exif", "jpeg+html", "jpeg+zip"]
)
def test_accepted_images_are_reencoded_without_exif_or_trailing_payload(
    field: Field, build: Callable[[], bytes], world: dict[str, Any], users: Users
) -> None:
    response = field.post(world, users, SimpleUploadedFile("x.jpg", build(), content_type="image/jpeg"))
    assert response.status_code < 400
    stored, _shown = _last_stored(field, world)
    with stored.open("rb") as fh:
        _exif_free_jpeg(fh.read())


DOCUMENTS = [f for f in FIELDS if f.name.startswith(("custody", "shipment"))]


@pytest.mark.parametrize("field", DOCUMENTS, ids=[f.name for f in DOCUMENTS])
def test_polyglot_documents_are_only_ever_served_as_attachments(
    field: Field, world: dict[str, Any], users: Users, roaster: Any, moderator: Any
) -> None:
    """Documents are evidence kept byte for byte; a JPEG carrying HTML must still download, not render."""
    response = field.post(world, users, SimpleUploadedFile("<b>x</b>.jpg", h.jpeg_html_polyglot(), "text/html"))
    assert response.status_code < 400
    if field.name.startswith("custody"):
        from lots.models import CustodyDocument

        doc = CustodyDocument.objects.latest("pk")
        url, reader = reverse("lots:custody_document", args=[doc.pk]), moderator
    else:
        from marketplace.negotiation.models import ShipmentDocument

        doc = ShipmentDocument.objects.latest("pk")
        url, reader = reverse("negotiation:order_document", args=[world["order"].pk, doc.pk]), roaster
    served = _client(reader).get(url)
    assert served.status_code == 200
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("attachment")
    assert "<" not in served["Content-Disposition"]
    assert served["Content-Type"].split(";")[0] in ("application/octet-stream", "image/jpeg")


def test_served_photos_and_originals_have_safe_types(world: dict[str, Any], users: Users, producer: Any) -> None:
    from cupping.models import CuppingSheet
    from lots.models import LotPhoto

    assert _photos_page(world, users, SimpleUploadedFile("p.png", h.png_bytes(), "image/png")).status_code == 302
    photo = LotPhoto.objects.latest("pk")
    for size in ("image", "thumb"):
        served = Client().get(reverse("lots:photo", args=[photo.pk, size]))
        assert served.status_code == 200
        assert served["Content-Type"] == "image/jpeg"
        assert served["X-Content-Type-Options"] == "nosniff"

    pdf = SimpleUploadedFile("sheet.pdf", h.clean_pdf(), "application/pdf")
    assert _original_api(world, users, pdf).status_code == 200
    assert CuppingSheet.objects.get(pk=world["sheet"].pk).original_content_type == "application/pdf"
    page = _client(producer).get(reverse("cupping:sheet_original", args=[world["sheet"].pk]))
    api = users.api(producer).get(f"/api/v1/cupping-sheets/{world['sheet'].pk}/original/")
    for served in (page, api):
        assert served.status_code == 200
        assert served["Content-Type"] == "application/pdf"
        assert served["X-Content-Type-Options"] == "nosniff"
        assert served["Content-Disposition"].startswith("attachment")

    img = SimpleUploadedFile("sheet.png", h.png_bytes(), "image/png")
    assert _original_api(world, users, img).status_code == 200
    served = _client(producer).get(reverse("cupping:sheet_original", args=[world["sheet"].pk]))
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"


# --- oversized bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize("field", FIELDS, ids=FIELD_IDS)
def test_file_just_over_the_cap_is_refused(field: Field, world: dict[str, Any], users: Users) -> None:
    before = snapshot(world)
    # Every field caps files at 10 MB (images, PDFs, custody and shipment documents).
    big = h.oversized(10 * 1024 * 1024)
    response = field.post(world, users, SimpleUploadedFile("big.jpg", big, content_type="image/jpeg"))
    assert response.status_code < 500
    assert field.refused(response)
    assert snapshot(world) == before


def test_bodies_over_the_memory_limits_are_clean_400s(world: dict[str, Any], users: Users) -> None:
    """With the real limits: a file over FILE_UPLOAD_MAX_MEMORY_SIZE streams to a temporary file and
    is refused by the field's cap; text over DATA_UPLOAD_MAX_MEMORY_SIZE and more files than
    DATA_UPLOAD_MAX_NUMBER_FILES are refused by Django before any view code runs."""
    from django.conf import settings

    before = snapshot(world)
    over = max(settings.FILE_UPLOAD_MAX_MEMORY_SIZE, settings.DATA_UPLOAD_MAX_MEMORY_SIZE) + 1024
    lot_url = reverse("lots:photos", args=[world["lot"].pk])
    api_url = f"/api/v1/lots/{world['lot'].pk}/photos/"
    client, api = _client(users.producer), users.api(users.producer)

    big_file = SimpleUploadedFile("big.png", h.oversized(over), content_type="image/png")
    assert _photos_page(world, users, big_file).status_code == 400
    big_file = SimpleUploadedFile("big.png", h.oversized(over), content_type="image/png")
    assert _photos_api(world, users, big_file).status_code == 400

    png = SimpleUploadedFile("p.png", h.png_bytes(), "image/png")
    assert client.post(lot_url, {"photos": png, "kind": "plot", "caption": "x" * over}).status_code == 400
    png = SimpleUploadedFile("p.png", h.png_bytes(), "image/png")
    response = api.post(api_url, {"image": png, "kind": "plot", "caption": "x" * over}, format="multipart")
    assert response.status_code == 400

    many = [
        SimpleUploadedFile(f"p{i}.png", h.png_bytes(), "image/png")
        for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    ]
    assert client.post(lot_url, {"photos": many, "kind": "plot"}).status_code == 400
    assert snapshot(world) == before


# --- CSV imports ---------------------------------------------------------------------------------


def _import_page(user: Any, f: SimpleUploadedFile) -> Any:
    return _client(user).post(reverse("cupping:import"), {"file": f})


@pytest.mark.parametrize(
    "data",
    [
        h.binary_blob(),
        h.nul_text_csv("lot,protocol"),
        b"\xff\xfe" + "lot,notes\n".encode("utf-16-le"),
        b"",
        b"x" * (1024 * 1024 + 1),
    ],
    ids=["binary", "nul", "utf16", "empty", "oversized"],
)
def test_cupping_import_refuses_binary_and_oversized_files(
    data: bytes, q_grader: Any, api: Any, world: dict[str, Any]
) -> None:
    from core.models import Job

    before = Job.objects.count()
    page = _import_page(q_grader, SimpleUploadedFile("session.csv", data, "text/csv"))
    assert page.status_code == 400 and "file" in page.context["form"].errors
    # The API takes the CSV as JSON text; a multipart file is not even parsed.
    multipart = api(q_grader).post(
        "/api/v1/cupping-imports/", {"file": SimpleUploadedFile("s.csv", data)}, format="multipart"
    )
    assert multipart.status_code == 415
    response = api(q_grader).post("/api/v1/cupping-imports/", {"csv": data.decode("latin-1")}, format="json")
    assert response.status_code == 400
    assert Job.objects.count() == before


PRICING_KINDS = ["baseline", "cprice", "rate", "adjustment"]


def _pricing_counts() -> tuple[int, ...]:
    from core.models import ExchangeRate
    from marketplace.pricing.models import CPrice, IncotermAdjustment, SpecialtyBaseline

    return tuple(m.objects.count() for m in (SpecialtyBaseline, CPrice, ExchangeRate, IncotermAdjustment))


@pytest.mark.parametrize("kind", PRICING_KINDS)
@pytest.mark.parametrize(
    "data",
    [h.binary_blob(), h.png_bytes(), h.html_disguised(), b"x" * (2 * 1024 * 1024 + 1)],
    ids=["binary", "png", "html", "oversized"],
)
def test_pricing_import_refuses_binary_and_oversized_files(kind: str, data: bytes, moderator: Any) -> None:
    before = _pricing_counts()
    response = _client(moderator).post(
        reverse("pricing:import", args=[kind]), {"file": SimpleUploadedFile("x.csv", data)}
    )
    assert response.status_code == 400
    assert _pricing_counts() == before


@pytest.mark.parametrize("kind", PRICING_KINDS)
def test_pricing_import_with_nul_bytes_is_a_clean_error(kind: str, moderator: Any) -> None:
    """NUL bytes decode as UTF-8 but PostgreSQL text cannot hold them: an error, never a 500."""
    from marketplace.pricing.services import CSV_COLUMNS

    header = ",".join(CSV_COLUMNS[kind][0])
    row = ",".join("a\x00b" for _ in CSV_COLUMNS[kind][0])
    data = f"{header}\n{row}\n".encode()
    before = _pricing_counts()
    response = _client(moderator).post(
        reverse("pricing:import", args=[kind]), {"file": SimpleUploadedFile("x.csv", data)}
    )
    assert response.status_code == 400
    assert _pricing_counts() == before


@pytest.mark.parametrize("cell", h.FORMULA_CELLS)
def test_pricing_import_formula_cells_in_number_columns_are_refused(cell: str, moderator: Any) -> None:
    from marketplace.pricing.services import CSV_COLUMNS

    columns = CSV_COLUMNS["rate"][0]
    values = {"currency": "EUR", "valid_on": "2026-11-20", "usd_per_unit": cell, "source": "test"}
    row = ",".join('"' + values.get(c, "").replace('"', '""') + '"' for c in columns)
    before = _pricing_counts()
    response = _client(moderator).post(
        reverse("pricing:import", args=["rate"]),
        {"file": SimpleUploadedFile("x.csv", (",".join(columns) + "\n" + row + "\n").encode())},
    )
    assert response.status_code == 400
    assert _pricing_counts() == before


# --- CSV exports that echo user text -------------------------------------------------------------


@pytest.mark.parametrize("cell", h.FORMULA_CELLS)
def test_offer_list_csv_neutralises_formula_cells(cell: str, producer: Any) -> None:
    import csv
    import io

    from accounts.models import ProducerProfile

    ProducerProfile.objects.filter(user=producer).update(organisation=cell)
    farm = factories.FarmFactory(producer=producer, name=cell)
    lot = factories.LotFactory(producer=producer, farm=farm, name=cell, incoterm_place=cell)
    response = Client().get(reverse("lots:catalogue_csv"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    row = next(r for r in rows[1:] if r[0] == lot.code)
    assert cell not in row, row
    assert row.count("'" + cell) >= 3, row
    for value in row:
        assert value[:1] not in ("=", "+", "-", "@"), value


@pytest.mark.parametrize(
    ("kind", "row"),
    [
        ("rate", {"currency": "EUR", "usd_per_unit": "1.1", "valid_on": "2026-11-21", "source": "ECB\x00x"}),
        ("adjustment", {"origin": "CO", "incoterm": "FOB", "usd_per_lb": "0.10", "note": "a\x00b"}),
        (
            "cprice",
            {"observed_on": "2026-11-20", "label": "Dec\x00", "kind": "close", "usd_per_lb": "3.5", "source": "ICE"},
        ),
    ],
    ids=["rate source", "adjustment note", "cprice label"],
)
def test_pricing_import_nul_in_an_otherwise_valid_text_cell(kind: str, row: dict[str, str], moderator: Any) -> None:
    """The one bad cell is text: PostgreSQL would refuse the NUL at save time; the import must say so first."""
    columns = list(row)
    data = (",".join(columns) + "\n" + ",".join(row[c] for c in columns) + "\n").encode()
    before = _pricing_counts()
    response = _client(moderator).post(
        reverse("pricing:import", args=[kind]), {"file": SimpleUploadedFile("x.csv", data)}
    )
    assert response.status_code == 400
    assert _pricing_counts() == before


MIXED = [f for f in FIELDS if f.name in ("lot photos page", "custody documents page", "shipment documents page")]


@pytest.mark.parametrize("field", MIXED, ids=[f.name for f in MIXED])
def test_one_bad_file_in_a_batch_stores_none_of_them(field: Field, world: dict[str, Any], users: Users) -> None:
    """Several files in one input: a good one first, then a hostile one. All or nothing, files included."""
    before = snapshot(world)
    good = SimpleUploadedFile("good.png", h.png_bytes(), content_type="image/png")
    bad = SimpleUploadedFile("bad.png", h.html_disguised(), content_type="image/png")
    key = "photos" if field.name.startswith("lot photos") else "documents"
    client = _client(users.producer)
    if key == "photos":
        url, data = reverse("lots:photos", args=[world["lot"].pk]), {"kind": "plot", "caption": ""}
    elif field.name.startswith("custody"):
        url, data = reverse("lots:custody_add", args=[world["lot"].pk]), dict(CUSTODY)
    else:
        url, data = reverse("negotiation:order_ship", args=[world["order"].pk]), {"courier": "DHL", "tracking": "B"}
    response = client.post(url, {**data, key: [good, bad]})
    assert response.status_code < 500
    assert field.refused(response)
    assert snapshot(world) == before


PDF_FIELDS = [f for f in FIELDS if f.accepts_pdf]


@pytest.mark.parametrize("field", PDF_FIELDS, ids=[f.name for f in PDF_FIELDS])
@pytest.mark.parametrize(
    "build",
    [h.clean_pdf, h.clean_pdf_with_object_stream, h.pillow_pdf, h.pikepdf_clean],
    ids=["plain", "object-stream", "pillow", "qpdf"],
)
def test_clean_pdfs_are_accepted(field: Field, build: Callable[[], bytes], world: dict[str, Any], users: Users) -> None:
    """The PDF checks refuse scripts, not PDFs: the tests above would pass trivially otherwise."""
    # Built once: a writer stamps the creation time, so a second build a second later differs.
    data = build()
    response = field.post(world, users, SimpleUploadedFile("doc.pdf", data, content_type="application/pdf"))
    assert response.status_code < 400
    stored, _shown = _last_stored(field, world)
    with stored.open("rb") as fh:
        assert fh.read() == data


def test_photo_gps_from_exif_reaches_only_the_owner(world: dict[str, Any], users: Users, roaster: Any) -> None:
    """The position read from EXIF is evidence for the owner and moderators, never public."""
    exif = SimpleUploadedFile("gps.jpg", h.jpeg_with_exif(), content_type="image/jpeg")
    assert _photos_api(world, users, exif).status_code == 201
    url = f"/api/v1/lots/{world['lot'].pk}/photos/"
    mine = users.api(users.producer).get(url).json()
    assert any(p.get("gps_lat") for p in mine)
    for reader in (None, roaster):
        public = users.api(reader).get(url)
        assert public.status_code == 200
        assert all("gps_lat" not in p and "gps_lon" not in p and "taken_at" not in p for p in public.json())
        page = _client(reader) if reader else Client()
        html = page.get(reverse("lots:detail", args=[world["lot"].pk])).content.decode()
        assert "HostileCam" not in html and "4.500000" not in html and "75.666667" not in html
