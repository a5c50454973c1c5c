"""Issue 14, "One number, one scale" (cupping side): the Cup of Excellence form end to end,
consistent cup boxes everywhere, per-protocol official scores of the current harvest only, and
every shown score naming its scale; green grading on the rulebook its sample calls for."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from cupping import scoring
from cupping.models import CuppingSheet, GreenGrading, LotScore
from cupping.selectors import OfficialScore, lot_official_score, lot_official_scores
from cupping.tasks import run_cupping_import
from tests import factories
from tests.cupping.conftest import yesterday
from tests.cupping.test_forged_scores import api_confirm, api_import
from tests.cupping.test_import import coe_row, make_csv, sca_row

pytestmark = pytest.mark.django_db

D = Decimal

COE_BODY = {
    "protocol": "coe",
    "independent": True,
    "clean_cup": "7.5",
    "sweetness": "7",
    "acidity": "7",
    "mouthfeel": "6.5",
    "flavor": "7",
    "aftertaste": "6.5",
    "balance": "7",
    "overall": "7.5",
    "defect_cups": 1,
    "defect_intensity": 1,
    "mouthfeel_intensity": "high",
}


def body(lot, base: dict) -> dict:
    return {**base, "lot": lot.pk, "cupped_on": yesterday().isoformat()}


# --- Cup of Excellence form (DOMAIN.md §4) -----------------------------------------------------


def test_a_jury_member_posts_a_coe_sheet_and_gets_sum_plus_36_minus_defects(api, q_grader, lot):
    """DOMAIN.md §4: 56 + 36 = 92.00; one cup at intensity 1 → − 1 × 1 × 4 = 88.00."""
    res = api(q_grader).post("/api/v1/cupping-sheets/", body(lot, COE_BODY), format="json")
    assert res.status_code == 201, res.content
    data = res.json()
    assert (data["total"], data["defects"], data["final_score"]) == ("92.00", "4.00", "88.00")
    assert (data["score_label"], data["form_version"], data["clean_cup"]) == ("CoE 88.00", "CoE-8-attributes", "7.50")
    assert data["mouthfeel_intensity"] == "high"
    bad = api(q_grader).post(
        "/api/v1/cupping-sheets/", body(lot, COE_BODY) | {"flavor": "8.5", "defect_intensity": 4}, format="json"
    )
    assert bad.status_code == 400 and set(bad.json()["extra"]["fields"]) == {"flavor", "defect_intensity"}
    assert CuppingSheet.objects.count() == 1


def test_a_grader_enters_a_coe_sheet_in_the_browser_and_sees_its_scale(q_grader_client, lot):
    data = {k: str(v) for k, v in COE_BODY.items() if k not in ("protocol", "independent")}
    data.update(lot=str(lot.pk), cupped_on=yesterday().isoformat(), independent="on")
    form = q_grader_client.get(reverse("cupping:sheet_new") + "?protocol=coe").content.decode()
    assert 'data-protocol="coe"' in form and 'name="clean_cup"' in form and 'step="0.5"' in form
    res = q_grader_client.post(reverse("cupping:sheet_new") + "?protocol=coe", data)
    assert res.status_code == 302, res.content.decode()[:3000]
    sheet = CuppingSheet.objects.get()
    assert (sheet.protocol, sheet.final_score) == ("coe", D("88.00"))
    page = q_grader_client.get(res["Location"]).content.decode()
    assert '<strong class="num" id="final-score">CoE 88.00</strong>' in page
    bad = q_grader_client.post(reverse("cupping:sheet_new") + "?protocol=coe", data | {"balance": "6.3"})
    assert bad.status_code == 400 and 'id="error-balance"' in bad.content.decode()


def test_coe_sheets_import_and_show_their_own_radar_chart(
    api, client, q_grader, lot, django_capture_on_commit_callbacks
):
    job_id, job = api_import(api(q_grader), make_csv([coe_row(lot, "7")]), django_capture_on_commit_callbacks)
    assert job["preview"]["lots"][0]["rows"][0]["label"] == "CoE 92.00"
    assert api_confirm(api(q_grader), job_id, django_capture_on_commit_callbacks)["status"] == "succeeded"
    assert LotScore.objects.get(lot=lot, protocol="coe").mean == D("92.00")
    html = client.get(reverse("lots:detail", args=[lot.pk])).content.decode()
    section = html.split('id="cupping"')[1].split("</section>")[0]
    coe = section.split('data-protocol="coe"')[1]
    assert "CoE 92.00" in coe and coe.count("<tspan") == 8  # eight attributes on the radar chart
    assert "Centre 0, edge 8." in coe


def test_a_coe_row_with_a_defect_needs_its_intensity_in_the_import(
    api, q_grader, lot, django_capture_on_commit_callbacks
):
    _, job = api_import(
        api(q_grader), make_csv([coe_row(lot, defect_cups=2, uniform_cups=5)]), django_capture_on_commit_callbacks
    )
    assert job["status"] == "failed"
    assert {(e["row"], e["column"]) for e in job["errors"]} == {(2, "defect_intensity"), (2, "uniform_cups")}


# --- Cup boxes (DOMAIN.md §2) --------------------------------------------------------------------


def test_a_tainted_cup_marked_clean_is_refused_by_the_api_the_form_and_the_import(
    api, q_grader, q_grader_client, lot, django_capture_on_commit_callbacks
):
    """DOMAIN.md §2: clean cups ≤ 5 − (taint cups + fault cups)."""
    from tests.cupping.test_api import SCA_BODY

    res = api(q_grader).post(
        "/api/v1/cupping-sheets/", body(lot, SCA_BODY) | {"clean_cups": 5, "taint_cups": 1}, format="json"
    )
    assert res.status_code == 400
    assert res.json()["extra"]["fields"]["clean_cups"] == [
        "A cup with a taint or a fault is not a clean cup: with 1 tainted and 0 faulted cups, "
        "at most 4 of the 5 cups can be clean."
    ]
    from tests.cupping.test_pages import sca_post

    page = q_grader_client.post(
        reverse("cupping:sheet_new") + "?protocol=sca2004", sca_post(lot, fault_cups="2", clean_cups="4")
    )
    assert page.status_code == 400 and "at most 3 of the 5 cups can be clean" in page.content.decode()
    _, job = api_import(
        api(q_grader), make_csv([sca_row(lot, taint_cups=1, fault_cups=1)]), django_capture_on_commit_callbacks
    )
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(2, "clean_cups")]
    assert not CuppingSheet.objects.exists()


# --- Official score per protocol, current harvest only -----------------------------------------


def test_a_lot_cupped_on_two_forms_has_two_official_scores_and_the_sca_one_is_primary(
    api, roaster, q_grader, second_grader, third_grader, lot, submit
):
    submit(q_grader, lot, "cva")  # 89.50
    submit(second_grader, lot, "cva", overall=9)  # 90.75
    submit(third_grader, lot)  # SCA 82.50: one grader, still the primary one
    scores = lot_official_scores(lot=lot)
    assert list(scores) == ["sca2004", "cva"]
    assert scores["cva"] == OfficialScore(
        protocol="cva", value=D("90.13"), graders=2, harvest_year=2025, spread=D("1.25"), primary=False
    )
    primary = lot_official_score(lot=lot)
    assert primary is not None and (primary.protocol, primary.value, primary.label) == (
        "sca2004",
        D("82.50"),
        "SCA 82.50",
    )
    lot.refresh_from_db()
    assert (lot.official_score, lot.official_score_protocol) == (primary.value, primary.protocol)
    data = api(roaster).get(f"/api/v1/lots/{lot.pk}/").json()
    assert (data["official_score"], data["official_score_protocol"], data["official_score_label"]) == (
        "82.50",
        "sca2004",
        "SCA 82.50",
    )
    assert [(s["protocol"], s["value"], s["label"], s["graders"], s["primary"]) for s in data["official_scores"]] == [
        ("sca2004", "82.50", "SCA 82.50", 1, True),
        ("cva", "90.13", "CVA 90.13", 2, False),
    ]
    listed = api(roaster).get("/api/v1/lots/").json()["results"]
    assert [s["label"] for s in next(r for r in listed if r["id"] == lot.pk)["official_scores"]] == [
        "SCA 82.50",
        "CVA 90.13",
    ]


def test_a_cva_only_lot_has_a_cva_primary_score_and_a_coe_only_lot_a_coe_one(q_grader, producer, submit):
    cva_lot, coe_lot = factories.LotFactory(producer=producer), factories.LotFactory(producer=producer)
    submit(q_grader, cva_lot, "cva")
    submit(q_grader, coe_lot, "coe")
    assert lot_official_score(lot=cva_lot).label == "CVA 89.50"
    assert lot_official_score(lot=coe_lot).label == "CoE 88.00"
    submit(q_grader, coe_lot, "cva", overall=9)
    assert lot_official_score(lot=coe_lot).protocol == "cva"  # CVA before CoE


def test_only_the_current_harvest_counts_even_before_the_rescore_has_run(api, roaster, q_grader, lot, submit):
    submit(q_grader, lot)
    type(lot).objects.filter(pk=lot.pk).update(harvest_year=2026)  # the rescore task has not run yet
    lot.refresh_from_db()
    assert lot_official_scores(lot=lot) == {} and lot_official_score(lot=lot) is None
    assert api(roaster).get(f"/api/v1/lot-scores/?lot={lot.pk}").json()["results"] == []
    assert api(roaster).get(f"/api/v1/lots/{lot.pk}/").json()["official_scores"] == []


def test_the_lot_page_names_the_scale_of_every_score(client, q_grader, second_grader, lot, submit):
    submit(q_grader, lot)
    submit(second_grader, lot, "cva")
    html = client.get(reverse("lots:detail", args=[lot.pk])).content.decode()
    block = html.split('id="official-score"')[1].split("</p>")[0]
    assert "SCA 82.50" in block and "CVA 89.50" in block and "never averaged" in block
    assert block.index("SCA 82.50") < block.index("CVA 89.50")
    section = html.split('id="cupping"')[1].split("</section>")[0]
    assert "SCA 82.50" in section and "CVA 89.50" in section


def test_the_score_filter_renders_the_scale_in_spanish_too():
    from django.template import Context, Template
    from django.utils import translation

    template = Template("{% load cupping_scores %}{{ v|scored:p }}")
    with translation.override("es"):
        assert template.render(Context({"v": D("87.25"), "p": "sca2004"})) == "SCA 87.25"
        assert template.render(Context({"v": D("88"), "p": "coe"})) == "CoE 88.00"


# --- Green grading (DOMAIN.md §5, SCA 2018) --------------------------------------------------------


def grading(lot, **over):
    payload = {
        "lot": lot.pk,
        "graded_on": yesterday().isoformat(),
        "defects": {"broken": 10},
        "quakers": 0,
        "moisture_pct": "11.0",
        "water_activity": "0.55",
    }
    payload.update(over)
    return payload


def test_bean_size_off_screen_never_fails_the_grade_and_is_shown_as_contract_information(api, q_grader, client, lot):
    """DOMAIN.md §5: bean size is not part of the SCA specialty grade."""
    res = api(q_grader).post(
        "/api/v1/green-gradings/", grading(lot, screen_size=15, screen_off_pct="30.0"), format="json"
    )
    assert res.status_code == 201, res.content
    data = res.json()
    assert (data["specialty"], data["reasons"], data["grade_class"]) == (True, [], "specialty")
    assert (data["screen_size"], data["screen_off_pct"]) == (15, "30.0")
    page = client.get(reverse("cupping:grading", args=[data["id"]]))
    assert page.status_code == 302  # signed-in only
    from django.test import Client

    c = Client()
    c.force_login(q_grader, backend="accounts.backends.EmailBackend")
    html = c.get(reverse("cupping:grading", args=[data["id"]])).content.decode()
    assert "contract information, not part of the grade" in html and "Specialty grade" in html


@pytest.mark.parametrize(
    ("process", "specialty", "reasons", "warnings"),
    [("washed", False, ["moisture"], []), ("natural", True, [], ["moisture"]), ("honey", True, [], ["moisture"])],
)
def test_moisture_out_of_range_fails_a_washed_lot_and_warns_with_the_figure_for_naturals_and_honeys(
    api, q_grader, producer, process, specialty, reasons, warnings
):
    """DOMAIN.md §5: 10–12 % is the washed-arabica figure; for naturals and honeys out-of-range
    moisture is a warning that shows the figure. The lot's process decides."""
    lot = factories.LotFactory(producer=producer, process=process)
    data = api(q_grader).post("/api/v1/green-gradings/", grading(lot, moisture_pct="12.6"), format="json").json()
    assert (data["specialty"], data["reasons"], data["warnings"], data["process"]) == (
        specialty,
        reasons,
        warnings,
        process,
    )
    shown = data["warning_labels"] + data["reason_labels"]
    assert len(shown) == 1 and "12.6 %" in shown[0] and "10.0–12.0 %" in shown[0]


