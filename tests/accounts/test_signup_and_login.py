from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import ProducerProfile, QGraderProfile, RoasterProfile, Role, User
from tests.accounts.test_signup_privacy import activation_path
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {
    "producer": {"role": "producer", "organisation": "Finca Alta", "country": "co", "region": "Huila"},
    "roaster": {"role": "roaster", "company": "Tostadora", "country": "de", "competition_alerts": "on"},
    "q_grader": {
        "role": "q_grader",
        "licence_number": "Q-77",
        "licence_type": "evolved",
        "licence_expires_on": "2030-01-31",
    },
}


@pytest.mark.parametrize("role", ["producer", "roaster", "q_grader"])
def test_a_new_user_signs_up_in_each_role_confirms_by_e_mail_and_lands_on_their_dashboard(
    client, role, mailoutbox, django_capture_on_commit_callbacks
):
    data = {
        "email": f"New-{role}@Example.test",
        "password": "a-long-coffee-pass",
        "password_again": "a-long-coffee-pass",
        **SIGNUP[role],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 302 and response.url == reverse("accounts:signup_sent")
    user = User.objects.get(email=f"new-{role}@example.test")
    assert user.role == role and not user.is_active and user.pending_activation
    profile_model = {"producer": ProducerProfile, "roaster": RoasterProfile, "q_grader": QGraderProfile}[role]
    assert profile_model.objects.filter(user=user).exists()
    assert client.get(reverse("accounts:dashboard")).status_code == 302  # not signed in yet
    response = client.post(activation_path(mailoutbox[-1].body), {"password": "a-long-coffee-pass"})
    assert response.status_code == 302 and response.url == reverse("accounts:dashboard")
    page = client.get(reverse("accounts:dashboard"))
    assert page.status_code == 200
    assert user.get_role_display() in page.content.decode()


def test_roaster_signup_stores_competition_alert_opt_in(client):
    data = {
        "email": "r@example.test",
        "password": "a-long-coffee-pass",
        "password_again": "a-long-coffee-pass",
        **SIGNUP["roaster"],
    }
    client.post(reverse("accounts:signup"), data)
    profile = RoasterProfile.objects.get(user__email="r@example.test")
    assert profile.competition_alerts is True and profile.country == "DE"


def test_nobody_can_sign_up_as_moderator(client):
    data = {
        "email": "m@example.test",
        "password": "a-long-coffee-pass",
        "password_again": "a-long-coffee-pass",
        "role": "moderator",
    }
    response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 400
    assert not User.objects.filter(email="m@example.test").exists()


def test_signup_errors_are_shown_per_field_and_nothing_is_saved(client, producer):
    data = {"email": producer.email.upper(), "password": "short", "password_again": "other", "role": "q_grader"}
    response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert "password_again" in form.errors
    assert "licence_number" in form.errors
    assert User.objects.count() == 1


def test_signing_up_with_a_taken_address_creates_nothing_and_answers_like_a_new_one(client, producer):
    """Issue 13: sign-up must not reveal whether an e-mail address already has an account."""
    data = {
        "email": producer.email.upper(),
        "password": "a-long-coffee-pass",
        "password_again": "a-long-coffee-pass",
        **SIGNUP["producer"],
    }
    response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 302 and response.url == reverse("accounts:signup_sent")
    assert User.objects.filter(email__iexact=producer.email).count() == 1
    producer.refresh_from_db()
    assert producer.check_password(PASSWORD)


def test_group_of_producers_names_every_member(client):
    data = {
        "email": "g@example.test",
        "password": "a-long-coffee-pass",
        "password_again": "a-long-coffee-pass",
        **SIGNUP["producer"],
        "is_group": "on",
        "members": "Ana Ruiz\nLuis Gómez\n",
    }
    client.post(reverse("accounts:signup"), data)
    profile = ProducerProfile.objects.get(user__email="g@example.test")
    assert profile.is_group and sorted(profile.members.values_list("name", flat=True)) == ["Ana Ruiz", "Luis Gómez"]


def test_login_with_email_and_logout(client, roaster):
    from tests.factories import PASSWORD

    response = client.post(reverse("accounts:login"), {"username": roaster.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts:dashboard")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:dashboard")).status_code == 302


def test_wrong_password_is_refused_and_repeated_guessing_locks_out(client, roaster):
    for _ in range(5):
        response = client.post(reverse("accounts:login"), {"username": roaster.email, "password": "wrong"})
    assert response.status_code in (200, 403, 429)
    from tests.factories import PASSWORD

    locked = client.post(reverse("accounts:login"), {"username": roaster.email, "password": PASSWORD})
    assert locked.status_code in (403, 429)
    assert client.get(reverse("accounts:dashboard")).status_code == 302


def test_password_reset_sends_a_link_that_works(client, roaster, mailoutbox):
    client.post(reverse("accounts:password_reset"), {"email": roaster.email})
    assert len(mailoutbox) == 1
    link = next(line for line in mailoutbox[0].body.splitlines() if "/reset/" in line)
    path = link[link.index("/accounts/reset/") :]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "brand-new-coffee-pass", "new_password2": "brand-new-coffee-pass"},
    )
    assert response.status_code == 302
    roaster.refresh_from_db()
    assert roaster.check_password("brand-new-coffee-pass")


