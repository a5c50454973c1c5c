"""The set-based sweep agrees with the per-lot path; recomputes are enqueued after commit only."""

from __future__ import annotations

import datetime
import itertools
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction

from core.models import ExchangeRate, Job
from core.signals import evidence_changed, send_evidence_changed
from cupping.models import LotScore
from lots.models import Lot
from marketplace.pricing import tasks
from marketplace.pricing.models import IncotermAdjustment, LotPremium
from marketplace.pricing.services import lot_premium_recompute, sweep_start
from marketplace.pricing.sweep import premiums_sweep
from tests.pricing.conftest import baseline, verified_result

ONE = {"graders": 1, "spread": Decimal("0")}

COMPARED = [
    f.name for f in LotPremium._meta.concrete_fields if f.name not in ("id", "lot", "computed_at", "changed_at")
]


def _snapshot() -> dict[int, dict[str, Any]]:
    return {
        p["lot_id"]: p
        for p in LotPremium.objects.values("lot_id", *[f"{c}_id" if c.endswith("baseline") else c for c in COMPARED])
    }


def varied_lots(make_lot: Any) -> list[Any]:
    """Every unit, several currencies and incoterms, origins with and without their own rows, scores."""
    ExchangeRate.objects.create(
        currency="EUR", usd_per_unit=Decimal("1.0873000000"), valid_on=datetime.date(2026, 11, 20)
    )
    ExchangeRate.objects.create(
        currency="COP", usd_per_unit=Decimal("0.0002451000"), valid_on=datetime.date(2026, 11, 20)
    )
    IncotermAdjustment.objects.create(origin="ET", incoterm="EXW", usd_per_lb=Decimal("0.2200"))
    IncotermAdjustment.objects.filter(incoterm="DDP").delete()
    baseline(origin="CO", harvest_year=2024, median=Decimal("3.7700"))
    baseline(origin="", harvest_year=2023, median=Decimal("3.3300"), p25=Decimal("2.5000"), p75=Decimal("4.2500"))
    baseline(
        origin="",
        harvest_year=2023,
        score_band="86-88",
        median=Decimal("3.5000"),
        p25=Decimal("3.0000"),
        p75=Decimal("4.5000"),
    )
    baseline(origin="", harvest_year=2023, score_band="88-90", median=Decimal("4.1000"))
    baseline(origin="", harvest_year=2023, size_band="lt1000", median=Decimal("4.4000"))
    baseline(origin="ET", harvest_year=2022, median=Decimal("3.1000"))
    lots = []
    prices = [
        Decimal("7.3333"),
        Decimal("30.0000"),
        Decimal("250.0000"),
        Decimal("61999.0000"),
        Decimal("4.1234"),
        Decimal("2.1000"),
    ]
    combos = itertools.product(
        ["kg", "lb"],
        ["USD", "EUR", "COP", "BRL"],
        ["FOB", "EXW", "CIF", "DDP"],
        [("CO", 2024), ("ET", 2023), ("KE", 2026)],
    )
    for i, (unit, currency, incoterm, (country, year)) in enumerate(combos):
        price = prices[i % len(prices)] * (Decimal(4000) if currency == "COP" else 1)
        weight = [Decimal("20"), Decimal("75"), Decimal("300"), Decimal("5000")][i % 4]
        # Harvest dates decide the October–September year: November of the year, February of the
        # next calendar year (the same harvest year), or no dates at all.
        start = [datetime.date(year, 11, 1), datetime.date(year + 1, 2, 1), None][i % 3]
        lot = make_lot(
            price=price,
            price_unit=unit,
            currency=currency,
            incoterm=incoterm,
            country=country,
            harvest_year=start.year if start else year,
            harvest_start=start,
            harvest_end=None,
            weight_kg=weight,
            tags=("competition",) if i % 5 == 0 else (),  # a bare tag is not provenance
        )
        if i % 7 == 0:
            verified_result(lot)
        score = [None, Decimal("79.50"), Decimal("86.00"), Decimal("88.75"), Decimal("90.25")][i % 5]
        protocol = ["sca2004", "cva", "sca2004"][i % 3] if score is not None else ""
        Lot.objects.filter(pk=lot.pk).update(official_score=score, official_score_protocol=protocol)
        # Per-protocol scores beside the catalogue one: a current-harvest SCA row, one of another
        # harvest (ignored), and a third form (the sweep's SQL must read them as scores.py does).
        lot_year = start.year if start else year
        if i % 4 == 1:
            LotScore.objects.create(lot=lot, protocol="sca2004", harvest_year=lot_year, mean=Decimal("87.50"), **ONE)
        if i % 6 == 2:
            LotScore.objects.create(lot=lot, protocol="sca2004", harvest_year=lot_year - 1, mean=Decimal("91"), **ONE)
        if i % 8 == 3:
            LotScore.objects.create(lot=lot, protocol="coe", harvest_year=lot_year, mean=Decimal("89.10"), **ONE)
        lots.append(lot)
    return lots


