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
        harvest_year=2025,
        sheets=[
            SheetEvidence(grader_id=7, independent=True, score=D("88.5"), has_signed_original=True, harvest_year=2025)
        ],
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
    assert finding.result == "fail" and "no custody event for fermentation" in finding.reason


# DOMAIN.md §10: the stages depend on the declared process.
NATURAL = [
    ("harvest", "cherry", "cherry", "1000", "980"),
    ("drying", "cherry", "dried_cherry", "980", "330"),  # 2.97:1
    ("milling", "dried_cherry", "green", "330", "165"),  # 2.0:1 hulling
    ("packaging", "green", "green", "165", "165"),
]
HONEY = [
    ("harvest", "cherry", "cherry", "1800", "1750"),
    ("depulping", "cherry", "parchment", "1750", "900"),
    ("drying", "parchment", "parchment", "900", "375"),  # with its mucilage: 4.67:1
    ("milling", "parchment", "green", "375", "305"),
    ("packaging", "green", "green", "305", "300"),
]
# An anaerobic natural ferments its whole cherries before drying them.
NATURAL_FERMENTED = [
    NATURAL[0],
    ("fermentation", "cherry", "cherry", "980", "975"),
    ("drying", "cherry", "dried_cherry", "975", "330"),
    *NATURAL[2:],
]
WET_HULLED = [
    ("harvest", "cherry", "cherry", "1800", "1750"),
    ("depulping", "cherry", "parchment", "1750", "900"),
    ("fermentation", "parchment", "parchment", "900", "880"),  # short
    ("drying", "parchment", "parchment", "880", "560"),  # partial, to 30-50 % moisture
    ("wet_hulling", "parchment", "green", "560", "420"),
    ("drying", "green", "green", "420", "310"),  # the green dried: 1750/310 = 5.6:1
    ("packaging", "green", "green", "310", "300"),
]


def natural(chain=NATURAL, **changes) -> Evidence:
    return genuine(process="natural", weight_kg=D("160"), custody=steps(chain), **changes)


def test_a_natural_needs_no_depulping_and_no_fermentation_tank():
    """DOMAIN.md §10: natural = harvest → drying in the cherry → hulling/milling → packaging."""
    finding = h.check_separation(natural())
    assert finding.result == "pass", finding.reason
    washed = h.check_separation(replace(natural(), process="washed"))  # a washed coffee must be depulped
    assert washed.result == "fail" and "depulping, fermentation" in washed.reason


def test_depulping_a_natural_is_a_warning():
    """DOMAIN.md §10: a stage the process cannot have (depulping a natural) is a warning."""
    chain = [NATURAL[0], ("depulping", "cherry", "cherry", "980", "980"), *NATURAL[1:]]
    finding = h.check_separation(natural(chain))
    assert finding.result == "warn"
    assert "a natural coffee has no depulping stage" in finding.reason


def test_a_fermentation_tank_on_a_plain_natural_is_a_warning_asking_for_the_declared_process():
    finding = h.check_separation(natural(NATURAL_FERMENTED))
    assert finding.result == "warn" and "anaerobic" in finding.reason


@pytest.mark.parametrize("modifier", ["anaerobic", "extended_fermentation"])
def test_an_anaerobic_or_extended_fermentation_natural_must_record_its_fermentation(modifier):
    """DOMAIN.md §10: anaerobic or extended-fermentation naturals record fermentation when declared."""
    finding = h.check_separation(natural(process_modifiers=[modifier]))
    assert finding.result == "fail" and "no custody event for fermentation" in finding.reason
    assert h.check_separation(natural(NATURAL_FERMENTED, process_modifiers=[modifier])).result == "pass"


def test_a_honey_is_depulped_and_dried_with_its_mucilage_with_or_without_a_fermentation():
    """DOMAIN.md §10: honey = harvest → depulping → drying with mucilage → milling → packaging."""
    ev = genuine(process="honey", custody=steps(HONEY))
    assert h.check_separation(ev).result == "pass", h.check_separation(ev).reason
    fermented = [*HONEY[:2], ("fermentation", "parchment", "parchment", "900", "900"), *HONEY[2:]]
    assert h.check_separation(replace(ev, custody=steps(fermented))).result == "pass"
    no_depulping = [c for c in HONEY if c[0] != "depulping"]
    finding = h.check_separation(replace(ev, custody=steps(no_depulping)))
    assert finding.result == "fail" and "depulping" in finding.reason


