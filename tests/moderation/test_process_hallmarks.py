"""Issue 14 "Hallmarks that fit the process", score per scale, and negations, through the API a
producer and a moderator use: custody events posted to the lots API, the claim read back."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from cupping import scoring
from cupping.models import CuppingSheet
from cupping.services import lot_score_recompute, sheet_submit
from tests import factories
from tests.moderation.builders import add_grading, add_plot_photo, add_premium, add_sheet, genuine_lot
from tests.moderation.test_hallmarks import DECLARATIONS, HONEY, NATURAL, NATURAL_FERMENTED, NEGATIONS, WET_HULLED

pytestmark = pytest.mark.django_db

D = Decimal
BODY = {"kind": "micro", "isolation": "geographic", "statement": "Top terrace, picked twice, processed apart."}


def post_chain(client: Any, lot: Any, chain: list[tuple[str, str, str, str, str]]) -> list[int]:
    ids = []
    for i, (stage, s_in, s_out, w_in, w_out) in enumerate(chain):
        response = client.post(
            f"/api/v1/lots/{lot.pk}/custody-events/",
            {
                "stage": stage,
                "occurred_on": str(datetime.date(2025, 10, 5) + datetime.timedelta(days=3 * i)),
                "state_in": s_in,
                "state_out": s_out,
                "weight_in_kg": w_in,
                "weight_out_kg": w_out,
                "separated": True,
                "place": "Finca",
            },
            format="json",
        )
        assert response.status_code == 201, response.data
        ids.append(response.data["id"])
    return ids


def lot_with_evidence(producer: Any, grader: Any, **fields: Any) -> Any:
    """Every piece of evidence but the custody chain, which each test posts through the API."""
    lot = factories.LotFactory(producer=producer, **fields)
    add_sheet(lot, grader)
    add_grading(lot, grader)
    add_plot_photo(lot)
    add_premium(lot)
    return lot


def hallmarks_of(client: Any, lot: Any, **headers: Any) -> dict[str, dict[str, str]]:
    """Submit the claim through the API (if not yet) and read its hallmarks back."""
    client.post(f"/api/v1/lots/{lot.pk}/claim/", BODY, format="json")
    response = client.get(f"/api/v1/lots/{lot.pk}/claim/", **headers)
    assert response.status_code == 200, response.data
    return {h["key"]: h for h in response.data["hallmarks"]}


# --- separation: the stages of the declared process (DOMAIN.md §10) ---------------------------


def test_a_natural_without_depulping_or_fermentation_passes_separation(api, producer, q_grader, no_broker):
    """DOMAIN.md §10: natural = harvest → drying in the cherry → hulling/milling → packaging."""
    client = api(producer)
    lot = lot_with_evidence(producer, q_grader, process="natural", weight_kg=D("160"))
    post_chain(client, lot, NATURAL)
    separation = hallmarks_of(client, lot)["separation"]
    assert separation["result"] == "pass", separation["reason"]
    assert "natural chain" in separation["reason"]


def test_a_depulped_natural_is_a_warning_not_a_pass(api, producer, q_grader, no_broker):
    """DOMAIN.md §10: a stage the process cannot have (depulping a natural) is a warning."""
    client = api(producer)
    lot = lot_with_evidence(producer, q_grader, process="natural", weight_kg=D("160"))
    post_chain(client, lot, [NATURAL[0], ("depulping", "cherry", "cherry", "980", "980"), *NATURAL[1:]])
    separation = hallmarks_of(client, lot)["separation"]
    assert separation["result"] == "warn"
    assert "a natural coffee has no depulping stage" in separation["reason"]


def test_an_anaerobic_natural_records_its_fermentation(api, producer, q_grader, no_broker):
    """DOMAIN.md §10: anaerobic or extended-fermentation naturals record fermentation when declared."""
    client = api(producer)
    plain = lot_with_evidence(
        producer, q_grader, process="natural", process_modifiers=["anaerobic"], weight_kg=D("160")
    )
    post_chain(client, plain, NATURAL)
    separation = hallmarks_of(client, plain)["separation"]
    assert separation["result"] == "fail" and "no custody event for fermentation" in separation["reason"]
    fermented = lot_with_evidence(
        producer, q_grader, process="natural", process_modifiers=["anaerobic"], weight_kg=D("160")
    )
    post_chain(client, fermented, NATURAL_FERMENTED)
    assert hallmarks_of(client, fermented)["separation"]["result"] == "pass"


def test_a_honey_needs_no_fermentation_tank(api, producer, q_grader, no_broker):
    """DOMAIN.md §10: honey = harvest → depulping → drying with mucilage → milling → packaging."""
    client = api(producer)
    lot = lot_with_evidence(producer, q_grader, process="honey", honey_colour="red")
    post_chain(client, lot, HONEY)
    separation = hallmarks_of(client, lot)["separation"]
    assert separation["result"] == "pass", separation["reason"]


def test_a_wet_hulled_chain_with_its_wet_hulling_stage_passes(api, producer, q_grader, no_broker):
    """DOMAIN.md §10: wet-hulled = … partial drying → wet hulling → drying of green → packaging."""
    client = api(producer)
    lot = lot_with_evidence(producer, q_grader, process="semi_washed")
    post_chain(client, lot, WET_HULLED)
    separation = hallmarks_of(client, lot)["separation"]
    assert separation["result"] == "pass", separation["reason"]


def test_a_washed_lot_still_fails_without_its_fermentation(api, producer, q_grader, no_broker):
    client = api(producer)
    lot = lot_with_evidence(producer, q_grader)
    post_chain(client, lot, list(HONEY))  # a honey's chain on a washed lot
    separation = hallmarks_of(client, lot)["separation"]
    assert separation["result"] == "fail" and "no custody event for fermentation" in separation["reason"]


def test_a_corrected_custody_event_keeps_its_place_in_the_chain(api, producer, q_grader, no_broker):
    client = api(producer)
    lot = lot_with_evidence(producer, q_grader, process="honey", honey_colour="red")
    ids = post_chain(client, lot, HONEY)
    # The drying weight is corrected after packaging was recorded: the correction replaces event 3.
    response = client.post(
        f"/api/v1/lots/{lot.pk}/custody-events/",
        {
            "stage": "drying",
            "occurred_on": "2025-10-11",
            "state_in": "parchment",
            "state_out": "parchment",
            "weight_in_kg": "900",
            "weight_out_kg": "380",
            "separated": True,
            "corrects": ids[2],
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    separation = hallmarks_of(client, lot)["separation"]
    assert separation["result"] == "pass", separation["reason"]


# --- score: per protocol, current harvest only (DESIGN.md hallmark 4) -------------------------


def submit(grader: Any, lot: Any, protocol: str, values: dict[str, Any]) -> Any:
    """A sheet through the cupping service, which also recomputes the lot's official scores."""
    return sheet_submit(
        grader=grader, lot=lot, protocol=protocol, cupped_on=datetime.date(2026, 1, 12), independent=True, values=values
    )


