"""Moderator pages for baselines, the C series, rates and FOB adjustments; the lot page section."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.decorators import role_required
from core.models import Job
from marketplace.pricing import selectors
from marketplace.pricing.chart import price_chart
from marketplace.pricing.forms import FORMS, CsvImportForm
from marketplace.pricing.services import (
    CSV_COLUMNS,
    SWEEP_JOB_KIND,
    TABLES,
    csv_import,
    reference_delete,
    reference_save,
    sweep_start,
)

MODERATOR = "moderator"
RATES_SHOWN = 200  # the newest; the API lists them all


def _kind(kind: str) -> str:
    if kind not in TABLES:
        raise Http404
    return kind


def _titles() -> dict[str, str]:
    return {
        "baseline": _("Specialty baselines"),
        "cprice": _("ICE “C” arabica price"),
        "rate": _("Exchange rates"),
        "adjustment": _("Incoterm adjustments to FOB"),
    }


@role_required(MODERATOR)
def baselines(request: HttpRequest) -> HttpResponse:
    try:
        job_id = uuid.UUID(request.GET.get("job", ""))
    except ValueError:
        job_id = None
    job = Job.objects.filter(kind=SWEEP_JOB_KIND, pk=job_id).first() if job_id else None
    if job is None:
        job = Job.objects.filter(kind=SWEEP_JOB_KIND).order_by("-created_at").first()
    context = {
        "baselines": selectors.baselines(),
        "c_prices": selectors.c_prices(),
        "rates": selectors.exchange_rates().order_by("-valid_on", "currency")[:RATES_SHOWN],
        "adjustments": selectors.incoterm_adjustments(),
        "job": job,
        "import_form": CsvImportForm(),
        "csv_columns": {kind: ", ".join(cols) for kind, (cols, _key) in CSV_COLUMNS.items()},
        "titles": _titles(),
    }
    return render(request, "pricing/baselines.html", context)


@role_required(MODERATOR)
def row_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    model = TABLES[_kind(kind)][0]
    instance = get_object_or_404(model, pk=pk) if pk is not None else None
    form = FORMS[kind](request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            reference_save(kind=kind, by=request.user, data=form.cleaned_data, instance=instance)
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {None: exc.messages}).items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("Saved. Premiums are being recomputed."))
            return redirect("pricing:baselines")
    context = {"form": form, "kind": kind, "instance": instance, "title": _titles()[kind]}
    return render(request, "pricing/edit.html", context, status=400 if form.errors else 200)


@require_POST
@role_required(MODERATOR)
def row_delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = TABLES[_kind(kind)][0]
    reference_delete(kind=kind, by=request.user, instance=get_object_or_404(model, pk=pk))
    messages.success(request, _("Deleted."))
    return redirect("pricing:baselines")


@role_required(MODERATOR)
def csv_upload(request: HttpRequest, kind: str) -> HttpResponse:
    _kind(kind)
    form = CsvImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            count = csv_import(kind=kind, by=request.user, data=form.cleaned_data["file"].read())
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("%(count)s rows imported.") % {"count": count})
            return redirect("pricing:baselines")
    context = {
        "form": form,
        "kind": kind,
        "title": _titles()[kind],
        "errors": errors,
        "columns": ", ".join(CSV_COLUMNS[kind][0]),
    }
    return render(request, "pricing/import.html", context, status=400 if (errors or form.errors) else 200)


@require_POST
@role_required(MODERATOR)
def sweep(request: HttpRequest) -> HttpResponse:
    job = sweep_start(by=request.user, reason="started by a moderator")
    if getattr(request, "htmx", False):
        return render(request, "core/partials/job_progress.html", {"job": job})
    return redirect(f"{reverse('pricing:baselines')}?job={job.pk}")


def lot_section_context(request: HttpRequest, lot: Any) -> dict[str, Any] | None:
    """The lot page's premium section: a badge and the price chart (None hides the section)."""
    premium = selectors.lot_premium(lot.pk)
    if premium is None:
        return None
    c_price = selectors.latest_c_price()
    band = None
    if premium.band_baseline is not None:
        b = premium.band_baseline
        band = (b.p25, b.median, b.p75)
    chart = price_chart(
        fob=premium.fob_usd_per_lb,
        baseline_median=premium.baseline_median,
        band=band,
        c_price=c_price.usd_per_lb if c_price else None,
    )
    ratio = premium.premium_ratio
    tone = ""
    if ratio is not None:
        tone = "bad" if premium.flags else ("ok" if ratio >= 2 else "warn")
    user = request.user
    show_flags = user.is_authenticated and (getattr(user, "role", None) == MODERATOR or user.pk == lot.producer_id)
    return {
        "premium": premium,
        "chart": chart,
        "c_price": c_price,
        "tone": tone,
        "show_flags": show_flags,
    }
