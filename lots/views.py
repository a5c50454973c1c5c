"""Browser pages for farms, plots, lots, photos, custody and the public catalogue."""

from __future__ import annotations

import csv
import hashlib
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from core.decorators import role_required
from core.errors import Conflict
from core.money import KG_PER_LB, quantize_price
from core.registry import lot_hold_reason, lot_sections_for
from lots import conf, geo, selectors, services
from lots.forms import (
    CatalogueFilterForm,
    CustodyEventForm,
    FarmForm,
    LotForm,
    PhotoUploadForm,
    PlotForm,
    TransitionForm,
)
from lots.geo import geometry_centre
from lots.models import CustodyDocument, Farm, Lot, LotPhoto, LotStatus, Plot


def apply_errors(form: Any, exc: ValidationError) -> None:
    """Show a service's ValidationError next to the field it names (or at the top)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


# --- catalogue ----------------------------------------------------------------------------------


def _page_size(request: HttpRequest) -> int:
    raw = request.GET.get("page_size", "")
    if raw.isdigit():
        return max(1, min(int(raw), conf.CATALOGUE_MAX_PAGE_SIZE))
    return conf.CATALOGUE_PAGE_SIZE


def catalogue(request: HttpRequest) -> HttpResponse:
    form = CatalogueFilterForm(request.GET or None)
    filters = form.filters() if request.GET else selectors.CatalogueFilters()
    page = Paginator(selectors.catalogue(filters), _page_size(request)).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "lots": page.object_list,
        "query": params.urlencode(),
        "csv_query": params.urlencode(),
    }
    template = "lots/partials/catalogue_results.html" if getattr(request, "htmx", False) else "lots/catalogue.html"
    return render(request, template, context)


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # Spreadsheet formula injection: a cell must never start with a formula character.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
    "lot_code",
    "name",
    "producer",
    "country",
    "region",
    "farm",
    "variety",
    "process",
    "additives",
    "harvest_year",
    "weight_kg",
    "classification",
    "price",
    "currency",
    "price_unit",
    "incoterm",
    "incoterm_place",
    "price_usd_per_kg",
    "price_usd_per_lb",
    "official_score",
    "premium_ratio",
    "verified",
    "tags",
    "url",
]


def offer_list_rows(lots: Any, base_url: str) -> Any:
    yield CSV_HEADER
    for lot in lots:
        country, region = selectors.origin_of(lot)
        profile = getattr(lot.producer, "producer_profile", None)
        yield [
            _csv_cell(v)
            for v in (
                lot.code,
                lot.name,
                profile.organisation if profile else lot.producer.display_name,
                country,
                region,
                lot.farm.name if lot.farm else "",
                lot.variety.name if lot.variety else lot.variety_as_declared,
                lot.get_process_display(),
                lot.additives,
                lot.harvest_year,
                lot.weight_kg,
                lot.classification,
                lot.price,
                lot.currency,
                lot.price_unit,
                lot.incoterm,
                lot.incoterm_place,
                lot.price_usd_per_kg,
                lot.price_usd_per_lb,
                lot.official_score,
                lot.premium_ratio,
                lot.verified_badge or "",
                " ".join(t.tag for t in lot.tags.all()),
                base_url + reverse("lots:detail", args=[lot.pk]),
            )
        ]


def catalogue_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The importer-style offer list: the catalogue with the current filters, as CSV."""
    form = CatalogueFilterForm(request.GET or None)
    filters = form.filters() if request.GET else selectors.CatalogueFilters()
    lots = selectors.catalogue(filters)[: conf.CSV_MAX_ROWS]
    writer = csv.writer(_Echo())
    base = request.build_absolute_uri("/").rstrip("/")
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in offer_list_rows(lots.iterator(chunk_size=500), base)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="offer-list.csv"'
    return response


# --- lot page -----------------------------------------------------------------------------------


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    lot = selectors.lot_detail(request.user, pk)
    if lot is None:
        raise Http404
    private = selectors.can_see_private(request.user, lot)
    events = selectors.custody_events(lot)
    chain = selectors_verify(lot, events)
    plots = [{"plot": p, "centre": geometry_centre(p.geometry)} for p in lot.plots.all()]
    country, region = selectors.origin_of(lot)
    context = {
        "lot": lot,
        "private": private,
        "is_owner": request.user.is_authenticated and request.user.pk == lot.producer_id,
        "events": events,
        "chain": chain,
        "plots": plots,
        "country": country,
        "region": region,
        "photos": list(lot.photos.all()),
        "sections": lot_sections_for(request, lot),
        "variety_note": services.variety_note(lot),
        # An open auction freezes the lot's weight, price and status: the owner's page says so
        # (and offers no withdraw button); moderators see it too.
        "held": lot_hold_reason(lot.pk) if private else None,
        "price_per_lb": quantize_price(lot.price * KG_PER_LB) if lot.price_unit == "kg" else None,
        "price_per_kg": quantize_price(lot.price / KG_PER_LB) if lot.price_unit == "lb" else None,
    }
    return render(request, "lots/detail.html", context)


