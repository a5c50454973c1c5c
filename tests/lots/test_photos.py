import io
import struct
import zlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from PIL import Image

from lots import services
from lots.models import LotPhoto
from tests.lots.conftest import gps_exif, jpeg_bytes, png_bytes

pytestmark = pytest.mark.django_db


def upload(lot, by, data, kind="plot"):
    return services.photos_add(lot=lot, by=by, uploads=[services.PhotoUpload(data=data, kind=kind, name="f.jpg")])


def png_bomb(width: int = 8000, height: int = 8000) -> bytes:
    """A tiny PNG that claims a huge canvas: the header alone must refuse it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    raw = zlib.compress(b"\x00" * (width // 8 + 1) * 16)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def test_jpeg_with_gps_is_rotated_stripped_and_its_evidence_kept_privately(draft, producer, no_broker):
    data = jpeg_bytes((40, 20), exif=gps_exif(orientation=6))
    [photo] = upload(draft, producer, data)
    assert (photo.width, photo.height) == (20, 40)
    with photo.image.open("rb") as fh, Image.open(fh) as im:
        assert not im.getexif()
    assert str(photo.gps_lat) == "1.852345"
    assert str(photo.gps_lon) == "-75.912345"
    assert photo.taken_at.isoformat().startswith("2025-10-14T07:30")
    assert len(photo.original_sha256) == 64
    assert no_broker == [photo.pk]


def test_png_and_webp_become_jpeg(draft, producer, no_broker):
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(out, "WEBP")
    photos = services.photos_add(
        lot=draft,
        by=producer,
        uploads=[services.PhotoUpload(data=png_bytes()), services.PhotoUpload(data=out.getvalue())],
    )
    for photo in photos:
        with photo.image.open("rb") as fh:
            assert fh.read(3) == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("truncated", png_bytes((64, 64))[:60], "damaged"),
        ("polyglot", b"GIF89a<script>alert(1)</script>" + b"\x00" * 40, "JPEG, PNG and WebP"),
        ("svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "JPEG, PNG and WebP"),
        ("empty", b"", "empty"),
        ("pixel bomb", png_bomb(), "bomb"),
    ],
)
def test_bad_files_get_a_clear_error_and_store_nothing(draft, producer, no_broker, name, data, needle):
    with pytest.raises(ValidationError) as exc:
        upload(draft, producer, data)
    assert needle.lower() in " ".join(exc.value.messages).lower(), name
    assert not LotPhoto.objects.exists()
    assert no_broker == []


def test_oversized_files_are_refused(draft, producer, no_broker, settings):
    settings.UPLOAD_IMAGE_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as exc:
        upload(draft, producer, jpeg_bytes((400, 400), colour="white") + b"\x00" * 2048)
    assert "larger than" in " ".join(exc.value.messages)
    assert not LotPhoto.objects.exists()


def test_one_bad_file_among_good_ones_stores_nothing(draft, producer, no_broker):
    with pytest.raises(ValidationError):
        services.photos_add(
            lot=draft,
            by=producer,
            uploads=[services.PhotoUpload(data=jpeg_bytes()), services.PhotoUpload(data=b"not an image", name="x.jpg")],
        )
    assert not LotPhoto.objects.exists()


def test_second_producer_cannot_add_photos_to_my_lot(draft, second_producer, no_broker):
    with pytest.raises(PermissionDenied):
        upload(draft, second_producer, jpeg_bytes())


def test_derivatives_task_is_idempotent(draft, producer, no_broker):
    from lots.tasks import photo_make_derivatives

    [photo] = upload(draft, producer, jpeg_bytes((2000, 1000)))
    assert photo_make_derivatives(photo.pk) == "done"
    photo.refresh_from_db()
    names = (photo.thumb.name, photo.medium.name, photo.large.name)
    with photo.thumb.open("rb") as fh, Image.open(fh) as im:
        assert max(im.size) == 320
    assert photo_make_derivatives(photo.pk) == "already-done"
    photo.refresh_from_db()
    assert (photo.thumb.name, photo.medium.name, photo.large.name) == names
    assert photo_make_derivatives(999999) == "gone"


def test_derivatives_are_enqueued_only_after_commit(draft, producer, django_capture_on_commit_callbacks, monkeypatch):
    from lots import tasks

    sent = []
    monkeypatch.setattr(tasks.photo_make_derivatives, "delay", lambda pk: sent.append(pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [photo] = upload(draft, producer, jpeg_bytes())
    assert sent == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert sent == [photo.pk]


def test_removing_a_photo_is_audited(draft, producer, no_broker):
    from core.models import AuditEvent

    [photo] = upload(draft, producer, jpeg_bytes())
    services.photo_remove(photo=photo, by=producer)
    assert not LotPhoto.objects.exists()
    assert AuditEvent.objects.filter(action="lot.photo_removed").exists()


def _stored(names):
    from django.core.files.storage import default_storage

    return {name for name in names if default_storage.exists(name)}


def test_removing_a_photo_read_before_its_derivatives_were_made_deletes_them_too(
    draft, producer, no_broker, django_capture_on_commit_callbacks
):
    """The page reads the photo, the task then writes thumb/medium/large, then the removal commits:
    the files are taken from the row under its lock, so no derivative stays in public storage."""
    [photo] = upload(draft, producer, jpeg_bytes((400, 300)))
    stale = LotPhoto.objects.get(pk=photo.pk)  # what the delete view read: no derivatives yet
    assert services.photo_derivatives_make(photo_id=photo.pk) == "done"
    fresh = LotPhoto.objects.get(pk=photo.pk)
    names = [f.name for f in (fresh.image, fresh.thumb, fresh.medium, fresh.large)]
    assert len(_stored(names)) == 4
    with django_capture_on_commit_callbacks(execute=True):
        services.photo_remove(photo=stale, by=producer)
    assert _stored(names) == set()
    assert not LotPhoto.objects.filter(pk=photo.pk).exists()
    # A second removal (another tab) is quiet and changes nothing.
    services.photo_remove(photo=stale, by=producer)


def test_public_photos_revalidate_so_a_lot_going_private_stops_showing_them_at_once(draft, producer, no_broker, client):
    from lots.models import LotStatus

    services.lot_transition(lot=draft, to=LotStatus.LISTED, by=producer, reason="test")
    [photo] = upload(draft, producer, jpeg_bytes((400, 300)))
    url = f"/lots/photos/{photo.pk}/image/"
    first = client.get(url)
    assert first.status_code == 200
    assert "no-cache" in first["Cache-Control"] and "max-age" not in first["Cache-Control"]
    etag = first["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and not again.content
    # The lot is withdrawn: a cache revalidating with its ETag gets nothing, not a 304.
    services.lot_transition(lot=draft, to=LotStatus.WITHDRAWN, by=producer, reason="test")
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 404
    owner = Client()
    owner.force_login(producer)
    private = owner.get(url)
    assert private.status_code == 200 and private["Cache-Control"] == "private, no-store"
    assert "ETag" not in private