def test_a_wet_hulled_coffee_is_hulled_wet_and_dried_again_as_green():
    """DOMAIN.md §10: wet-hulled = harvest → depulping → short fermentation → partial drying → wet hulling
    → drying of green → packaging."""
    ev = genuine(process="semi_washed", custody=steps(WET_HULLED))
    assert h.check_separation(ev).result == "pass", h.check_separation(ev).reason
    finding = h.check_separation(replace(ev, custody=steps([c for c in WET_HULLED if c[0] != "wet_hulling"])))
    assert finding.result == "fail" and "wet hulling" in finding.reason
    once = [c for i, c in enumerate(WET_HULLED) if i != 5]
    finding = h.check_separation(replace(ev, custody=steps(once)))
    assert finding.result == "fail" and "drying (2 needed, 1 recorded)" in finding.reason
    # A washed chain has no wet hulling.
    assert "a washed coffee has no wet hulling stage" in h.check_separation(replace(ev, process="washed")).reason


def test_stages_out_of_the_order_of_the_declared_process_warn():
    chain = [
        CHAIN[0],
        ("fermentation", "cherry", "cherry", "1750", "1750"),  # before depulping
        ("depulping", "cherry", "parchment", "1750", "880"),
        *CHAIN[3:],
    ]
    finding = h.check_separation(genuine(custody=steps(chain)))
    assert finding.result == "warn" and "not in the order of a washed chain" in finding.reason


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


def sheet(score, protocol="sca2004", grader=7, year=2025, **kw) -> SheetEvidence:
    return SheetEvidence(grader, True, D(score), protocol=protocol, harvest_year=year, **kw)


@pytest.mark.parametrize(
    ("score", "expected"), [("86", "pass"), ("91.25", "pass"), ("85.75", "warn"), ("80", "warn"), ("79.75", "fail")]
)
def test_sca_2004_score_bands(score, expected):
    """DESIGN.md hallmark 4: SCA 2004 ≥ 86 passes, 80–86 warns, < 80 is not specialty."""
    finding = h.check_score(genuine(sheets=[sheet(score)]))
    assert finding.result == expected
    assert f"SCA {D(score):.2f}" in finding.reason


@pytest.mark.parametrize(
    ("score", "expected"),
    [("84.25", "pass"), ("89.50", "pass"), ("84.00", "warn"), ("79.00", "warn"), ("78.75", "fail"), ("58", "fail")],
)
def test_cva_scores_are_judged_on_cva_thresholds_not_on_80_and_86(score, expected):
    """DOMAIN.md §3 / DESIGN.md hallmark 4: an all-5 CVA sheet is 79.00; CVA has its own thresholds."""
    finding = h.check_score(genuine(sheets=[sheet(score, "cva")]))
    assert finding.result == expected
    assert f"CVA {D(score):.2f}" in finding.reason and "SCA" not in finding.reason


def test_cup_of_excellence_scores_use_the_sca_2004_thresholds():
    assert h.check_score(genuine(sheets=[sheet("87", "coe")])).result == "pass"
    assert h.check_score(genuine(sheets=[sheet("85", "coe")])).result == "warn"


def test_cva_thresholds_are_settings(monkeypatch):
    from marketplace.moderation import conf

    monkeypatch.setitem(conf.SCORE_THRESHOLDS, "cva", (D("86"), D("80")))
    assert h.check_score(genuine(sheets=[sheet("84.50", "cva")])).result == "warn"


def test_a_protocol_without_thresholds_is_never_judged_on_another_scale():
    finding = h.check_score(genuine(sheets=[sheet("95", "mystery")]))
    assert finding.result == "warn" and "no thresholds" in finding.reason


