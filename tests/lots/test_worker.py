"""The derivative task on a real Celery worker on Redis, enqueued on commit by the upload."""

import pytest
from django.db import transaction

from lots import services
from lots.models import LotPhoto
from tests.factories import LotFactory
from tests.lots.conftest import jpeg_bytes

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_upload_enqueues_derivatives_that_a_real_worker_makes_once(celery_worker_on_redis, producer, settings):
    from django.core.files.storage import storages

    from lots.tasks import photo_make_derivatives

    # The worker thread and the test share the process, so the in-memory storage is shared too.
    assert storages["default"] is not None
    lot = LotFactory(producer=producer, status="draft")
    with transaction.atomic():
        [photo] = services.photos_add(
            lot=lot, by=producer, uploads=[services.PhotoUpload(data=jpeg_bytes((1800, 1200)))]
        )
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        photo.refresh_from_db()
        if photo.thumb and photo.medium and photo.large:
            break
        time.sleep(0.2)
    assert photo.thumb and photo.medium and photo.large
    names = (photo.thumb.name, photo.medium.name, photo.large.name)
    # A redelivered or repeated task finds the derivatives made and leaves them alone.
    photo_make_derivatives.delay(photo.pk).get(timeout=20)
    photo.refresh_from_db()
    assert (photo.thumb.name, photo.medium.name, photo.large.name) == names
    assert LotPhoto.objects.count() == 1
