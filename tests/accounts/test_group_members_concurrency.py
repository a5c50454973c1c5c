"""Race between removing a group member and a lot naming them, on PostgreSQL (issue 13)."""

from __future__ import annotations

from functools import partial

import pytest

from accounts.models import GroupMember
from accounts.services import profile_upsert
from lots import services
from tests.factories import LotFactory
from tests.lots.test_concurrency import run_concurrently

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.mark.parametrize("attempt", range(4))
def test_a_member_is_never_removed_while_a_lot_names_them(require_postgres, producer, attempt):
    profile = producer.producer_profile
    profile.is_group = True
    profile.save(update_fields=["is_group"])
    ana = GroupMember.objects.create(profile=profile, name="Ana Ruiz")
    luis = GroupMember.objects.create(profile=profile, name="Luis Gómez")
    lot = LotFactory(producer=producer, status="draft")
    data = {"organisation": profile.organisation, "country": profile.country, "is_group": True}
    results = run_concurrently(
        [
            partial(profile_upsert, user=producer, data={**data, "members": [{"id": luis.pk, "name": "Luis Gómez"}]}),
            partial(
                services.lot_update,
                lot=lot,
                by=producer,
                data={"group_members": [ana.pk, luis.pk]},
                expected_version=lot.version,
            ),
        ]
    )
    # Exactly one wins: either Ana left the group first (and the lot cannot name her), or the lot
    # named her first (and removing her is refused). Never a lot that lost a member silently.
    assert sorted(r[0] for r in results) == ["err", "ok"], results
    assert {r[1] for r in results if r[0] == "err"} == {"ValidationError"}
    named = set(lot.group_members.values_list("name", flat=True))
    members = set(GroupMember.objects.filter(profile=profile).values_list("name", flat=True))
    assert named <= members
    assert named in ({"Ana Ruiz", "Luis Gómez"}, set())