@pytest.mark.django_db
def test_sweep_gives_the_same_figures_as_the_per_lot_path(make_lot, require_postgres):
    lots = varied_lots(make_lot)
    premiums_sweep(batch=17)  # several batches, ragged at the end
    swept = _snapshot()
    ratios_after_sweep = dict(Lot.objects.values_list("pk", "premium_ratio"))
    LotPremium.objects.all().delete()
    Lot.objects.update(premium_ratio=None)
    for lot in lots:
        lot_premium_recompute(lot_id=lot.pk)
    per_lot = _snapshot()
    assert len(swept) == len(lots) == 96
    assert swept == per_lot
    assert ratios_after_sweep == dict(Lot.objects.values_list("pk", "premium_ratio"))
    statuses = {p["status"] for p in per_lot.values()}
    assert statuses == {"ok", "no_rate", "no_adjustment"}
    assert any(p["flag_high_price"] for p in per_lot.values())
    assert any(p["flag_over_10x"] for p in per_lot.values())
    assert any(p["flag_under_2x"] for p in per_lot.values())
    assert len({p["band_position"] for p in per_lot.values()} - {""}) >= 3
    assert {p["years_stale"] for p in per_lot.values()} >= {0, 3}
    assert {p["baseline_size_band"] for p in per_lot.values()} >= {"lt1000", "all"}
    assert {p["score_basis"] for p in per_lot.values()} == {"sca2004", "other_scale", "none"}
    assert any(p["competition_excused"] for p in per_lot.values())
    assert any(p["competition_result"] for p in per_lot.values())


@pytest.mark.django_db
def test_sweep_skips_drafts_and_is_idempotent(make_lot, require_postgres):
    baseline(median=Decimal("4.00"))
    listed = make_lot(price=Decimal("12.0000"), price_unit="lb")
    draft = make_lot(price=Decimal("12.0000"), price_unit="lb", status="draft")
    seen: list[int] = []

    def receiver(sender, lot_id, kind, **kwargs):
        if kind == "premium":
            seen.append(lot_id)

    evidence_changed.connect(receiver)
    try:
        first = premiums_sweep()
        second = premiums_sweep()
    finally:
        evidence_changed.disconnect(receiver)
    assert first == {"lots": 1, "changed": 1}
    assert second == {"lots": 1, "changed": 0}
    assert seen == [listed.pk]
    assert not LotPremium.objects.filter(lot=draft).exists()
    assert Lot.objects.get(pk=listed.pk).premium_ratio == Decimal("3.000")


@pytest.mark.django_db
def test_a_micro_lot_claim_counts_as_claiming_micro_lot_status(make_lot, producer, require_postgres):
    from django.utils import timezone

    from marketplace.moderation.models import MicroLotClaim

    baseline(median=Decimal("4.00"))
    small = make_lot(price=Decimal("5.0000"), price_unit="lb", weight_kg=Decimal("80"))
    assert lot_premium_recompute(lot_id=small.pk).flags == []
    MicroLotClaim.objects.create(
        lot=small, producer=producer, kind="micro", isolation="geographic", statement="x", waiting_since=timezone.now()
    )
    premiums_sweep()
    assert LotPremium.objects.get(lot=small).flags == ["under_2x"]
    assert lot_premium_recompute(lot_id=small.pk).flags == ["under_2x"]


# --- enqueued after commit only -----------------------------------------------------------------


def ours(callbacks: list[Any]) -> list[Any]:
    """Other apps listen to evidence_changed too; keep the callbacks this app registered."""
    return [
        cb
        for cb in callbacks
        if getattr(cb, "__module__", "") == "marketplace.pricing.receivers"
        and "on_evidence_changed" in getattr(cb, "__qualname__", "")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["price", "origin", "harvest_year", "score", "weight"])
def test_recompute_is_enqueued_only_after_commit(make_lot, django_capture_on_commit_callbacks, monkeypatch, kind):
    lot = make_lot()
    sent: list[Any] = []
    monkeypatch.setattr(tasks.premium_recompute_lot, "apply_async", lambda *a, **k: sent.append(a))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            send_evidence_changed(sender=Lot, lot_id=lot.pk, kind=kind)
            assert sent == []
    mine = ours(callbacks)
    assert len(mine) == 1
    mine[0]()
    assert len(sent) == 1
    assert sent[0][0] == (lot.pk,)


@pytest.mark.django_db
def test_other_evidence_and_rolled_back_changes_enqueue_nothing(make_lot, django_capture_on_commit_callbacks):
    lot = make_lot()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            send_evidence_changed(sender=Lot, lot_id=lot.pk, kind="photo")
            send_evidence_changed(sender=Lot, lot_id=lot.pk, kind="premium")
    assert ours(callbacks) == []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        try:
            with transaction.atomic():
                send_evidence_changed(sender=Lot, lot_id=lot.pk, kind="price")
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert callbacks == []


def ours_on_listing(callbacks: list[Any]) -> list[Any]:
    return [
        cb
        for cb in callbacks
        if getattr(cb, "__module__", "") == "marketplace.pricing.receivers"
        and "on_lot_saved" in getattr(cb, "__qualname__", "")
    ]


