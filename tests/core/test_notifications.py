from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from core.models import Notification
from core.services import notify
from core.tasks import send_notification_email

pytestmark = pytest.mark.django_db


def test_notify_emails_after_commit_only(roaster, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        note = notify(recipient=roaster, kind="test", message="An offer arrived", url="/trade/")
    assert len(callbacks) == 1
    # The callback only enqueues; run the task body as the worker would.
    assert send_notification_email(note.pk) == "sent"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [roaster.email]
    assert "An offer arrived" in mailoutbox[0].body


def test_sending_twice_sends_one_email(roaster, mailoutbox):
    note = notify(recipient=roaster, kind="test", message="Hello", email=False)
    assert send_notification_email(note.pk) == "sent"
    assert send_notification_email(note.pk) == "already-sent"
    assert len(mailoutbox) == 1


def test_a_failed_send_leaves_it_unsent_for_the_retry(roaster, mailoutbox, monkeypatch):
    note = notify(recipient=roaster, kind="test", message="Hello", email=False)

    def broken(**kwargs):
        raise ConnectionError("smtp down")

    monkeypatch.setattr("core.tasks.send_mail", broken)
    with pytest.raises(ConnectionError):
        send_notification_email.run(note.pk)
    note.refresh_from_db()
    assert note.emailed_at is None
    monkeypatch.undo()
    assert send_notification_email(note.pk) == "sent"


def test_dedupe_key_notifies_once(roaster):
    first = notify(recipient=roaster, kind="competition", message="New nano-lot", dedupe_key="lot-1", email=False)
    second = notify(recipient=roaster, kind="competition", message="New nano-lot", dedupe_key="lot-1", email=False)
    assert first is not None and second is None
    assert Notification.objects.filter(recipient=roaster).count() == 1


def test_notification_centre_shows_unread_count_and_marks_read(roaster_client, roaster, outsider):
    notify(recipient=roaster, kind="t", message="One", email=False)
    notify(recipient=roaster, kind="t", message="Two", email=False)
    notify(recipient=outsider, kind="t", message="Not yours", email=False)
    page = roaster_client.get(reverse("notifications"))
    html = page.content.decode()
    assert 'id="unread-count">2<' in html and "One" in html and "Not yours" not in html
    roaster_client.post(reverse("notifications_read"))
    assert Notification.objects.filter(recipient=roaster, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=outsider, read_at__isnull=True).count() == 1


def test_marking_read_cannot_touch_someone_elses_notification(outsider_client, roaster):
    note = notify(recipient=roaster, kind="t", message="Private", email=False)
    outsider_client.post(reverse("notifications_read"), {"id": note.pk})
    note.refresh_from_db()
    assert note.read_at is None


def test_anonymous_users_are_sent_to_login_for_notifications(anon_client):
    assert anon_client.get(reverse("notifications")).status_code == 302


def test_job_progress_is_visible_to_its_owner_and_moderators_only(
    roaster_client, roaster, outsider_client, moderator_client
):
    from core.services import job_create, job_progress

    job = job_create(kind="import", owner=roaster, total=10)
    job_progress(job_id=job.pk, done=4)
    url = reverse("job_progress", args=[job.pk])
    partial = roaster_client.get(url, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and 'value="40"' in partial.content.decode()
    assert 'hx-trigger="every 1s"' in partial.content.decode()
    assert moderator_client.get(url).status_code == 200
    assert outsider_client.get(url).status_code == 404
