"""Competition tagging: nano-lots whose official score reaches their protocol's threshold (SCA 2004: 88,
CVA: 90 by our default), and buyers told once. Only tags the sweep added are ever removed by it."""

from __future__ import annotations

import time
from decimal import Decimal as D
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from core.models import Notification
from core.signals import send_evidence_changed
from lots.models import Lot, LotTag
from marketplace.auctions import services
from marketplace.auctions.tasks import competition_sweep, competition_tag_lot
from tests.factories import LotFactory, RoasterFactory


def nano_lot(score: str | None = "90.00", weight: str = "30", protocol: str = "sca2004", **kwargs: Any) -> Lot:
    # (These helpers used to write CVA scores and expect the 2004-form threshold to apply to them.)
    lot = LotFactory(weight_kg=D(weight), **kwargs)
    if score is not None:
        Lot.objects.filter(pk=lot.pk).update(official_score=D(score), official_score_protocol=protocol)
        lot.refresh_from_db()
    return lot


def buyers(n: int = 2) -> list[Any]:
    return [RoasterFactory(profile__competition_alerts=True) for _ in range(n)]


def tagged(lot: Lot) -> bool:
    return LotTag.objects.filter(lot=lot, tag="competition").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("weight", "score", "status", "expected"),
    [
        ("30", "90.00", "listed", True),
        ("49.99", "88.00", "listed", True),
        ("50", "95.00", "listed", False),  # 50 kg is a small lot, not a nano-lot
        ("30", "87.75", "listed", False),
        ("30", None, "listed", False),  # no independent score yet
        ("30", "92.00", "draft", False),  # not public
    ],
)
def test_which_lots_qualify(weight, score, status, expected):
    lot = nano_lot(score, weight, status=status)
    assert services.competition_qualifies(lot) is expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("score", "protocol", "expected"),
    [
        ("88.25", "cva", False),  # 88 is the 2004-form threshold: not a CVA one
        ("89.75", "cva", False),
        ("90.00", "cva", True),  # the CVA threshold (our documented default)
        ("88.25", "sca2004", True),
    ],
)
def test_competition_tagging_is_per_protocol(api, score, protocol, expected):
    """DOMAIN.md §1: a CVA score is another scale; a CVA 88.25 nano-lot is not tagged on the SCA threshold."""
    lot = nano_lot(score, protocol=protocol)
    competition_sweep()
    assert ("competition" in api(None).get(f"/api/v1/lots/{lot.pk}/").json()["tags"]) is expected


@pytest.mark.django_db
def test_the_cva_threshold_is_a_setting_and_can_be_switched_off():
    import importlib

    from marketplace.auctions import conf

    lot = nano_lot("92.00", protocol="cva")
    try:
        with override_settings(COMPETITION_MIN_SCORE_CVA=""):
            importlib.reload(conf)
            assert conf.COMPETITION_MIN_SCORE_CVA is None
            assert services.lot_competition_tag_refresh(lot_id=lot.pk) == "unchanged"
        with override_settings(COMPETITION_MIN_SCORE_CVA="91.5"):
            importlib.reload(conf)
            assert services.lot_competition_tag_refresh(lot_id=lot.pk) == "tagged"
    finally:
        importlib.reload(conf)
    default = conf.COMPETITION_MIN_SCORE_CVA
    assert default == D("90")


@pytest.mark.django_db
def test_a_nano_lot_scored_on_both_forms_is_tagged_on_its_sca_2004_score():
    from cupping.models import LotScore

    lot = nano_lot("86.00", protocol="cva")  # the catalogue shows CVA (more graders)
    LotScore.objects.create(
        lot=lot, protocol="sca2004", harvest_year=lot.harvest_year, mean=D("88.50"), graders=1, spread=0
    )
    (buyer,) = buyers(1)
    assert services.lot_competition_tag_refresh(lot_id=lot.pk) == "tagged"
    note = Notification.objects.get(recipient=buyer, kind="competition_lot")
    assert "SCA 88.50" in note.message  # the alert names the scale of the score


@pytest.mark.django_db
def test_a_moderators_competition_tag_on_a_lot_that_is_not_a_nano_lot_survives_the_sweep(api):
    """Issue 14: the sweep used to delete every `competition` tag on a lot that was not a qualifying nano-lot."""
    coe_lot = LotFactory(weight_kg=D("300"))
    LotTag.objects.create(lot=coe_lot, tag="competition")  # the admin inline's default source: a person
    nano = nano_lot("80.00")
    LotTag.objects.create(lot=nano, tag="competition", source="moderator")
    assert competition_sweep() == {"tagged": 0, "untagged": 0, "unchanged": 0, "missing": 0}
    assert services.lot_competition_tag_refresh(lot_id=coe_lot.pk) == "unchanged"
    assert services.lot_competition_tag_refresh(lot_id=nano.pk) == "unchanged"
    assert "competition" in api(None).get(f"/api/v1/lots/{coe_lot.pk}/").json()["tags"]
    assert tagged(coe_lot) and tagged(nano)


@pytest.mark.django_db
def test_a_verified_result_keeps_its_tag_when_the_nano_lot_stops_qualifying(moderator):
    from marketplace.competitions.services import result_verify
    from tests.pricing.conftest import verified_result

    lot = nano_lot("90.00")
    assert services.lot_competition_tag_refresh(lot_id=lot.pk) == "tagged"  # the automatic alert
    result = verified_result(lot, status="pending")
    result_verify(result_id=result.pk, by=moderator)
    assert LotTag.objects.get(lot=lot, tag="competition").source == "competition_result"
    Lot.objects.filter(pk=lot.pk).update(official_score=D("85.00"))
    assert services.lot_competition_tag_refresh(lot_id=lot.pk) == "unchanged"
    assert competition_sweep()["untagged"] == 0
    assert tagged(lot)


