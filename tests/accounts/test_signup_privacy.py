"""Sign-up and password reset never say whether an e-mail address already has an account.

Issue 13, "Sign-up must not reveal whether an e-mail address already has an account". A new
address gets a confirmation link; a taken one gets a note to its owner; both visitors see the same
"check your e-mail". Timing is not asserted (the work is made similar, not measured).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
ACTIVATE = "/api/v1/auth/activate/"
PRODUCER = {"role": "producer", "organisation": "Finca Alta", "country": "CO"}


def activation_path(body: str) -> str:
    match = re.search(r"/accounts/activate/[^/\s]+/[^/\s]+/", body)
    assert match, body
    return match.group(0)


def activation_link_parts(body: str) -> tuple[str, str]:
    _prefix, _accounts, _activate, uid, token, _end = activation_path(body).split("/")
    return uid, token


def reset_path(body: str) -> str:
    match = re.search(r"/accounts/reset/[^/\s]+/[^/\s]+/", body)
    assert match, body
    return match.group(0)


def page_signup(client: Any, email: str, password: str = "a-long-coffee-pass", **extra: str) -> Any:
    data = {"email": email, "password": password, "password_again": password, **PRODUCER, **extra}
    return client.post(reverse("accounts:signup"), data, follow=True)


def visible(response: Any) -> tuple[int, list[tuple[str, int]], str]:
    """What a visitor can tell apart: status, redirects and the text of the page's main part."""
    html = response.content.decode()
    main = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split("<main", 1)[-1].split("</main>", 1)[0]))
    return response.status_code, response.redirect_chain, main


