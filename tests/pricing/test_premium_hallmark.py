"""The premium hallmark as a moderator reads it through the claim API: dated baselines and competition lots.

DOMAIN.md §6.1 (stale baselines) and §7 (competition provenance), with the reference lot of §7 and
§9: the Cup of Excellence Ethiopia 2022 record, $400.50/lb = 882.95 USD/kg, a 300 kg winner.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from marketplace.pricing import tasks
from marketplace.pricing.services import lot_premium_recompute
from tests import factories
from tests.moderation.builders import genuine_lot

pytestmark = pytest.mark.django_db

CLAIM = {"kind": "micro", "isolation": "geographic", "statement": "Top terrace, picked twice, processed apart."}


@pytest.fixture(autouse=True)
def no_claim_broker(monkeypatch: Any) -> None:
    # The claim API recomputes stale hallmarks when it is read; the task queue is not needed.
    from marketplace.moderation import tasks as moderation_tasks

    monkeypatch.setattr(moderation_tasks.recompute_claim_hallmarks, "delay_on_commit", lambda claim_id: None)


@pytest.fixture
def worker(monkeypatch: Any) -> None:
    """Run the premium task when it is enqueued (after commit), as the worker would."""
    monkeypatch.setattr(tasks.premium_recompute_lot, "delay", lambda lot_id: tasks.premium_recompute_lot(lot_id))


def premium_hallmark(api: Any, user: Any, lot: Any) -> dict[str, Any]:
    response = api(user).get(f"/api/v1/lots/{lot.pk}/claim/")
    assert response.status_code == 200, response.data
    (hallmark,) = [h for h in response.data["hallmarks"] if h["key"] == "premium"]
    return hallmark


def claimed_lot(api: Any, producer: Any, grader: Any, **fields: Any) -> Any:
    lot = genuine_lot(producer, grader, **fields)
    lot_premium_recompute(lot_id=lot.pk)  # the real figures, not the builder's stand-in
    assert api(producer).post(f"/api/v1/lots/{lot.pk}/claim/", CLAIM, format="json").status_code == 201
    return lot


def test_a_baseline_two_harvest_years_old_still_passes_and_names_its_edition(api, producer, q_grader, moderator):
    """DOMAIN.md §6.1: 2024/25 has no row; 2022/23 (v6) may be used, and the result says so."""
    lot = claimed_lot(
        api, producer, q_grader, harvest_year=2024, harvest_start=datetime.date(2024, 11, 3), harvest_end=None
    )
    hallmark = premium_hallmark(api, moderator, lot)
    assert hallmark["result"] == "pass", hallmark
    assert "Transaction Guide 2023 (v6, Jan 2024) baseline for 2022/23" in hallmark["reason"]
    assert "compared with 2022/23, the latest edition available" in hallmark["reason"]


def test_a_baseline_more_than_two_harvest_years_old_makes_the_premium_hallmark_a_warning(
    api, producer, q_grader, moderator
):
    """DOMAIN.md §6.1: a gap of more than two harvest years is a warning, not a pass (2025/26 vs 2022/23)."""
    lot = claimed_lot(api, producer, q_grader, harvest_year=2025, harvest_start=datetime.date(2025, 10, 1))
    hallmark = premium_hallmark(api, moderator, lot)
    assert hallmark["result"] == "warn", hallmark
    assert "3 harvest years older than the lot's harvest 2025/26" in hallmark["reason"]


def coe_ethiopia_winner(api: Any, producer: Any, grader: Any) -> Any:
    """A 300 kg washed lot from Ethiopia, harvest 2021/22, at $400.50/lb FOB (DOMAIN.md §7)."""
    farm = factories.FarmFactory(producer=producer, country="ET", region="Sidama")
    return claimed_lot(
        api,
        producer,
        grader,
        farm=farm,
        price=Decimal("400.5000"),
        price_unit="lb",
        incoterm="FOB",
        weight_kg=Decimal("300"),
        harvest_year=2021,
        harvest_start=datetime.date(2021, 11, 1),
        harvest_end=datetime.date(2022, 1, 31),
    )


COE_RESULT = {
    "competition": "coe",
    "name": "Cup of Excellence Ethiopia",
    "year": 2022,
    "category": "",
    "rank": 1,
    "jury_score": "90.25",
    "jury_protocol": "coe",
    "url": "https://allianceforcoffeeexcellence.org/ethiopia-2022/",
}


def test_the_coe_ethiopia_2022_record_without_a_verified_result_is_flagged(api, producer, q_grader, moderator):
    """DOMAIN.md §7: ≥ 200 USD/kg and > 10× without verified competition provenance go to moderation."""
    lot = coe_ethiopia_winner(api, producer, q_grader)
    response = api(producer).post("/api/v1/competitions/results/", {**COE_RESULT, "lot": lot.pk}, format="json")
    assert response.status_code == 201 and response.data["status"] == "pending"
    lot_premium_recompute(lot_id=lot.pk)  # a pending result changes nothing
    premium = api(None).get(f"/api/v1/pricing/lots/{lot.pk}/premium/").json()
    assert Decimal(premium["asking_usd_per_kg"]).quantize(Decimal("0.01")) == Decimal("882.95")
    assert set(premium["flags"]) == {"over_10x", "high_price"}
    assert premium["competition_result"] is None and premium["competition_excused"] is False
    assert premium_hallmark(api, moderator, lot)["result"] == "fail"


def test_the_coe_ethiopia_2022_record_with_a_verified_result_is_expected_evidence(
    api, producer, q_grader, moderator, worker, django_capture_on_commit_callbacks, client
):
    """DOMAIN.md §7: with a verified result a high price is expected; the flags become a "competition lot" note."""
    lot = coe_ethiopia_winner(api, producer, q_grader)
    assert premium_hallmark(api, moderator, lot)["result"] == "fail"
    created = api(producer).post("/api/v1/competitions/results/", {**COE_RESULT, "lot": lot.pk}, format="json")
    assert created.status_code == 201, created.data
    with django_capture_on_commit_callbacks(execute=True):
        verified = api(moderator).post(f"/api/v1/competitions/results/{created.data['id']}/verify/", {}, format="json")
    assert verified.status_code == 200 and verified.data["status"] == "verified"
    premium = api(None).get(f"/api/v1/pricing/lots/{lot.pk}/premium/").json()
    assert premium["flags"] == [] and premium["competition_excused"] is True
    assert premium["competition_result"]["id"] == created.data["id"]
    assert Decimal(premium["asking_usd_per_kg"]).quantize(Decimal("0.01")) == Decimal("882.95")
    # Harvest 2021/22 has its own row: the 2022 (v5) median, $3.50/lb.
    assert (premium["baseline_edition"], premium["baseline_harvest_label"]) == ("2022 (v5, Jan 2023)", "2021/22")
    assert premium["premium_ratio"] == "114.429"
    (note,) = [n for n in premium["notes"] if n["code"] == "competition_lot"]
    assert "Cup of Excellence Ethiopia 2022" in note["text"] and "rank 1" in note["text"]
    hallmark = premium_hallmark(api, moderator, lot)
    assert hallmark["result"] == "pass", hallmark
    assert "Competition lot: Cup of Excellence Ethiopia 2022" in hallmark["reason"]
    assert "a high price is expected evidence" in hallmark["reason"]
    page = client.get(f"/lots/{lot.pk}/").content.decode()
    assert "competition lot" in page and "Cup of Excellence Ethiopia 2022" in page
    # The moderator's claim page names the baseline used, too.
    from marketplace.moderation.models import MicroLotClaim

    client.force_login(moderator)
    claim = MicroLotClaim.objects.get(lot=lot)
    claim_page = client.get(f"/moderation/claims/{claim.pk}/").content.decode()
    assert "Transaction Guide 2022 (v5, Jan 2023), harvest 2021/22, row: all origins" in claim_page


def test_revoking_the_verified_result_brings_the_flags_back(
    api, producer, q_grader, moderator, worker, django_capture_on_commit_callbacks
):
    lot = coe_ethiopia_winner(api, producer, q_grader)
    created = api(producer).post("/api/v1/competitions/results/", {**COE_RESULT, "lot": lot.pk}, format="json")
    url = f"/api/v1/competitions/results/{created.data['id']}/"
    with django_capture_on_commit_callbacks(execute=True):
        api(moderator).post(url + "verify/", {}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        revoked = api(moderator).post(url + "reject/", {"reason": "Not on the published list."}, format="json")
    assert revoked.status_code == 200 and revoked.data["status"] == "rejected"
    premium = api(None).get(f"/api/v1/pricing/lots/{lot.pk}/premium/").json()
    assert set(premium["flags"]) == {"over_10x", "high_price"}
    assert premium_hallmark(api, moderator, lot)["result"] == "fail"


def test_the_premium_reason_is_written_in_each_language(api, producer, q_grader, moderator):
    """The claim's reasons are rendered per language from one gathered evidence (moderation)."""
    from django.utils import translation

    from marketplace.moderation.evidence import gather
    from marketplace.moderation.hallmarks import check_premium
    from marketplace.moderation.models import MicroLotClaim

    lot = claimed_lot(
        api, producer, q_grader, harvest_year=2024, harvest_start=datetime.date(2024, 11, 3), harvest_end=None
    )
    evidence = gather(claim=MicroLotClaim.objects.get(lot=lot))
    with translation.override("es"):
        spanish = check_premium(evidence).reason
    with translation.override("en"):
        english = check_premium(evidence).reason
    assert "the Transaction Guide 2023 (v6, Jan 2024) baseline for 2022/23" in english
    assert "the Transaction Guide" not in spanish and "2022/23" in spanish