@pytest.mark.django_db
def test_tagging_notifies_each_opted_in_roaster_once_even_when_run_twice(roaster):
    opted_in = buyers(2)
    lot = nano_lot("90.00")
    assert services.lot_competition_tag_refresh(lot_id=lot.pk) == "tagged"
    assert services.lot_competition_tag_refresh(lot_id=lot.pk) == "unchanged"
    assert tagged(lot)
    notes = Notification.objects.filter(kind="competition_lot")
    assert sorted(n.recipient_id for n in notes) == sorted(u.pk for u in opted_in)
    assert {n.dedupe_key for n in notes} == {f"competition-lot-{lot.pk}"}
    assert not notes.filter(recipient=roaster).exists()  # no alerts asked for


@pytest.mark.django_db
def test_tag_is_removed_when_the_score_drops_and_regaining_it_does_not_notify_again():
    (buyer,) = buyers(1)
    lot = nano_lot("90.00")
    services.lot_competition_tag_refresh(lot_id=lot.pk)
    Lot.objects.filter(pk=lot.pk).update(official_score=D("86.50"))
    assert services.lot_competition_tag_refresh(lot_id=lot.pk) == "untagged"
    assert not tagged(lot)
    Lot.objects.filter(pk=lot.pk).update(official_score=D("89.00"))
    assert services.lot_competition_tag_refresh(lot_id=lot.pk) == "tagged"
    assert Notification.objects.filter(recipient=buyer, kind="competition_lot").count() == 1


@pytest.mark.django_db
def test_threshold_is_a_setting():
    import importlib

    from marketplace.auctions import conf

    lot = nano_lot("90.00")
    try:
        with override_settings(COMPETITION_MIN_SCORE="91"):
            importlib.reload(conf)  # conf.py reads the project settings at import
            threshold = conf.COMPETITION_MIN_SCORE
            assert threshold == D("91")
            assert services.lot_competition_tag_refresh(lot_id=lot.pk) == "unchanged"
            assert not tagged(lot)
    finally:
        importlib.reload(conf)
    threshold = conf.COMPETITION_MIN_SCORE
    assert threshold == D("88")
    assert services.lot_competition_tag_refresh(lot_id=lot.pk) == "tagged"


@pytest.mark.django_db
def test_the_sweep_fixes_tags_missed_by_signals():
    keep = nano_lot("90.00")
    stale = nano_lot("80.00")
    LotTag.objects.create(lot=stale, tag="competition", source="auto")  # the sweep's own, missed earlier
    counts = competition_sweep()
    assert counts["tagged"] == 1 and counts["untagged"] == 1
    assert tagged(keep) and not tagged(stale)
    assert competition_sweep() == {"tagged": 0, "untagged": 0, "unchanged": 0, "missing": 0}


@pytest.mark.django_db
def test_weight_or_score_change_enqueues_the_task_only_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    sent: list[tuple[Any, Any]] = []
    monkeypatch.setattr(competition_tag_lot, "apply_async", lambda *a, **k: sent.append((a, k)))
    lot = nano_lot("90.00")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            send_evidence_changed(sender=Lot, lot_id=lot.pk, kind="score")
            send_evidence_changed(sender=Lot, lot_id=lot.pk, kind="photo")  # not our business
            assert sent == []
    assert callbacks  # other apps may listen too; ours sent exactly one task, after commit
    assert len(sent) == 1 and sent[0][0][0] == (lot.pk,)


def wait_for(predicate: Any, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def drained(app: Any) -> None:
    """A marker task sent last proves the (solo, in-order) worker ran everything before it."""
    from core.models import Job
    from core.tasks import record_ping

    marker = Job.objects.create(kind="marker")
    record_ping.delay(str(marker.pk))
    assert wait_for(lambda: Job.objects.get(pk=marker.pk).status == Job.Status.SUCCEEDED)


@pytest.mark.redis
def test_tagging_task_on_a_real_worker_notifies_once(celery_worker_on_redis):
    opted_in = buyers(2)
    lot = nano_lot(None)
    with transaction.atomic():
        Lot.objects.filter(pk=lot.pk).update(official_score=D("91.25"))
        send_evidence_changed(sender=Lot, lot_id=lot.pk, kind="score", detail="independent sheet added")
    assert wait_for(lambda: tagged(lot))
    assert wait_for(lambda: Notification.objects.filter(kind="competition_lot").count() == 2)
    # Running it again, directly and through the sweep, tells nobody twice.
    competition_tag_lot.delay(lot.pk)
    competition_sweep.delay()
    drained(celery_worker_on_redis)
    assert competition_tag_lot(lot.pk) == "unchanged"
    assert sorted(Notification.objects.filter(kind="competition_lot").values_list("recipient_id", flat=True)) == sorted(
        u.pk for u in opted_in
    )
    # A weight change that makes it a small lot removes the tag.
    with transaction.atomic():
        Lot.objects.filter(pk=lot.pk).update(weight_kg=D("60"), classification="small")
        send_evidence_changed(sender=Lot, lot_id=lot.pk, kind="weight")
    assert wait_for(lambda: not tagged(lot))
    assert Notification.objects.filter(kind="competition_lot").count() == 2