def test_profile_edit_per_role(producer_client, producer):
    response = producer_client.post(
        reverse("accounts:profile"), {"organisation": "Renamed", "country": "PE", "region": "Cusco"}
    )
    assert response.status_code == 302
    producer.producer_profile.refresh_from_db()
    assert producer.producer_profile.organisation == "Renamed" and producer.producer_profile.country == "PE"


def test_q_grader_changing_licence_number_needs_verification_again(q_grader_client, q_grader):
    assert q_grader.q_grader_profile.licence_verified
    q_grader_client.post(
        reverse("accounts:profile"),
        {"licence_number": "Q-NEW", "licence_type": "legacy", "licence_expires_on": "2031-01-01"},
    )
    q_grader.q_grader_profile.refresh_from_db()
    assert not q_grader.q_grader_profile.licence_verified


@pytest.mark.parametrize("actor", ["anon", "producer", "roaster", "q_grader"])
def test_only_moderators_open_the_licence_page(request, actor):
    client = request.getfixturevalue("anon_client" if actor == "anon" else f"{actor}_client")
    response = client.get(reverse("accounts:licences"))
    assert response.status_code == (302 if actor == "anon" else 403)


def test_moderator_verifies_a_licence_and_it_is_audited(moderator_client, moderator):
    from core.models import AuditEvent
    from tests.factories import QGraderFactory

    grader = QGraderFactory(profile__licence_verified_at=None)
    assert moderator_client.get(reverse("accounts:licences")).status_code == 200
    moderator_client.post(reverse("accounts:licence_verify", args=[grader.q_grader_profile.pk]), {"verified": "1"})
    grader.q_grader_profile.refresh_from_db()
    assert grader.q_grader_profile.licence_verified_by == moderator
    assert AuditEvent.objects.filter(action="qgrader.licence_verified", actor=moderator).count() == 1


def test_outsider_cannot_verify_licences(outsider_client, q_grader):
    response = outsider_client.post(reverse("accounts:licence_verify", args=[q_grader.q_grader_profile.pk]))
    assert response.status_code == 403


def test_create_user_command_is_the_way_to_make_a_moderator(capsys):
    from django.core.management import call_command

    call_command(
        "create_user", "--email", "boss@example.test", "--password", "a-long-coffee-pass", "--role", "moderator"
    )
    user = User.objects.get(email="boss@example.test")
    assert user.role == Role.MODERATOR and user.is_staff


def test_seed_demo_is_idempotent():
    from django.core.management import call_command

    call_command("seed_demo")
    count = User.objects.count()
    call_command("seed_demo")
    assert User.objects.count() == count
    assert set(User.objects.values_list("role", flat=True)) == {r.value for r in Role}