def cva(sections: list[int]) -> dict[str, Any]:
    return dict(zip(scoring.CVA_AFFECTIVE, sections, strict=True)) | {"non_uniform_cups": 0, "defective_cups": 0}


def sca(quality: str) -> dict[str, Any]:
    return dict.fromkeys(scoring.SCA_QUALITY, D(quality)) | {
        "uniform_cups": 5,
        "clean_cups": 5,
        "sweet_cups": 5,
        "taint_cups": 0,
        "fault_cups": 0,
    }


def lot_cupped(producer: Any, grader: Any) -> Any:
    lot = genuine_lot(producer, grader)
    CuppingSheet.objects.filter(lot=lot).delete()  # the builder's sheet; these tests cup through the service
    return lot


@pytest.mark.parametrize(
    ("sections", "score", "expected"),
    [
        ([6] * 8, "84.25", "pass"),  # every section "slightly high": an SCA 2004 reading would warn
        ([5] * 8, "79.00", "warn"),  # "neither high nor low": an SCA 2004 reading would fail
        ([5] * 7 + [4], "78.25", "fail"),
    ],
)
def test_a_cva_only_lot_is_judged_on_cva_thresholds(api, producer, q_grader, no_broker, sections, score, expected):
    """DOMAIN.md §3: an all-5 CVA sheet is 79.00, so 80/86 (SCA 2004) do not apply to CVA."""
    lot = lot_cupped(producer, q_grader)
    submit(q_grader, lot, scoring.CVA, cva(sections))
    finding = hallmarks_of(api(producer), lot)["score"]
    assert finding["result"] == expected, finding["reason"]
    assert f"CVA {score}" in finding["reason"]