def selectors_verify(lot: Lot, events: list[Any]) -> Any:
    from lots.custody import anchors_for, verify_events

    return verify_events(events, anchors_for(lot.pk))


def passport(request: HttpRequest, pk: int) -> HttpResponse:
    lot = selectors.lot_detail(request.user, pk)
    if lot is None:
        raise Http404
    response = HttpResponse(geo.dumps(selectors.passport(lot), indent=1), content_type="application/geo+json")
    response["Content-Disposition"] = f'attachment; filename="passport-lot-{lot.pk}.geojson"'
    return response


PHOTO_SIZES = ("thumb", "medium", "large", "image")


def photo(request: HttpRequest, pk: int, size: str) -> HttpResponse | FileResponse:
    """Serve a sanitized photo (or its derivative), for public lots or their owner and moderators."""
    if size not in PHOTO_SIZES:
        raise Http404
    item = LotPhoto.objects.select_related("lot").filter(pk=pk).first()
    if item is None or not (item.lot.is_public or selectors.can_see_private(request.user, item.lot)):
        raise Http404
    # Until the Celery task has made the derivative, the sanitized image stands in for it.
    field = getattr(item, size) or item.image
    public = item.lot.is_public
    # Every use revalidates (no-cache): a lot that goes private must stop showing its photos at
    # once, in browsers and shared caches alike. The ETag (the stored file's random name) keeps a
    # revalidation to a 304 without the bytes; it is checked only after the permission above.
    etag = f'"{hashlib.sha256(str(field.name).encode()).hexdigest()[:32]}"'
    response: HttpResponse | FileResponse
    if public and etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        response = FileResponse(field.open("rb"), content_type="image/jpeg")
        response["X-Content-Type-Options"] = "nosniff"
    if public:
        response["ETag"] = etag
        response["Cache-Control"] = "public, no-cache"
    else:
        response["Cache-Control"] = "private, no-store"
    return response