def test_the_signup_page_answers_a_taken_address_exactly_as_a_new_one(
    client, producer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        new = visible(page_signup(client, "someone-new@example.test"))
        taken = visible(page_signup(client, producer.email.upper()))
    assert new == taken
    assert new[1] == [(reverse("accounts:signup_sent"), 302)] and "Check your e-mail" in new[2]
    assert sorted(m.to[0] for m in mailoutbox) == sorted(["someone-new@example.test", producer.email])


def test_the_register_api_answers_a_taken_address_exactly_as_a_new_one(
    roaster, mailoutbox, django_capture_on_commit_callbacks
):
    body = {"password": "a-long-coffee-pass", "role": "roaster", "company": "Tostadora", "country": "DE"}
    with django_capture_on_commit_callbacks(execute=True):
        new = APIClient().post(REGISTER, {**body, "email": "fresh@example.test"}, format="json")
        taken = APIClient().post(REGISTER, {**body, "email": roaster.email}, format="json")
    assert (new.status_code, new.json()) == (taken.status_code, taken.json())
    assert new.status_code == 202 and "token" not in new.json()
    assert User.objects.filter(email=roaster.email).count() == 1
    assert len(mailoutbox) == 2


def test_the_owner_of_a_taken_address_is_told_and_can_reset_from_that_e_mail(
    client, producer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page_signup(client, producer.email)
    (mail,) = mailoutbox
    assert mail.to == [producer.email] and "Someone tried" in mail.subject
    assert "already has one" in mail.body and reverse("accounts:login") in mail.body
    form_page = client.get(reset_path(mail.body), follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "owner-new-pass-1", "new_password2": "owner-new-pass-1"}
    )
    assert response.status_code == 302
    producer.refresh_from_db()
    assert producer.check_password("owner-new-pass-1") and producer.is_active


@pytest.mark.parametrize("taken", [False, True])
def test_bad_input_is_refused_alike_whether_or_not_the_address_is_taken(
    client, producer, taken, django_capture_on_commit_callbacks
):
    email = producer.email if taken else "new-person@example.test"
    weak = client.post(
        reverse("accounts:signup"),
        {"email": email, "password": "12345678", "password_again": "12345678", **PRODUCER},
    )
    assert weak.status_code == 400 and "password" in weak.context["form"].errors
    # A rule only the profile service knows (distinct member names) is checked for a taken address too.
    duplicate = APIClient().post(
        REGISTER,
        {
            "email": email,
            "password": "a-long-coffee-pass",
            **PRODUCER,
            "is_group": True,
            "members": ["Ana Ruiz", "Ana Ruiz"],
        },
        format="json",
    )
    assert duplicate.status_code == 400 and "members" in duplicate.json()["extra"]["fields"]
    assert User.objects.count() == 1


def test_a_pending_account_can_neither_log_in_nor_get_a_token(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        page_signup(client, "pending@example.test")
    login = client.post(
        reverse("accounts:login"), {"username": "pending@example.test", "password": "a-long-coffee-pass"}
    )
    assert login.status_code == 200 and client.get(reverse("accounts:dashboard")).status_code == 302
    token = APIClient().post(
        "/api/v1/auth/token/", {"email": "pending@example.test", "password": "a-long-coffee-pass"}, format="json"
    )
    assert token.status_code in (401, 403) and "token" not in token.json()


def test_a_confirmation_link_works_once(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        page_signup(client, "once@example.test")
    path = activation_path(mailoutbox[0].body)
    assert client.post(path, {"password": "a-long-coffee-pass"}).status_code == 302
    client.post(reverse("accounts:logout"))
    again = client.post(path, {"password": "a-long-coffee-pass"})
    assert again.status_code == 400 and "invalid" in again.content.decode()


def test_someone_who_squats_your_address_cannot_get_it_confirmed_by_you(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    """The attacker signs up with the victim's address and a password of their own; the victim
    opening the confirmation link cannot switch that account on without the attacker's password."""
    with django_capture_on_commit_callbacks(execute=True):
        page_signup(client, "victim@example.test", password="attackers-own-pass-9")
    response = client.post(activation_path(mailoutbox[0].body), {"password": "victims-password-77"})
    assert response.status_code == 400
    assert not User.objects.get(email="victim@example.test").is_active


def test_the_owner_of_a_squatted_address_takes_it_over_by_choosing_a_password(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page_signup(client, "victim@example.test", password="attackers-own-pass-9")
        page_signup(client, "victim@example.test", password="victims-password-77")
    note = mailoutbox[1]
    assert "waiting to be confirmed" in note.body
    form_page = client.get(reset_path(note.body), follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "victims-password-77", "new_password2": "victims-password-77"},
    )
    victim = User.objects.get(email="victim@example.test")
    assert victim.is_active and not victim.pending_activation
    assert victim.check_password("victims-password-77") and not victim.check_password("attackers-own-pass-9")


def test_a_deactivated_account_is_not_reopened_by_signing_up_again(
    client, roaster, mailoutbox, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=roaster.pk).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = page_signup(client, roaster.email)
    assert response.redirect_chain == [(reverse("accounts:signup_sent"), 302)]
    assert "/accounts/reset/" not in mailoutbox[0].body
    roaster.refresh_from_db()
    assert not roaster.is_active


def test_password_reset_answers_a_known_and_an_unknown_address_alike(client, roaster, mailoutbox):
    known = visible(client.post(reverse("accounts:password_reset"), {"email": roaster.email}, follow=True))
    unknown = visible(client.post(reverse("accounts:password_reset"), {"email": "nobody@example.test"}, follow=True))
    assert known == unknown and known[1] == [(reverse("accounts:password_reset_done"), 302)]
    assert [m.to for m in mailoutbox] == [[roaster.email]]


def test_a_wrong_password_and_an_unknown_address_get_the_same_refusal(client, roaster):
    wrong = client.post(reverse("accounts:login"), {"username": roaster.email, "password": "not-it"})
    unknown = client.post(reverse("accounts:login"), {"username": "nobody@example.test", "password": "not-it"})
    assert wrong.context["form"].errors == unknown.context["form"].errors
    api = [
        APIClient().post("/api/v1/auth/token/", {"email": email, "password": "not-it"}, format="json")
        for email in (roaster.email, "nobody@example.test")
    ]
    assert [(r.status_code, r.json()) for r in api] == [(api[0].status_code, api[0].json())] * 2