def test_sheets_of_an_earlier_harvest_do_not_make_an_official_score(api, producer, q_grader, no_broker):
    lot = lot_cupped(producer, q_grader)
    submit(q_grader, lot, scoring.SCA2004, sca("9.00"))  # 93.00
    CuppingSheet.objects.filter(lot=lot).update(harvest_year=2024)  # cupped for last year's harvest
    lot_score_recompute(lot_id=lot.pk)
    finding = hallmarks_of(api(producer), lot)["score"]
    assert finding["result"] == "fail"
    assert "No official score for the 2025 harvest" in finding["reason"]


def test_sca_and_cva_scores_are_each_shown_on_their_scale_and_never_averaged(api, producer, q_grader, no_broker):
    lot = lot_cupped(producer, q_grader)
    submit(q_grader, lot, scoring.SCA2004, sca("8.25"))  # 57.75 + 30 = 87.75
    submit(factories.QGraderFactory(), lot, scoring.CVA, cva([6] * 7 + [5]))  # 83.59375 → 83.50
    finding = hallmarks_of(api(producer), lot)["score"]
    assert "SCA 87.75" in finding["reason"] and "CVA 83.50" in finding["reason"]
    assert "below 84.25" in finding["reason"]  # the CVA threshold, not 86
    assert "85.6" not in finding["reason"]  # the two are never averaged
    assert finding["result"] == "warn"


# --- disclosure: negations are not declarations (DOMAIN.md §10) --------------------------------


@pytest.mark.parametrize("text", NEGATIONS)
def test_a_lot_story_with_a_negated_infusion_passes_disclosure(api, producer, q_grader, no_broker, text):
    lot = genuine_lot(producer, q_grader, story=f"Picked on two days. {text}")
    finding = hallmarks_of(api(producer), lot)["disclosure"]
    assert finding["result"] == "pass", finding["reason"]


@pytest.mark.parametrize("text", DECLARATIONS)
def test_a_lot_story_declaring_an_infusion_fails_a_lot_declared_with_nothing_added(
    api, producer, q_grader, no_broker, text
):
    lot = genuine_lot(producer, q_grader, story=f"Picked on two days. {text}")
    finding = hallmarks_of(api(producer), lot)["disclosure"]
    assert finding["result"] == "fail", text
    assert "undisclosed infusion" in finding["reason"]


# --- every reason in the reader's language ------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Separation fails: no custody event for fermentation"),
        ("es", "La separación falla: no hay evento de custodia para fermentación"),
        ("pt", "A separação falha: não há evento de custódia para fermentação"),
    ],
)
def test_hallmark_reasons_are_read_in_the_readers_language(api, producer, q_grader, no_broker, language, expected):
    client = api(producer)
    lot = lot_with_evidence(producer, q_grader)
    post_chain(client, lot, list(HONEY))
    hallmarks_of(client, lot)  # computed once, by whoever comes first
    finding = hallmarks_of(client, lot, HTTP_ACCEPT_LANGUAGE=language)["separation"]
    assert finding["reason"].startswith(expected), finding["reason"]