def custody_document(request: HttpRequest, pk: int) -> FileResponse:
    doc = get_object_or_404(CustodyDocument.objects.select_related("event__lot"), pk=pk)
    if not selectors.can_see_private(request.user, doc.event.lot):
        raise Http404
    response = FileResponse(
        doc.file.open("rb"), as_attachment=True, filename=doc.name, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- producer pages -----------------------------------------------------------------------------

producer_required = role_required(Role.PRODUCER)


@producer_required
def mine(request: HttpRequest) -> HttpResponse:
    farms = list(selectors.producer_farms(request.user))
    lots = list(selectors.producer_lots(request.user).annotate(n_photos=Count("photos", distinct=True)))
    return render(request, "lots/mine.html", {"farms": farms, "lots": lots})


@producer_required
def farm_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    farm = get_object_or_404(Farm, pk=pk, producer=request.user) if pk else None
    initial = {f: getattr(farm, f) for f in services.FARM_FIELDS} if farm else {}
    form = FarmForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if farm is None:
                farm = services.farm_create(producer=request.user, data=form.cleaned_data)
            else:
                services.farm_update(farm=farm, by=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Farm saved."))
            return redirect("lots:mine")
    status = 400 if form.errors else 200
    return render(request, "lots/farm_form.html", {"form": form, "farm": farm}, status=status)


@producer_required
def plot_form(request: HttpRequest, farm_pk: int | None = None, pk: int | None = None) -> HttpResponse:
    plot = get_object_or_404(Plot.objects.select_related("farm"), pk=pk, farm__producer=request.user) if pk else None
    farm = plot.farm if plot else get_object_or_404(Farm, pk=farm_pk, producer=request.user)
    initial: dict[str, Any] = {}
    if plot:
        initial = {f: getattr(plot, f) for f in ("name", "region", "altitude_masl", "area_ha")}
        initial["geometry"] = geo.dumps(plot.geometry) if plot.geometry else ""
        initial["varieties"] = ", ".join(v.name for v in plot.varieties.all())
    form = PlotForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if plot is None:
                services.plot_create(farm=farm, by=request.user, data=form.service_data())
            else:
                services.plot_update(plot=plot, by=request.user, data=form.service_data())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Plot saved."))
            return redirect("lots:mine")
    status = 400 if form.errors else 200
    return render(request, "lots/plot_form.html", {"form": form, "farm": farm, "plot": plot}, status=status)


def _own_lot(request: HttpRequest, pk: int) -> Lot:
    return get_object_or_404(Lot, pk=pk, producer=request.user)


@producer_required
def lot_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    lot = _own_lot(request, pk) if pk else None
    initial: dict[str, Any] = {}
    if lot is not None:
        initial = {name: getattr(lot, name) for name in services.SCALAR_FIELDS}
        initial.update(
            version=lot.version,
            variety=lot.variety_as_declared or (lot.variety.name if lot.variety else ""),
            farm=lot.farm_id,
            plots=list(lot.plots.values_list("pk", flat=True)),
            group_members=list(lot.group_members.values_list("pk", flat=True)),
        )
    form = LotForm(request.POST or None, initial=initial, producer=request.user)
    conflict = held = False
    if request.method == "POST" and form.is_valid():
        try:
            if lot is None:
                lot = services.lot_create(producer=request.user, data=form.service_data())
            else:
                services.lot_update(
                    lot=lot,
                    by=request.user,
                    data=form.service_data(),
                    expected_version=form.cleaned_data.get("version"),
                )
        except Conflict as exc:
            # A stale version, or trade terms frozen while an auction holds the lot.
            held = bool(exc.extra.get("held"))
            conflict = not held
            form.add_error(None, str(exc))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Lot saved."))
            return redirect("lots:detail", pk=lot.pk)
    status = 409 if conflict or held else 400 if form.errors else 200
    context = {"form": form, "lot": lot, "conflict": conflict, "variety_names": form.variety_names}
    return render(request, "lots/lot_form.html", context, status=status)


@require_POST
@producer_required
def lot_transition(request: HttpRequest, pk: int) -> HttpResponse:
    lot = _own_lot(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid action."))
        return redirect("lots:detail", pk=lot.pk)
    try:
        services.lot_transition(
            lot=lot, to=form.cleaned_data["to"], by=request.user, reason=form.cleaned_data["reason"]
        )
    except (ValidationError, Conflict, PermissionDenied) as exc:
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
    else:
        labels = {
            LotStatus.LISTED: _("The lot is listed in the catalogue."),
            LotStatus.DRAFT: _("The lot is a draft again."),
            LotStatus.WITHDRAWN: _("The lot was withdrawn."),
        }
        messages.success(request, labels.get(form.cleaned_data["to"], _("Status changed.")))
    return redirect("lots:detail", pk=lot.pk)


@require_POST
@producer_required
def variety_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The producer answers "Did you mean Pink Bourbon?": accept the match or keep their name."""
    lot = _own_lot(request, pk)
    answer = request.POST.get("answer", "")
    version = request.POST.get("version", "")
    try:
        services.lot_update(
            lot=lot,
            by=request.user,
            data={"variety_match": answer},
            expected_version=int(version) if version.isascii() and version.isdigit() else None,
        )
    except Conflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Variety saved."))
    return redirect("lots:detail", pk=lot.pk)


@require_http_methods(["GET", "POST"])
@producer_required
def lot_photos(request: HttpRequest, pk: int) -> HttpResponse:
    lot = _own_lot(request, pk)
    form = PhotoUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploads = [
            services.PhotoUpload(
                data=f.read(), kind=form.cleaned_data["kind"], caption=form.cleaned_data["caption"], name=f.name
            )
            for f in form.cleaned_data["photos"]
        ]
        try:
            photos = services.photos_add(lot=lot, by=request.user, uploads=uploads)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("%(n)s photo(s) added.") % {"n": len(photos)})
            return redirect("lots:photos", pk=lot.pk)
    status = 400 if form.errors else 200
    return render(
        request, "lots/photos.html", {"form": form, "lot": lot, "photos": list(lot.photos.all())}, status=status
    )


@require_POST
@producer_required
def photo_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(LotPhoto, pk=pk, lot__producer=request.user)
    lot_id = item.lot_id
    services.photo_remove(photo=item, by=request.user)
    messages.success(request, _("Photo removed."))
    return redirect("lots:photos", pk=lot_id)


@require_http_methods(["GET", "POST"])
@producer_required
def custody_add(request: HttpRequest, pk: int) -> HttpResponse:
    lot = _own_lot(request, pk)
    form = CustodyEventForm(request.POST or None, request.FILES or None, lot=lot)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        docs = [services.DocumentUpload(name=f.name, data=f.read()) for f in data.pop("documents")]
        try:
            event = services.custody_event_add(lot=lot, by=request.user, documents=docs, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Custody event #%(seq)s recorded.") % {"seq": event.seq})
            if "another" in request.POST:
                return redirect("lots:custody_add", pk=lot.pk)
            return redirect(reverse("lots:detail", args=[lot.pk]) + "#custody")
    status = 400 if form.errors else 200
    events = selectors.custody_events(lot)
    return render(request, "lots/custody_form.html", {"form": form, "lot": lot, "events": events}, status=status)


def dashboard_panel(request: HttpRequest) -> dict[str, Any]:
    """Context of the producer's dashboard panel: farms, plots and lots with their status."""
    user = request.user
    farms = list(selectors.producer_farms(user))
    lots = list(selectors.producer_lots(user)[:10])
    counts = dict(
        Lot.objects.filter(producer=user)  # type: ignore[misc]
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {
        "farms": farms,
        "plot_count": sum(len(f.plots.all()) for f in farms),
        "lots": lots,
        "status_counts": [(LotStatus(s).label, n) for s, n in sorted(counts.items())],
        "drafts": counts.get(LotStatus.DRAFT, 0),
    }