def test_a_300_g_sample_is_graded_and_labelled_on_the_older_scaa_rules(api, q_grader, lot):
    """DOMAIN.md §5: 300 g only on the older SCAA rules (Premium ≤ 8 full defects, ≤ 3 quakers)."""
    data = (
        api(q_grader)
        .post(
            "/api/v1/green-gradings/",
            grading(lot, sample_grams=300, defects={"broken": 35}, quakers=2, moisture_pct="12.8"),
            format="json",
        )
        .json()
    )
    assert (data["rulebook"], data["grade_class"], data["specialty"]) == ("SCAA-legacy-300g", "premium", False)
    assert "Older SCAA" in data["rulebook_label"]
    stored = GreenGrading.objects.get(pk=data["id"])
    assert (stored.rulebook, stored.sample_grams) == ("SCAA-legacy-300g", 300)
    sca = api(q_grader).post("/api/v1/green-gradings/", grading(lot, moisture_pct="12.8"), format="json").json()
    assert (sca["rulebook"], sca["reasons"]) == ("SCA-2018-350g", ["moisture"])  # 12.8 % fails on 350 g


def test_other_sample_sizes_are_refused_with_a_message_naming_the_rulebooks(api, q_grader, q_grader_client, lot):
    res = api(q_grader).post("/api/v1/green-gradings/", grading(lot, sample_grams=250), format="json")
    assert res.status_code == 400
    (message,) = res.json()["extra"]["fields"]["sample_grams"]
    assert "350 g" in message and "300 g" in message and "250 g" in message
    page = q_grader_client.post(
        reverse("cupping:grading_new"),
        {
            "lot": lot.pk,
            "graded_on": yesterday().isoformat(),
            "sample_grams": "250",
            "quakers": "0",
            "moisture_pct": "11",
            "water_activity": "0.5",
        },
    )
    assert page.status_code == 400 and 'id="error-sample_grams"' in page.content.decode()
    assert not GreenGrading.objects.exists()


