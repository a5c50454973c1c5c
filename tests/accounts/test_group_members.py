"""Issue 13: saving the producer profile must not wipe the named group members that lots point at."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import GroupMember, ProducerProfile
from lots.models import Lot
from tests import factories
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(producer: Any) -> ProducerProfile:
    profile = producer.producer_profile
    profile.is_group = True
    profile.save(update_fields=["is_group"])
    GroupMember.objects.create(profile=profile, name="Ana Ruiz", farm_name="La Loma")
    GroupMember.objects.create(profile=profile, name="Luis Gómez")
    return profile


def member(profile: ProducerProfile, name: str) -> GroupMember:
    return GroupMember.objects.get(profile=profile, name=name)


def lot_naming(producer: Any, *names: str) -> Lot:
    lot = factories.LotFactory(producer=producer)
    lot.group_members.set(GroupMember.objects.filter(profile__user=producer, name__in=names))
    return lot


def page_data(profile: ProducerProfile, rows: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    data = {
        "organisation": profile.organisation,
        "country": profile.country,
        "region": profile.region,
        "is_group": "on",
        "members-TOTAL_FORMS": str(len(rows)),
        "members-INITIAL_FORMS": str(sum(1 for r in rows if r.get("id"))),
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "200",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"members-{i}-{key}"] = value
    data.update(extra)
    return data


def test_saving_the_profile_page_keeps_the_members_a_lot_names(producer, producer_client, group):
    ana, luis = member(group, "Ana Ruiz"), member(group, "Luis Gómez")
    lot = lot_naming(producer, "Ana Ruiz")
    rows = [
        {"id": ana.pk, "name": "Ana Ruiz", "farm_name": "La Loma Alta"},
        {"id": luis.pk, "name": "Luis Gómez", "farm_name": ""},
        {"name": "Marta Díaz", "farm_name": "El Cedro"},
    ]
    response = producer_client.post(reverse("accounts:profile"), page_data(group, rows))
    assert response.status_code == 302
    assert list(lot.group_members.values_list("pk", "name")) == [(ana.pk, "Ana Ruiz")]
    assert member(group, "Ana Ruiz").farm_name == "La Loma Alta"
    assert sorted(group.members.values_list("name", flat=True)) == ["Ana Ruiz", "Luis Gómez", "Marta Díaz"]
    assert member(group, "Luis Gómez").pk == luis.pk


def test_the_profile_page_shows_each_member_with_their_id(producer_client, group):
    response = producer_client.get(reverse("accounts:profile"))
    formset = response.context["members"]
    assert {f.initial["name"]: f.initial["id"] for f in formset.forms if f.initial} == {
        "Ana Ruiz": member(group, "Ana Ruiz").pk,
        "Luis Gómez": member(group, "Luis Gómez").pk,
    }


def test_removing_a_member_a_lot_names_is_refused_on_the_page(producer, producer_client, group):
    ana, luis = member(group, "Ana Ruiz"), member(group, "Luis Gómez")
    lot = lot_naming(producer, "Ana Ruiz")
    rows = [{"id": ana.pk, "name": "Ana Ruiz", "DELETE": "on"}, {"id": luis.pk, "name": "Luis Gómez"}]
    response = producer_client.post(reverse("accounts:profile"), page_data(group, rows))
    assert response.status_code == 400
    assert f"Ana Ruiz is named on lot(s) {lot.code}" in response.content.decode()
    assert list(lot.group_members.values_list("pk", flat=True)) == [ana.pk]


def test_unticking_the_group_box_cannot_remove_members_lots_name(producer, producer_client, group):
    lot = lot_naming(producer, "Luis Gómez")
    rows = [{"id": m.pk, "name": m.name} for m in group.members.all()]
    data = page_data(group, rows)
    del data["is_group"]
    response = producer_client.post(reverse("accounts:profile"), data)
    assert response.status_code == 400
    assert lot.group_members.count() == 1 and ProducerProfile.objects.get(pk=group.pk).is_group


def test_a_member_no_lot_names_can_be_removed(producer, producer_client, group):
    ana, luis = member(group, "Ana Ruiz"), member(group, "Luis Gómez")
    lot_naming(producer, "Ana Ruiz")
    rows = [{"id": ana.pk, "name": "Ana Ruiz"}, {"id": luis.pk, "name": "Luis Gómez", "DELETE": "on"}]
    response = producer_client.post(reverse("accounts:profile"), page_data(group, rows))
    assert response.status_code == 302
    assert list(group.members.values_list("name", flat=True)) == ["Ana Ruiz"]


def test_the_api_returns_members_with_ids_and_keeps_them_across_a_put(producer, group):
    client = api_client_for(producer)
    lot = lot_naming(producer, "Ana Ruiz", "Luis Gómez")
    body = client.get("/api/v1/me/profile/").json()
    assert [m["name"] for m in body["members"]] == ["Ana Ruiz", "Luis Gómez"]
    ids = {m["name"]: m["id"] for m in body["members"]}
    body["members"] = [
        {"id": ids["Ana Ruiz"], "name": "Ana Ruiz Pérez"},  # renamed in place
        {"id": ids["Luis Gómez"], "name": "Luis Gómez"},
        {"name": "Marta Díaz"},
    ]
    response = client.put("/api/v1/me/profile/", body, format="json")
    assert response.status_code == 200, response.content
    assert sorted(lot.group_members.values_list("pk", "name")) == sorted(
        [(ids["Ana Ruiz"], "Ana Ruiz Pérez"), (ids["Luis Gómez"], "Luis Gómez")]
    )
    assert [m["name"] for m in response.json()["members"]] == ["Ana Ruiz Pérez", "Luis Gómez", "Marta Díaz"]


def test_the_api_refuses_to_drop_a_member_a_lot_names(producer, group):
    client = api_client_for(producer)
    lot = lot_naming(producer, "Luis Gómez")
    body = client.get("/api/v1/me/profile/").json()
    body["members"] = [m for m in body["members"] if m["name"] != "Luis Gómez"]
    response = client.put("/api/v1/me/profile/", body, format="json")
    assert response.status_code == 400
    assert lot.code in response.json()["extra"]["fields"]["members"][0]
    assert lot.group_members.get().name == "Luis Gómez"


def test_the_api_refuses_another_groups_member_id(producer, second_producer, group):
    other = GroupMember.objects.create(profile=second_producer.producer_profile, name="Someone Else")
    client = api_client_for(producer)
    body = client.get("/api/v1/me/profile/").json()
    body["members"].append({"id": other.pk, "name": "Mine now"})
    response = client.put("/api/v1/me/profile/", body, format="json")
    assert response.status_code == 400
    assert GroupMember.objects.get(pk=other.pk).name == "Someone Else"


def test_swapping_two_members_names_keeps_both_rows(producer, group):
    client = api_client_for(producer)
    ana, luis = member(group, "Ana Ruiz"), member(group, "Luis Gómez")
    body = client.get("/api/v1/me/profile/").json()
    body["members"] = [{"id": ana.pk, "name": "Luis Gómez"}, {"id": luis.pk, "name": "Ana Ruiz"}]
    assert client.put("/api/v1/me/profile/", body, format="json").status_code == 200
    assert GroupMember.objects.get(pk=ana.pk).name == "Luis Gómez"
    assert GroupMember.objects.get(pk=luis.pk).name == "Ana Ruiz"


def test_renaming_a_member_of_a_verified_lot_reopens_its_claim(producer, group):
    """DESIGN.md: an edit to evidence after approval re-opens the claim (the lot's named producers)."""
    from marketplace.moderation.models import EvidenceChange, MicroLotClaim

    lot = lot_naming(producer, "Ana Ruiz")
    Lot.objects.filter(pk=lot.pk).update(verified_badge="micro")
    claim = MicroLotClaim.objects.create(
        lot=lot,
        producer=producer,
        kind="micro",
        isolation="geographic",
        statement="Kept apart from picking to packing.",
        status="approved",
        waiting_since=timezone.now(),
    )
    client = api_client_for(producer)
    body = client.get("/api/v1/me/profile/").json()
    for row in body["members"]:
        if row["name"] == "Ana Ruiz":
            row["name"] = "Ana Ruiz Pérez"
    assert client.put("/api/v1/me/profile/", body, format="json").status_code == 200
    claim.refresh_from_db()
    assert claim.status == "pending"
    assert Lot.objects.get(pk=lot.pk).verified_badge == ""
    assert EvidenceChange.objects.get(claim=claim).kind == "origin"


def test_roasters_cannot_use_the_producer_profile_api(roaster):
    assert api_client_for(roaster).get("/api/v1/me/profile/").status_code == 403
