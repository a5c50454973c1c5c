"""Work whose enqueue was lost (broker down) is redone by a periodic sweep, never twice."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.models import Job, Notification
from core.services import job_create, notify

pytestmark = pytest.mark.django_db


def _age(qs, minutes: int) -> None:
    qs.update(created_at=timezone.now() - datetime.timedelta(minutes=minutes))


def test_owed_emails_are_resent_by_the_sweep_and_sent_once(roaster, outsider, mailoutbox, monkeypatch):
    from core import tasks

    owed = notify(recipient=roaster, kind="t", message="Owed", email=True)
    notify(recipient=outsider, kind="t", message="In-site only", email=False)
    fresh = notify(recipient=roaster, kind="t", message="Just now", email=True)
    _age(Notification.objects.exclude(pk=fresh.pk), 10)
    queued: list[int] = []
    monkeypatch.setattr(tasks.send_notification_email, "delay", lambda pk: queued.append(pk))
    assert tasks.notifications_resend_unsent() == 1 and queued == [owed.pk]
    monkeypatch.undo()
    assert tasks.send_notification_email(owed.pk) == "sent"
    assert tasks.notifications_resend_unsent() == 0  # sent now: nothing owed
    assert [m.body.splitlines()[0] for m in mailoutbox] == ["Owed"]


def _photo(lot, **fields):
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from lots.models import LotPhoto

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 60, 30)).save(buf, "JPEG")
    return LotPhoto.objects.create(
        lot=lot, image=ContentFile(buf.getvalue(), "p.jpg"), original_sha256="0" * 64, **fields
    )


def test_photos_without_derivatives_are_redone_by_the_sweep(monkeypatch):
    from lots import tasks
    from lots.models import LotPhoto
    from tests.factories import LotFactory

    lot = LotFactory()
    lost = _photo(lot)
    done = _photo(lot, thumb="lots/x/thumb.jpg")
    fresh = _photo(lot)
    _age(LotPhoto.objects.filter(pk__in=[lost.pk, done.pk]), 10)
    calls: list[int] = []
    monkeypatch.setattr(tasks.photo_make_derivatives, "delay", lambda pk: calls.append(pk))
    assert tasks.photos_derivatives_sweep() == 1 and calls == [lost.pk]
    assert fresh.pk not in calls


def test_imports_left_waiting_are_resumed(q_grader, monkeypatch):
    from cupping import tasks

    stuck = job_create(kind="cupping_import", owner=q_grader, params={"csv": ""})
    job_create(kind="cupping_import", owner=q_grader, params={"csv": ""})  # just started
    other = job_create(kind="premium_sweep", owner=q_grader)
    _age(Job.objects.filter(pk__in=[stuck.pk, other.pk]), 10)
    calls: list[str] = []
    monkeypatch.setattr(tasks.run_cupping_import, "delay", lambda pk: calls.append(pk))
    assert tasks.cupping_imports_resume() == 1 and calls == [str(stuck.pk)]
