"""Each hallmark on passing, warning and failing evidence, built directly (no database)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from marketplace.moderation import hallmarks as h
from marketplace.moderation.hallmarks import CustodyStep, Evidence, PlotEvidence, SheetEvidence

D = Decimal

CHAIN = [
    ("harvest", "cherry", "cherry", "1800", "1750"),
    ("depulping", "cherry", "parchment", "1750", "900"),
    ("fermentation", "parchment", "parchment", "900", "880"),
    ("drying", "parchment", "parchment", "880", "375"),
    ("milling", "parchment", "green", "375", "305"),
    ("packaging", "green", "green", "305", "300"),
]


def steps(chain=CHAIN, separated=True) -> list[CustodyStep]:
    return [
        CustodyStep(i + 1, stage, s_in, s_out, D(w_in), D(w_out), separated)
        for i, (stage, s_in, s_out, w_in, w_out) in enumerate(chain)
    ]


def genuine(**changes) -> Evidence:
    """A genuine 300 kg washed Gesha: every hallmark passes."""
    ev = Evidence(
        claim_kind="micro",
        weight_kg=D("300"),
        process="washed",
        producer_name="Finca La Esperanza",
        farm_name="La Esperanza",
        plots=[PlotEvidence("El Alto", D("2.5"), None)],
        custody=steps(),
        sheets=[SheetEvidence(grader_id=7, independent=True, score=D("88.5"), has_signed_original=True)],
        official_score=D("88.5"),
        signed_originals=1,
        green_gradings=1,
        plot_photos=1,
        premium_ratio=D("4"),
        additives="none",
        texts=["Picked on two days from the top terrace."],
    )
    return replace(ev, **changes)


def result(check, ev) -> str:
    return check(ev).result


def test_a_genuine_300_kg_washed_gesha_passes_every_hallmark():
    findings = h.evaluate(genuine())
    assert [f.key for f in findings] == [
        "provenance",
        "volume",
        "separation",
        "score",
        "premium",
        "documentation",
        "integrity",
        "disclosure",
    ]
    assert {f.key: f.result for f in findings} == {f.key: "pass" for f in findings}
    assert all(f.reason for f in findings)


# --- provenance ---


def test_provenance_fails_without_a_plot_or_group():
    finding = h.check_provenance(genuine(plots=[]))
    assert finding.result == "fail" and "plot" in finding.reason


def test_provenance_fails_when_a_plot_geometry_is_invalid():
    finding = h.check_provenance(genuine(plots=[PlotEvidence("Big", D("9"), "needs a polygon")]))
    assert finding.result == "fail" and "Big" in finding.reason


def test_provenance_passes_for_a_named_group_of_producers():
    assert result(h.check_provenance, genuine(farm_name="", plots=[], group_members=["Ana", "Luis"])) == "pass"


def test_provenance_fails_when_a_group_member_is_unnamed():
    assert result(h.check_provenance, genuine(group_members=["Ana", " "])) == "fail"


# --- volume ---


@pytest.mark.parametrize(
    ("kind", "kg", "area", "expected"),
    [
        ("micro", "300", "2.5", "pass"),  # 0.12 t/ha
        ("micro", "1500", "20", "fail"),  # over 1,000 kg can never be a micro-lot
        ("micro", "75", "2.5", "fail"),  # 50–100 kg is neither
        ("nano", "75", "2.5", "fail"),
        ("nano", "30", "0.1", "pass"),  # 0.3 t/ha
        ("nano", "300", "2.5", "fail"),  # claim does not match the classification
        ("micro", "1000", "0.5", "warn"),  # 2.0 t/ha
        ("micro", "1000", "0.3", "fail"),  # 3.3 t/ha: more than the plot can yield
        ("micro", "750", "0.5", "pass"),  # exactly 1.5 t/ha
        ("micro", "300", None, "warn"),  # no area to check
    ],
)
def test_volume(kind, kg, area, expected):
    plots = [PlotEvidence("P", D(area), None)] if area else []
    assert result(h.check_volume, genuine(claim_kind=kind, weight_kg=D(kg), plots=plots)) == expected


def test_a_1500_kg_lot_fails_volume_with_a_reason():
    finding = h.check_volume(genuine(weight_kg=D("1500"), plots=[PlotEvidence("P", D("50"), None)]))
    assert finding.result == "fail"
    assert "1,000 kg" in finding.reason


def test_volume_yield_thresholds_come_from_settings(settings, monkeypatch):
    from marketplace.moderation import conf

    monkeypatch.setattr(conf, "YIELD_PASS_T_PER_HA", D("0.1"))
    assert result(h.check_volume, genuine()) == "warn"  # 0.12 t/ha


# --- separation ---


def test_packed_weight_above_dried_weight_fails_separation():
    chain = [*CHAIN[:5], ("packaging", "green", "green", "305", "400")]
    finding = h.check_separation(genuine(custody=steps(chain)))
    assert finding.result == "fail"
    assert "packed weight" in finding.reason and "possible blending" in finding.reason


def test_weight_gained_between_stages_fails_separation():
    chain = [*CHAIN[:4], ("milling", "parchment", "green", "420", "330"), CHAIN[5]]
    finding = h.check_separation(genuine(custody=steps(chain)))
    assert finding.result == "fail" and "between drying and milling" in finding.reason


def test_a_missing_stage_fails_separation():
    chain = [c for c in CHAIN if c[0] != "fermentation"]
    finding = h.check_separation(genuine(custody=steps(chain)))
    assert finding.result == "fail" and "fermentation" in finding.reason


def test_naturals_need_no_depulping():
    chain = [
        ("harvest", "cherry", "cherry", "1000", "980"),
        ("fermentation", "cherry", "cherry", "980", "960"),
        ("drying", "cherry", "dried_cherry", "960", "330"),  # 2.97:1
        ("milling", "dried_cherry", "green", "330", "165"),  # 2.0:1
        ("packaging", "green", "green", "165", "165"),
    ]
    ev = genuine(process="natural", weight_kg=D("160"), custody=steps(chain))
    assert h.check_separation(ev).result == "pass"
    assert h.check_separation(replace(ev, process="washed")).result == "fail"  # washed must be depulped


def test_a_stage_not_kept_separate_fails():
    finding = h.check_separation(genuine(custody=steps(separated=False)))
    assert finding.result == "fail" and "not kept separate" in finding.reason


def test_an_implausible_conversion_warns_or_fails():
    slightly = [
        *CHAIN[:4],
        ("milling", "parchment", "green", "375", "280"),
        ("packaging", "green", "green", "280", "280"),
    ]
    ev = genuine(weight_kg=D("280"), custody=steps(slightly))  # 375/280 = 1.34:1, just outside 1.2–1.3
    assert h.check_separation(ev).result == "warn"
    far = [*CHAIN[:4], ("milling", "parchment", "green", "375", "370"), ("packaging", "green", "green", "370", "300")]
    finding = h.check_separation(genuine(custody=steps(far)))  # 1.01:1 — hulling loses ~20 %
    assert finding.result == "fail" and "Parchment to green" in finding.reason


def test_a_lot_declaring_more_than_was_packed_fails():
    assert result(h.check_separation, genuine(weight_kg=D("350"))) == "fail"


def test_no_custody_fails_separation():
    assert result(h.check_separation, genuine(custody=[])) == "fail"


# --- score ---


@pytest.mark.parametrize(
    ("score", "expected"), [("86", "pass"), ("91.25", "pass"), ("85.75", "warn"), ("80", "warn"), ("79.75", "fail")]
)
def test_score_bands(score, expected):
    ev = genuine(official_score=D(score), sheets=[SheetEvidence(7, True, D(score))])
    assert result(h.check_score, ev) == expected


def test_a_lot_cupped_only_by_its_own_producer_fails_score():
    ev = genuine(official_score=None, sheets=[SheetEvidence(grader_id=1, independent=False, score=D("92"))])
    finding = h.check_score(ev)
    assert finding.result == "fail" and "independent" in finding.reason


def test_no_sheet_at_all_fails_score():
    assert result(h.check_score, genuine(official_score=None, sheets=[])) == "fail"


# --- premium ---


@pytest.mark.parametrize(
    ("ratio", "flags", "expected"),
    [
        ("2", [], "pass"),
        ("10", [], "pass"),
        ("1.5", [], "warn"),
        ("12", [], "warn"),
        ("1.5", ["under_2x"], "fail"),
        ("14", ["over_10x"], "fail"),
        (None, [], "warn"),
    ],
)
def test_premium(ratio, flags, expected):
    ev = genuine(premium_ratio=D(ratio) if ratio else None, premium_flags=flags)
    assert result(h.check_premium, ev) == expected


# --- documentation ---


@pytest.mark.parametrize("missing", ["signed_originals", "plot_photos", "green_gradings"])
def test_documentation_fails_when_any_piece_is_missing(missing):
    finding = h.check_documentation(genuine(**{missing: 0}))
    assert finding.result == "fail"


# --- integrity ---


def test_a_broken_chain_fails_integrity():
    finding = h.check_integrity(genuine(chain_ok=False, chain_broken_seq=3, chain_reason="content does not match"))
    assert finding.result == "fail" and "3" in finding.reason


def test_an_empty_chain_only_warns_integrity():
    assert result(h.check_integrity, genuine(custody=[])) == "warn"


# --- disclosure ---


def test_a_disclosed_infusion_passes_and_says_it_is_labelled():
    finding = h.check_disclosure(genuine(additives="infused", additives_detail="passion fruit"))
    assert finding.result == "pass" and "passion fruit" in finding.reason


def test_a_disclosed_infusion_without_detail_warns():
    assert result(h.check_disclosure, genuine(additives="co_fermented", additives_detail="")) == "warn"


def test_an_undisclosed_infusion_fails():
    ev = genuine(additives="none", texts=["Co-fermented with mango pulp for 72 hours."])
    finding = h.check_disclosure(ev)
    assert finding.result == "fail" and "co-ferment" in finding.reason


def test_no_declaration_at_all_fails_disclosure():
    assert result(h.check_disclosure, genuine(additives="")) == "fail"


def test_a_plot_split_into_many_lots_must_still_fit_its_yield():
    # 300 kg alone is 0.12 t/ha; the plot's whole harvest across lots is 7 t over 2.5 ha = 2.8 t/ha.
    finding = h.check_volume(genuine(plot_season_kg=D("7000")))
    assert finding.result == "fail" and "7000" in finding.reason


def test_photo_distance_to_a_point_or_polygon_plot():
    from marketplace.moderation.evidence import distance_to_plot_m

    square = {
        "type": "Polygon",
        "coordinates": [[[-75.92, 1.85], [-75.91, 1.85], [-75.91, 1.86], [-75.92, 1.86], [-75.92, 1.85]]],
    }
    assert distance_to_plot_m(1.855, -75.915, square) == 0.0
    assert 1000 < distance_to_plot_m(1.855, -75.93, square) < 1200  # ~0.01° of longitude at the equator
    point = {"type": "Point", "coordinates": [-75.912345, 1.852345]}
    assert distance_to_plot_m(1.852345, -75.912345, point) < 1
    assert distance_to_plot_m(1.85, -75.9, None) is None
    assert distance_to_plot_m(1.85, -75.9, {"type": "Polygon", "coordinates": "garbage"}) is None