@pytest.mark.django_db
def test_listing_a_lot_enqueues_its_premium_after_commit(
    make_lot, producer, django_capture_on_commit_callbacks, monkeypatch
):
    sent: list[Any] = []
    monkeypatch.setattr(tasks.premium_recompute_lot, "apply_async", lambda *a, **k: sent.append(a))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        draft = make_lot(status="draft")
    assert ours_on_listing(callbacks) == []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            draft.status = "listed"
            draft.save(update_fields=["status"])
            assert sent == []
        draft.name = "renamed"
        draft.save(update_fields=["name"])  # not a listing: nothing more
    mine = ours_on_listing(callbacks)
    assert len(mine) == 1
    mine[0]()
    assert [a[0] for a in sent] == [(draft.pk,)]


@pytest.mark.django_db
def test_a_moderator_change_schedules_one_sweep_after_commit(
    moderator, django_capture_on_commit_callbacks, monkeypatch
):
    from marketplace.pricing.services import reference_save

    sent: list[Any] = []
    monkeypatch.setattr(tasks.premiums_sweep_task, "apply_async", lambda *a, **k: sent.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        reference_save(
            kind="rate",
            by=moderator,
            data={"currency": "EUR", "usd_per_unit": Decimal("1.1"), "valid_on": datetime.date(2026, 11, 27)},
        )
    assert len(sent) == 1
    job = Job.objects.get(kind="pricing.sweep")
    assert sent[0][0] == (str(job.pk),)


# --- concurrency --------------------------------------------------------------------------------


def run_concurrently(fns: list[Any]) -> list[tuple[str, Any]]:
    barrier = threading.Barrier(len(fns))
    results: list[Any] = [None] * len(fns)

    def worker(i: int, fn: Any) -> None:
        try:
            barrier.wait()
            results[i] = ("ok", fn())
        except Exception as exc:
            results[i] = ("err", f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_recomputes_and_a_sweep_leave_one_consistent_row(make_lot, require_postgres):
    baseline(median=Decimal("4.00"))
    lot = make_lot(price=Decimal("12.0000"), price_unit="lb")
    fns = [lambda: lot_premium_recompute(lot_id=lot.pk) for _ in range(5)] + [premiums_sweep, premiums_sweep]
    results = run_concurrently(fns)
    assert [r[0] for r in results] == ["ok"] * 7, results
    assert LotPremium.objects.filter(lot=lot).count() == 1
    assert Lot.objects.get(pk=lot.pk).premium_ratio == Decimal("3.000")


# --- a real worker on Redis -----------------------------------------------------------------------


def wait_for(predicate: Any, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.redis
def test_sweep_on_a_real_worker_matches_the_per_lot_path(celery_worker_on_redis, make_lot, require_postgres, moderator):
    lots = varied_lots(make_lot)
    with transaction.atomic():
        job = sweep_start(by=moderator, reason="test")
    assert wait_for(lambda: Job.objects.get(pk=job.pk).finished)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert (job.done, job.total, job.result["lots"]) == (96, 96, 96)
    swept = _snapshot()
    ratios = dict(Lot.objects.values_list("pk", "premium_ratio"))
    for lot in lots:
        lot_premium_recompute(lot_id=lot.pk)
    assert _snapshot() == swept
    assert dict(Lot.objects.values_list("pk", "premium_ratio")) == ratios


@pytest.mark.redis
def test_a_price_change_is_recomputed_by_the_worker_after_commit(celery_worker_on_redis, make_lot, require_postgres):
    baseline(median=Decimal("4.00"))
    lot = make_lot(price=Decimal("12.0000"), price_unit="lb")
    with transaction.atomic():
        Lot.objects.filter(pk=lot.pk).update(price=Decimal("20.0000"))
        send_evidence_changed(sender=Lot, lot_id=lot.pk, kind="price")
    assert wait_for(lambda: Lot.objects.get(pk=lot.pk).premium_ratio == Decimal("5.000"))
    assert LotPremium.objects.get(lot=lot).fob_usd_per_lb == Decimal("20.0000")


def test_the_nightly_sweep_is_scheduled_and_reports_on_a_job(make_lot, require_postgres):
    from marketplace.celery import app, collect_beat_schedule

    entry = collect_beat_schedule()["pricing-premium-sweep-nightly"]
    assert entry["task"] in app.tasks
    make_lot(price=Decimal("12.0000"), price_unit="lb")
    result = tasks.premiums_sweep_nightly()
    job = Job.objects.get(kind="pricing.sweep")
    assert job.status == Job.Status.SUCCEEDED and job.params == {"reason": "nightly"}
    assert result == job.result == {"lots": 1, "changed": 1}
    assert tasks.premiums_sweep_nightly() == {"lots": 1, "changed": 0}  # safe to run twice


@pytest.mark.django_db
def test_the_python_sweep_used_on_sqlite_agrees_with_the_sql_sweep(make_lot, require_postgres):
    from marketplace.pricing.sweep import _sweep_python

    varied_lots(make_lot)
    assert _sweep_python(None, 10)["lots"] == 96
    python_path = _snapshot()
    LotPremium.objects.all().delete()
    Lot.objects.update(premium_ratio=None)
    premiums_sweep(batch=1000)
    assert _snapshot() == python_path
