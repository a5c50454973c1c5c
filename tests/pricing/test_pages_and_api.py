"""Baseline management is for moderators only (pages and API), audited; CSV import is all or nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent, ExchangeRate, Job
from lots.models import Lot
from marketplace.pricing.models import CPrice, IncotermAdjustment, LotPremium, SpecialtyBaseline
from marketplace.pricing.services import csv_import, lot_premium_recompute
from tests.pricing.conftest import baseline

pytestmark = pytest.mark.django_db

BASELINE_DATA = {
    "edition": "2024 (v7)",
    "harvest_year": 2023,
    "origin": "co",
    "score_band": "86-88",
    "size_band": "all",
    "p25": "3.10",
    "median": "3.90",
    "p75": "4.80",
    "source": "Transaction Guide 2024",
}


@pytest.fixture
def no_broker(monkeypatch: Any) -> list[Any]:
    from marketplace.pricing import tasks

    sent: list[Any] = []
    monkeypatch.setattr(tasks.premiums_sweep_task, "apply_async", lambda *a, **k: sent.append(a))
    return sent


# --- pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["outsider_client", "producer_client", "roaster_client", "q_grader_client"])
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/pricing/baselines/"),
        ("get", "/pricing/baseline/new/"),
        ("post", "/pricing/baseline/new/"),
        ("post", "/pricing/sweep/"),
        ("post", "/pricing/rate/import/"),
    ],
)
def test_baseline_pages_refuse_everyone_but_moderators(request, who, method, url):
    client = request.getfixturevalue(who)
    response = getattr(client, method)(url, BASELINE_DATA if method == "post" else None)
    assert response.status_code == 403
    assert not SpecialtyBaseline.objects.filter(edition="2024 (v7)").exists()
    assert not Job.objects.filter(kind="pricing.sweep").exists()


def test_anonymous_visitor_is_sent_to_log_in(anon_client):
    response = anon_client.get("/pricing/baselines/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert anon_client.post("/pricing/baseline/new/", BASELINE_DATA).status_code == 302
    assert not SpecialtyBaseline.objects.filter(edition="2024 (v7)").exists()


def test_moderator_adds_a_baseline_audited_and_a_sweep_follows(
    moderator, moderator_client, no_broker, django_capture_on_commit_callbacks
):
    page = moderator_client.get("/pricing/baselines/")
    assert page.status_code == 200
    assert b"Specialty Coffee Transaction Guide" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post("/pricing/baseline/new/", BASELINE_DATA)
    assert response.status_code == 302
    row = SpecialtyBaseline.objects.get(edition="2024 (v7)")
    assert (row.origin, row.median, row.updated_by) == ("CO", Decimal("3.90"), moderator)
    event = AuditEvent.objects.get(action="pricing.baseline_created", target_id=str(row.pk))
    assert event.actor == moderator
    assert len(no_broker) == 1


def test_invalid_baseline_shows_errors_per_field_and_writes_nothing(moderator_client):
    bad = {**BASELINE_DATA, "median": "abc", "p25": "9.00"}
    response = moderator_client.post("/pricing/baseline/new/", bad)
    assert response.status_code == 400
    assert b'id="field-median"' in response.content and b"has-error" in response.content
    assert not SpecialtyBaseline.objects.filter(edition="2024 (v7)").exists()
    assert not AuditEvent.objects.filter(action__startswith="pricing.").exists()


def test_percentiles_out_of_order_are_refused(moderator_client):
    response = moderator_client.post("/pricing/baseline/new/", {**BASELINE_DATA, "p25": "5.00"})
    assert response.status_code == 400
    assert not SpecialtyBaseline.objects.filter(edition="2024 (v7)").exists()


def test_moderator_edits_and_deletes_a_c_price_with_audit(moderator, moderator_client):
    c = CPrice.objects.order_by("-observed_on").first()
    data = {
        "observed_on": "2026-01-31",
        "label": "early 2026",
        "kind": "level",
        "usd_per_lb": "3.46",
        "usd_per_lb_high": "",
        "contract": "",
        "source": "x",
    }
    assert moderator_client.post(f"/pricing/cprice/{c.pk}/", data).status_code == 302
    c.refresh_from_db()
    assert c.usd_per_lb == Decimal("3.46")
    update = AuditEvent.objects.get(action="pricing.cprice_updated")
    assert update.data["changes"]["usd_per_lb"] == ["3.4500", "3.46"]
    assert moderator_client.post(f"/pricing/cprice/{c.pk}/delete/").status_code == 302
    assert not CPrice.objects.filter(pk=c.pk).exists()
    assert AuditEvent.objects.filter(action="pricing.cprice_deleted", target_id=str(c.pk)).exists()


def test_moderator_starts_a_sweep_and_gets_a_progress_bar(
    moderator_client, no_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post("/pricing/sweep/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    job = Job.objects.get(kind="pricing.sweep")
    assert f'id="job-{job.pk}"'.encode() in response.content
    assert b"hx-get" in response.content and b"<progress" in response.content
    assert len(no_broker) == 1


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_import_creates_and_updates_rates_and_audits_each_row(moderator, no_broker):
    ExchangeRate.objects.create(currency="EUR", usd_per_unit=Decimal("1.0"), valid_on=datetime.date(2026, 11, 1))
    data = b"currency,usd_per_unit,valid_on,source\nEUR,1.0800,2026-11-01,ECB\nCOP,0.000245,2026-11-01,BanRep\n"
    assert csv_import(kind="rate", by=moderator, data=data) == 2
    assert ExchangeRate.objects.get(currency="EUR", valid_on=datetime.date(2026, 11, 1)).usd_per_unit == Decimal("1.08")
    assert ExchangeRate.objects.filter(currency="COP").count() == 1
    assert AuditEvent.objects.filter(action__in=["pricing.rate_created", "pricing.rate_updated"]).count() == 2


def test_csv_import_with_one_bad_row_imports_nothing_and_names_the_rows(moderator_client):
    body = (
        b"edition,harvest_year,origin,score_band,size_band,p25,median,p75,source\n"
        b"X,2023,,all,all,,3.00,,ok\n"
        b"X,2023,ET,all,all,,cheap,,bad median\n"
        b"X,20x3,KE,nope,all,,3.00,,bad year and band\n"
    )
    upload = SimpleUploadedFile("b.csv", body, content_type="text/csv")
    response = moderator_client.post("/pricing/baseline/import/", {"file": upload})
    assert response.status_code == 400
    text = response.content.decode()
    assert "row 3, median" in text and "row 4, harvest_year" in text and "row 4, score_band" in text
    assert not SpecialtyBaseline.objects.filter(edition="X").exists()
    assert not AuditEvent.objects.filter(action__startswith="pricing.baseline").exists()


def test_csv_import_is_refused_to_a_roaster(roaster):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        csv_import(kind="rate", by=roaster, data=b"currency,usd_per_unit,valid_on\nEUR,1,2026-11-01\n")
    assert not ExchangeRate.objects.exists()


# --- API ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["baselines", "c-prices", "rates", "incoterm-adjustments"])
def test_reference_tables_are_public_to_read(api, path):
    response = api(None).get(f"/api/v1/pricing/{path}/")
    assert response.status_code == 200
    assert "results" in response.json()


@pytest.mark.parametrize("who", [None, "outsider", "producer", "roaster"])
def test_only_moderators_write_baselines_through_the_api(request, api, who):
    user = request.getfixturevalue(who) if who else None
    client = api(user)
    row = SpecialtyBaseline.objects.first()
    assert client.post("/api/v1/pricing/baselines/", BASELINE_DATA, format="json").status_code in (401, 403)
    assert client.patch(f"/api/v1/pricing/baselines/{row.pk}/", {"median": "9"}, format="json").status_code in (
        401,
        403,
    )
    assert client.delete(f"/api/v1/pricing/baselines/{row.pk}/").status_code in (401, 403)
    assert client.post("/api/v1/pricing/sweeps/").status_code in (401, 403)
    assert client.post(
        "/api/v1/pricing/rates/", {"currency": "EUR", "usd_per_unit": "1", "valid_on": "2026-11-01"}, format="json"
    ).status_code in (401, 403)
    row.refresh_from_db()
    assert row.median != Decimal("9")
    assert not ExchangeRate.objects.exists()


def test_moderator_writes_through_the_api_with_the_error_shape(api, moderator, no_broker):
    client = api(moderator)
    created = client.post("/api/v1/pricing/baselines/", BASELINE_DATA, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["origin"] == "CO"
    duplicate = client.post("/api/v1/pricing/baselines/", BASELINE_DATA, format="json")
    assert duplicate.status_code == 400
    assert set(duplicate.json()) == {"message", "extra"}
    pk = created.json()["id"]
    assert client.patch(f"/api/v1/pricing/baselines/{pk}/", {"median": "4.00"}, format="json").status_code == 200
    assert client.delete(f"/api/v1/pricing/baselines/{pk}/").status_code == 204
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="pricing.baseline").order_by("id")] == [
        "pricing.baseline_created",
        "pricing.baseline_updated",
        "pricing.baseline_deleted",
    ]
    sweep = client.post("/api/v1/pricing/sweeps/")
    assert sweep.status_code == 202
    assert sweep.json()["progress_url"] == reverse("job_progress", args=[sweep.json()["job_id"]])


def test_lot_premium_endpoint_shows_the_baseline_used_and_flags(api, make_lot, roaster, outsider, producer):
    SpecialtyBaseline.objects.all().delete()
    used = baseline(median=Decimal("4.00"))
    lot = make_lot(price=Decimal("41.0000"), price_unit="lb")
    lot_premium_recompute(lot_id=lot.pk)
    data = api(None).get(f"/api/v1/pricing/lots/{lot.pk}/premium/").json()
    assert data["premium_ratio"] == "10.250"
    assert data["baseline"]["id"] == used.pk and data["baseline_match"] == "all_origins_year"
    assert data["flags"] == ["over_10x"]
    draft = make_lot(status="draft")
    lot_premium_recompute(lot_id=draft.pk)
    assert api(outsider).get(f"/api/v1/pricing/lots/{draft.pk}/premium/").status_code == 404
    assert api(None).get(f"/api/v1/pricing/lots/{draft.pk}/premium/").status_code == 404
    assert api(producer).get(f"/api/v1/pricing/lots/{draft.pk}/premium/").status_code == 200
    assert api(None).get("/api/v1/pricing/lots/999999/premium/").status_code == 404


def test_incoterm_adjustment_api_accepts_a_per_origin_override(api, moderator, no_broker):
    response = api(moderator).post(
        "/api/v1/pricing/incoterm-adjustments/",
        {"origin": "br", "incoterm": "CIF", "usd_per_lb": "-0.2200", "note": "Santos freight"},
        format="json",
    )
    assert response.status_code == 201
    assert IncotermAdjustment.objects.get(origin="BR", incoterm="CIF").usd_per_lb == Decimal("-0.2200")


# --- the lot page -------------------------------------------------------------------------------


def test_lot_page_shows_the_premium_badge_and_an_svg_chart_with_the_dated_c_price(client, make_lot):
    SpecialtyBaseline.objects.all().delete()
    baseline(median=Decimal("4.00"))
    baseline(score_band="86-88", p25=Decimal("3.00"), median=Decimal("3.50"), p75=Decimal("4.50"))
    lot = make_lot(price=Decimal("12.0000"), price_unit="lb")
    Lot.objects.filter(pk=lot.pk).update(official_score=Decimal("87.00"))
    lot_premium_recompute(lot_id=lot.pk)
    response = client.get(reverse("lots:detail", args=[lot.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    # DOMAIN.md §6.1: the 86–88 band row (3.50) is the most specific row for an 87-point lot.
    assert 'id="premium-badge"' in html and "3.4× the specialty baseline" in html
    assert "Transaction Guide test, harvest 2025/26, row: all origins · 86–87.99 points · all lot sizes" in html
    assert "<svg" in html and 'class="band"' in html and 'class="c-price"' in html and 'class="lot-price"' in html
    assert "2026-01-31" in html  # the C price names its date
    assert "style=" not in html.split('id="price-premium"')[1].split("</section>")[0]


def test_flags_show_to_the_producer_but_not_to_buyers(client, producer_client, make_lot):
    SpecialtyBaseline.objects.all().delete()
    baseline(median=Decimal("4.00"))
    lot = make_lot(price=Decimal("5.0000"), price_unit="lb")
    assert lot_premium_recompute(lot_id=lot.pk).flags == ["under_2x"]
    url = reverse("lots:detail", args=[lot.pk])
    assert b"premium-flags" in producer_client.get(url).content
    assert b"premium-flags" not in client.get(url).content


def test_a_lot_without_a_computed_premium_has_no_premium_section(client, make_lot):
    lot = make_lot()
    assert not LotPremium.objects.filter(lot=lot).exists()
    assert b'id="price-premium"' not in client.get(reverse("lots:detail", args=[lot.pk])).content


def test_the_baselines_page_speaks_spanish_and_portuguese(moderator_client):
    assert (
        "Referencias y precios"
        in moderator_client.get("/pricing/baselines/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    )
    assert (
        "Referências e preços"
        in moderator_client.get("/pricing/baselines/", HTTP_ACCEPT_LANGUAGE="pt").content.decode()
    )


def test_api_refuses_numbers_for_decimals_and_an_adjustment_for_fob(api, moderator, no_broker):
    client = api(moderator)
    as_number = client.post(
        "/api/v1/pricing/incoterm-adjustments/", {"origin": "", "incoterm": "EXW", "usd_per_lb": 0.1}, format="json"
    )
    assert as_number.status_code == 400
    assert "usd_per_lb" in as_number.json()["extra"]["fields"]
    fob = client.post(
        "/api/v1/pricing/incoterm-adjustments/",
        {"origin": "BR", "incoterm": "FOB", "usd_per_lb": "0.10"},
        format="json",
    )
    assert fob.status_code == 400
    assert not IncotermAdjustment.objects.filter(incoterm="FOB").exists()
    assert client.get("/api/v1/pricing/baselines/?page_size=x").status_code == 400


def test_a_malformed_job_id_on_the_baselines_page_is_ignored(moderator_client):
    assert moderator_client.get("/pricing/baselines/?job=" + "x" * 36).status_code == 200
