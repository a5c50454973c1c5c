"""A notification e-mail either goes out or ends ``failed`` with its reason; nothing loops on it.

Issue 13, "A newline in user text makes notification e-mails fail forever and the resend sweep
re-pick them".
"""

from __future__ import annotations

import contextlib
import datetime
import smtplib
from typing import Any

import pytest
from django.core.mail import BadHeaderError
from django.utils import timezone
from rest_framework.test import APIClient

from core import tasks
from core.models import Notification
from core.services import notify
from core.text import email_subject
from tests.factories import LotFactory

pytestmark = pytest.mark.django_db

Status = Notification.EmailStatus


def _age(note: Notification, minutes: int = 10) -> None:
    Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=minutes))


def _offer_body(lot: Any) -> dict[str, Any]:
    return {
        "lot": lot.pk,
        "quantity_kg": "100.00",
        "price": "12.5000",
        "currency": "USD",
        "price_unit": "lb",
        "incoterm": "FOB",
        "incoterm_place": "Buenaventura",
        "shipment_window": "Q1 2027",
        "condition": "",
        "expires_at": (timezone.now() + datetime.timedelta(days=2)).isoformat(),
    }


def test_a_lot_name_with_a_line_break_still_gets_its_offer_e_mail_out(producer, roaster, mailoutbox):
    lot = LotFactory(producer=producer, name="Gesha lot\r\nBcc: everyone@example.test")
    client = APIClient()
    client.force_authenticate(roaster)
    assert client.post("/api/v1/negotiations/", _offer_body(lot), format="json").status_code == 201
    note = Notification.objects.get(recipient=producer, kind="negotiation.opened")
    assert tasks.send_notification_email(note.pk) == "sent"
    (mail,) = mailoutbox
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert mail.subject.startswith("New offer on Gesha lot Bcc: everyone@example.test")
    assert mail.to == [producer.email] and mail.bcc == []
    note.refresh_from_db()
    assert note.email_status == Status.SENT and note.email_attempts == 1


def test_a_message_with_line_breaks_is_sent_with_a_one_line_subject(roaster, mailoutbox):
    note = notify(recipient=roaster, kind="t", message="Sample shipped\r\nto you\n\twith\u2028care", email=False)
    assert tasks.send_notification_email(note.pk) == "sent"
    assert mailoutbox[0].subject == "Sample shipped to you with care"
    assert "Sample shipped\r\nto you" in mailoutbox[0].body  # the body keeps the text as written


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("Short", "Short"),
        ("word " * 30, ("word " * 15).strip() + "…"),
        ("x" * 100, "x" * 77 + "…"),
        ("Offer on Finca " + "Alta " * 20, "Offer on Finca " + ("Alta " * 12).strip() + "…"),
    ],
)
def test_subjects_are_cut_on_a_word_boundary_with_an_ellipsis(text, subject):
    assert email_subject(text) == subject and len(email_subject(text)) <= 78


def test_a_send_that_can_never_work_ends_failed_with_its_reason_after_one_try(roaster, monkeypatch):
    note = notify(recipient=roaster, kind="t", message="Hello", email=True)

    def refused(**kwargs: Any) -> None:
        raise smtplib.SMTPRecipientsRefused({roaster.email: (550, b"no such user")})

    monkeypatch.setattr(tasks, "send_mail", refused)
    assert tasks.send_notification_email.run(note.pk) == "failed"  # not raised: Celery does not retry
    note.refresh_from_db()
    assert note.email_status == Status.FAILED and note.email_attempts == 1
    assert "SMTPRecipientsRefused" in note.email_error and note.emailed_at is None


def test_a_header_error_is_permanent_too(roaster, monkeypatch):
    note = notify(recipient=roaster, kind="t", message="Hello", email=True)

    def bad_header(**kwargs: Any) -> None:
        raise BadHeaderError("Header values can't contain newlines")

    monkeypatch.setattr(tasks, "send_mail", bad_header)
    assert tasks.send_notification_email.run(note.pk) == "failed"
    note.refresh_from_db()
    assert note.email_status == Status.FAILED and "BadHeaderError" in note.email_error