def test_the_grading_form_grades_a_300_g_sample_on_the_older_rules(q_grader_client, lot):
    res = q_grader_client.post(
        reverse("cupping:grading_new"),
        {
            "lot": lot.pk,
            "graded_on": yesterday().isoformat(),
            "sample_grams": "300",
            "quakers": "0",
            "moisture_pct": "11",
            "water_activity": "0.5",
            "defect_full_black": "1",
        },
    )
    assert res.status_code == 302, res.content.decode()[:2000]
    report = GreenGrading.objects.get()
    assert (report.rulebook, report.grade_class) == ("SCAA-legacy-300g", "premium")
    html = q_grader_client.get(res["Location"]).content.decode()
    assert "Premium grade (older SCAA rules)" in html and "not the SCA 2018 rules" in html


def test_coe_is_a_protocol_a_producer_can_ask_for(api, producer, lot):
    res = api(producer).post("/api/v1/cupping-requests/", {"lot": lot.pk, "protocol": "coe"}, format="json")
    assert res.status_code == 201 and res.json()["protocol"] == "coe"
    assert scoring.COE in scoring.PROTOCOLS


def test_an_import_job_page_keeps_polling_while_it_runs(q_grader, q_grader_client, lot):
    from cupping import imports

    job = imports.cupping_import_start(by=q_grader, data=make_csv([sca_row(lot)]).encode())
    html = q_grader_client.get(reverse("cupping:import_job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in html and 'data-status="pending"' in html
    run_cupping_import(str(job.pk))
