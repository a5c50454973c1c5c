"""Background work for lots: thin, idempotent tasks that take ids."""

from __future__ import annotations

from celery import shared_task

from lots import services


@shared_task(
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=120,
    time_limit=180,
)
def photo_make_derivatives(photo_id: int) -> str:
    """Thumbnail, medium and large of one photo; a second run finds them made and does nothing."""
    return services.photo_derivatives_make(photo_id=photo_id)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def lots_reprice() -> int:
    """Keep price_usd_per_kg in step with the latest exchange rates."""
    return services.lots_reprice()


@shared_task
def photos_derivatives_sweep(older_than_minutes: int = 5) -> int:
    """Re-enqueue derivatives for photos that still have none (the enqueue was lost while the
    broker was down, or a worker died); making them is idempotent."""
    import datetime

    from django.utils import timezone

    from lots.models import LotPhoto

    cutoff = timezone.now() - datetime.timedelta(minutes=older_than_minutes)
    ids = list(
        LotPhoto.objects.filter(thumb="", created_at__lt=cutoff).order_by("pk").values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        photo_make_derivatives.delay(pk)
    return len(ids)