def test_a_transient_error_is_retried_a_bounded_number_of_times_then_fails(roaster, monkeypatch, mailoutbox):
    note = notify(recipient=roaster, kind="t", message="Hello", email=True)
    calls: list[int] = []

    def down(**kwargs: Any) -> None:
        calls.append(1)
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(tasks, "send_mail", down)
    for _ in range(tasks.EMAIL_MAX_ATTEMPTS - 1):
        with pytest.raises(ConnectionRefusedError):  # raised: Celery's autoretry tries again
            tasks.send_notification_email.run(note.pk)
    note.refresh_from_db()
    assert note.email_status == Status.PENDING and note.email_attempts == tasks.EMAIL_MAX_ATTEMPTS - 1
    assert tasks.send_notification_email.run(note.pk) == "failed"
    assert tasks.send_notification_email.run(note.pk) == "already-sent"  # nothing more is tried
    assert len(calls) == tasks.EMAIL_MAX_ATTEMPTS and mailoutbox == []
    note.refresh_from_db()
    assert note.email_status == Status.FAILED and note.email_attempts == tasks.EMAIL_MAX_ATTEMPTS
    assert note.email_error == "ConnectionRefusedError: smtp down"


def test_the_resend_sweep_never_re_picks_a_failed_row(roaster, monkeypatch):
    poison = notify(recipient=roaster, kind="t", message="Poison", email=True)
    owed = notify(recipient=roaster, kind="t", message="Owed", email=True)
    _age(poison)
    _age(owed)

    def refused(**kwargs: Any) -> None:
        raise smtplib.SMTPDataError(554, b"message rejected")

    monkeypatch.setattr(tasks, "send_mail", refused)
    assert tasks.send_notification_email.run(poison.pk) == "failed"
    queued: list[int] = []
    monkeypatch.setattr(tasks.send_notification_email, "delay", lambda pk: queued.append(pk))
    for _ in range(3):
        tasks.notifications_resend_unsent()
    assert queued == [owed.pk] * 3


def test_the_sweep_stops_after_the_attempts_are_used_up(roaster, monkeypatch):
    """Every pass of the sweep counts: a row that keeps failing transiently is given up on."""
    note = notify(recipient=roaster, kind="t", message="Flaky", email=True)
    _age(note)

    def down(**kwargs: Any) -> None:
        raise TimeoutError("smtp timed out")

    monkeypatch.setattr(tasks, "send_mail", down)

    def run_now(pk: int) -> None:
        with contextlib.suppress(TimeoutError):  # what Celery's autoretry would catch
            tasks.send_notification_email.run(pk)

    monkeypatch.setattr(tasks.send_notification_email, "delay", run_now)
    picked = [tasks.notifications_resend_unsent() for _ in range(tasks.EMAIL_MAX_ATTEMPTS + 3)]
    assert picked == [1] * tasks.EMAIL_MAX_ATTEMPTS + [0, 0, 0]
    note.refresh_from_db()
    assert note.email_status == Status.FAILED and note.email_attempts == tasks.EMAIL_MAX_ATTEMPTS


def test_a_send_that_recovers_is_sent_once_and_clears_the_error(roaster, monkeypatch, mailoutbox):
    note = notify(recipient=roaster, kind="t", message="Hello", email=True)

    def down(**kwargs: Any) -> None:
        raise ConnectionResetError("reset")

    monkeypatch.setattr(tasks, "send_mail", down)
    with pytest.raises(ConnectionResetError):
        tasks.send_notification_email.run(note.pk)
    monkeypatch.undo()
    assert tasks.send_notification_email(note.pk) == "sent"
    note.refresh_from_db()
    assert (note.email_status, note.email_attempts, note.email_error) == (Status.SENT, 2, "")
    assert len(mailoutbox) == 1