def test_two_scales_are_judged_separately_and_never_averaged():
    finding = h.check_score(genuine(sheets=[sheet("84", "sca2004", grader=7), sheet("88", "cva", grader=8)]))
    assert finding.result == "warn"  # the SCA 84.00 warns; nothing averages it with the CVA 88.00 into 86
    assert "SCA 84.00" in finding.reason and "CVA 88.00" in finding.reason and "86.00" not in finding.reason


def test_only_the_current_harvest_counts_for_the_score():
    """DESIGN.md hallmark 4: only the lot's current harvest counts."""
    ev = genuine(sheets=[sheet("92", year=2024), sheet("84", grader=8)])
    finding = h.check_score(ev)
    assert finding.result == "warn" and "SCA 84.00" in finding.reason and "92" not in finding.reason.split(".")[0]
    assert "1 sheet(s) from other harvests do not count" in finding.reason
    finding = h.check_score(genuine(sheets=[sheet("92", year=2024)]))
    assert finding.result == "fail" and "No official score for the 2025 harvest" in finding.reason


def test_each_graders_latest_sheet_counts_once():
    import datetime

    old = sheet("80", cupped_on=datetime.date(2026, 1, 1), sheet_id=1)
    new = sheet("88", cupped_on=datetime.date(2026, 2, 1), sheet_id=2)
    other = sheet("87", grader=8, cupped_on=datetime.date(2026, 1, 15), sheet_id=3)
    assert h.lot_official_scores(genuine(sheets=[new, old, other])) == {"sca2004": D("87.50")}


def test_official_scores_given_by_the_cupping_app_are_used_as_they_are():
    ev = genuine(sheets=[sheet("70")], official_scores={"sca2004": D("88.25")})
    finding = h.check_score(ev)
    assert finding.result == "pass" and "SCA 88.25" in finding.reason


def test_a_lot_cupped_only_by_its_own_producer_fails_score():
    ev = genuine(sheets=[SheetEvidence(grader_id=1, independent=False, score=D("92"), harvest_year=2025)])
    finding = h.check_score(ev)
    assert finding.result == "fail" and "independent" in finding.reason


def test_no_sheet_at_all_fails_score():
    finding = h.check_score(genuine(sheets=[]))
    assert finding.result == "fail" and "No official score" in finding.reason


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


# DOMAIN.md §10: negations are not disclosures; a real declaration is still caught.
NEGATIONS = [
    "No infusion.",
    "Nothing added.",
    "Without additives.",
    "No infusions, no additives, no yeast.",
    "Additive-free and infusion free.",
    "We did not infuse this lot, nor co-ferment it.",
    "Nothing was infused; dried on raised beds.",
    "Sin infusión.",
    "Sin aditivos.",
    "Sin infusión ni aditivos.",
    "Libre de aditivos, secado en camas africanas.",
    "No se infusionó.",
    "Sem infusão.",
    "Nada adicionado.",
    "Sem infusão nem aditivos.",
    "Sem qualquer tipo de infusão.",
    "Nunca co-fermentado.",
    "Additives: none.",
    "Aditivos: ninguno.",
    "Infusão: nenhuma.",
]
DECLARATIONS = [
    "Infused with passion fruit.",
    "Co-fermented with mango pulp for 72 hours.",
    "No yeast, but infused with cinnamon.",
    "No yeast and infused with hibiscus.",
    "Fermented with added fruit.",
    "Infusionado con maracuyá.",
    "Sin levadura, pero co-fermentado con canela.",
    "Fermentado con frutas añadidas.",
    "Co-fermentado com maracujá.",
    "Fermentado no tanque com infusão de canela.",
    "Secado no terreiro após infusão de canela.",
    "Additives: cinnamon sticks in the tank.",
]


@pytest.mark.parametrize("text", NEGATIONS)
def test_a_negated_infusion_is_not_a_declaration(text):
    finding = h.check_disclosure(genuine(additives="none", texts=[text]))
    assert finding.result == "pass", finding.reason


@pytest.mark.parametrize("text", DECLARATIONS)
def test_a_real_infusion_in_the_texts_of_a_lot_declared_with_nothing_added_fails(text):
    finding = h.check_disclosure(genuine(additives="none", texts=["Picked on two days.", text]))
    assert finding.result == "fail", text
    assert "undisclosed infusion" in finding.reason
