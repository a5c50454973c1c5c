"""Trade pages: samples, negotiations (offer threads with htmx), contracts, quality claims.

Views parse input, call one service and render; services raise ValidationError (shown on the
form), PermissionDenied (403) or Conflict (shown as a message, the page re-rendered).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from core.decorators import role_required
from core.errors import Conflict
from lots.models import PUBLIC_STATUSES, Lot
from marketplace.negotiation import forms, selectors, services
from marketplace.negotiation.models import Negotiation, QualityClaim, SampleRequest, Side


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


PARTIES = ("producer", "roaster")
READERS = ("producer", "roaster", "moderator")


# --- Hub --------------------------------------------------------------------------------------


@role_required(*PARTIES)
def trade(request: HtmxHttpRequest) -> HttpResponse:
    user: Any = request.user
    return render(
        request,
        "negotiation/trade.html",
        {
            "negotiations": selectors.negotiations_visible_to(user)[:50],
            "samples": selectors.samples_visible_to(user)[:50],
            "orders": selectors.orders_visible_to(user)[:50],
            "sample_record": selectors.roaster_sample_record(user) if user.is_roaster else None,
            "sample_terms": selectors.sample_terms_of(user) if user.is_producer else None,
        },
    )


# --- Negotiations -----------------------------------------------------------------------------


def _public_lot(pk: int) -> Lot:
    return get_object_or_404(Lot.objects.select_related("producer", "farm"), pk=pk, status__in=PUBLIC_STATUSES)


@role_required("roaster")
def negotiation_open(request: HtmxHttpRequest, lot_id: int) -> HttpResponse:
    lot = _public_lot(lot_id)
    if request.method == "POST":
        form = forms.OfferForm(request.POST)
        if form.is_valid():
            try:
                negotiation = services.negotiation_open(lot=lot, by=request.user, **form.terms())
            except ValidationError as e:
                forms.apply_service_errors(form, e)
            except Conflict as e:
                form.add_error(None, str(e))
            else:
                messages.success(request, _("Your offer was sent to the producer."))
                return redirect("negotiation:negotiation_detail", pk=negotiation.pk)
    else:
        form = forms.OfferForm(initial=forms.OfferForm.initial_from(lot))
    return render(request, "negotiation/offer_form.html", {"lot": lot, "form": form})


def _thread_context(request: HtmxHttpRequest, negotiation: Negotiation, **extra: Any) -> dict[str, Any]:
    side = negotiation.side_of(request.user)
    my_turn = negotiation.is_active and side is not None and negotiation.turn == side
    offer = negotiation.current_offer
    ctx = {
        "negotiation": negotiation,
        "events": list(negotiation.events.all()),
        "side": side,
        "my_turn": my_turn,
        "can_withdraw": negotiation.is_active and side == Side.BUYER,
        "order": selectors.negotiation_order(negotiation),
        "counter_form": extra.pop("counter_form", None)
        or (forms.OfferForm(initial=forms.OfferForm.initial_from(offer)) if my_turn and offer else None),
        "available_kg": negotiation.lot.available_kg,
    }
    ctx.update(extra)
    return ctx


def _thread_response(request: HtmxHttpRequest, negotiation: Negotiation, **extra: Any) -> HttpResponse:
    fresh = selectors.negotiation_for(user=request.user, pk=negotiation.pk)
    template = "negotiation/partials/thread.html" if request.htmx else "negotiation/negotiation_detail.html"
    return render(request, template, _thread_context(request, fresh, **extra))


@role_required(*READERS)
def negotiation_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    negotiation = selectors.negotiation_for(user=request.user, pk=pk)
    ctx = _thread_context(request, negotiation)
    if request.htmx:
        # The waiting party's thread polls this, so the other side's move shows up by itself.
        return render(request, "negotiation/partials/thread.html", ctx)
    if request.user.pk == negotiation.seller_id:
        ctx["buyer_record"] = selectors.roaster_sample_record(negotiation.buyer)
    return render(request, "negotiation/negotiation_detail.html", ctx)


def _after_move(request: HtmxHttpRequest, negotiation: Negotiation, error: str = "", **extra: Any) -> HttpResponse:
    if request.htmx:
        return _thread_response(request, negotiation, error=error, **extra)
    if error:
        messages.error(request, error)
    return redirect("negotiation:negotiation_detail", pk=negotiation.pk)


@require_POST
@role_required(*PARTIES)
def negotiation_counter(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    negotiation = selectors.negotiation_for(user=request.user, pk=pk)
    form = forms.OfferForm(request.POST)
    if form.is_valid():
        try:
            services.negotiation_counter(negotiation=negotiation, by=request.user, **form.terms())
        except ValidationError as e:
            forms.apply_service_errors(form, e)
        except Conflict as e:
            return _after_move(request, negotiation, error=str(e))
        else:
            return _after_move(request, negotiation)
    if request.htmx:
        return _thread_response(request, negotiation, counter_form=form)
    return render(
        request, "negotiation/negotiation_detail.html", _thread_context(request, negotiation, counter_form=form)
    )


@require_POST
@role_required(*PARTIES)
def negotiation_accept(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    negotiation = selectors.negotiation_for(user=request.user, pk=pk)
    try:
        order = services.negotiation_accept(negotiation=negotiation, by=request.user)
    except Conflict as e:
        return _after_move(request, negotiation, error=str(e))
    messages.success(request, _("Accepted. Here is your contract."))
    url = services.order_url(order)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@require_POST
@role_required(*PARTIES)
def negotiation_reject(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    negotiation = selectors.negotiation_for(user=request.user, pk=pk)
    form = forms.NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.negotiation_reject(negotiation=negotiation, by=request.user, note=note)
    except Conflict as e:
        return _after_move(request, negotiation, error=str(e))
    return _after_move(request, negotiation)


@require_POST
@role_required("roaster")
def negotiation_withdraw(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    negotiation = selectors.negotiation_for(user=request.user, pk=pk)
    form = forms.NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.negotiation_withdraw(negotiation=negotiation, by=request.user, note=note)
    except Conflict as e:
        return _after_move(request, negotiation, error=str(e))
    return _after_move(request, negotiation)


# --- Samples ----------------------------------------------------------------------------------


@role_required("roaster")
def sample_request(request: HtmxHttpRequest, lot_id: int) -> HttpResponse:
    lot = _public_lot(lot_id)
    terms = selectors.sample_terms_of(lot.producer)
    if request.method == "POST":
        form = forms.SampleRequestForm(request.POST)
        if form.is_valid():
            try:
                sample = services.sample_request(lot=lot, by=request.user, **form.cleaned_data)
            except ValidationError as e:
                forms.apply_service_errors(form, e)
            except Conflict as e:
                form.add_error(None, str(e))
            else:
                messages.success(request, _("Your sample request was sent to the producer."))
                return redirect("negotiation:sample_detail", pk=sample.pk)
    else:
        form = forms.SampleRequestForm()
    return render(request, "negotiation/sample_form.html", {"lot": lot, "form": form, "terms": terms})


def _sample_page(request: HtmxHttpRequest, sample: SampleRequest, **forms_: Any) -> HttpResponse:
    is_producer = request.user.pk == sample.producer_id
    is_roaster = request.user.pk == sample.roaster_id
    ctx = {
        "sample": sample,
        "is_producer": is_producer,
        "is_roaster": is_roaster,
        "roaster_record": selectors.roaster_sample_record(sample.roaster),
        "decline_form": forms_.get("decline_form") or forms.SampleDeclineForm(),
        "ship_form": forms_.get("ship_form") or forms.ShipForm(),
        "feedback_form": forms_.get("feedback_form") or forms.SampleFeedbackForm(),
    }
    return render(request, "negotiation/sample_detail.html", ctx)


@role_required(*READERS)
def sample_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _sample_page(request, selectors.sample_for(user=request.user, pk=pk))


SAMPLE_ACTIONS = {
    "accept": (None, lambda s, u, d: services.sample_accept(sample=s, by=u)),
    "decline": (forms.SampleDeclineForm, lambda s, u, d: services.sample_decline(sample=s, by=u, reason=d["reason"])),
    "ship": (forms.ShipForm, lambda s, u, d: services.sample_ship(sample=s, by=u, **d)),
    "arrived": (None, lambda s, u, d: services.sample_confirm_arrival(sample=s, by=u)),
    "feedback": (
        forms.SampleFeedbackForm,
        lambda s, u, d: services.sample_feedback(
            sample=s,
            by=u,
            score=d.get("feedback_score"),
            notes=d.get("feedback_notes", ""),
            cupping_sheet_id=d.get("cupping_sheet_id"),
        ),
    ),
}


@require_POST
@role_required(*PARTIES)
def sample_action(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in SAMPLE_ACTIONS:
        raise Http404
    sample = selectors.sample_for(user=request.user, pk=pk)
    form_class, call = SAMPLE_ACTIONS[action]
    form = form_class(request.POST) if form_class else None
    data: dict[str, Any] = {}
    if form is not None:
        if not form.is_valid():
            return _sample_page(request, sample, **{f"{action}_form": form})
        data = form.cleaned_data
    try:
        call(sample, request.user, data)
    except ValidationError as e:
        if form is None:
            raise
        forms.apply_service_errors(form, e)
        return _sample_page(request, sample, **{f"{action}_form": form})
    except Conflict as e:
        messages.error(request, str(e))
    return redirect("negotiation:sample_detail", pk=sample.pk)


@role_required("producer")
def sample_terms(request: HtmxHttpRequest) -> HttpResponse:
    terms = selectors.sample_terms_of(request.user)
    if request.method == "POST":
        form = forms.SampleTermsForm(request.POST)
        if form.is_valid():
            try:
                services.sample_terms_set(producer=request.user, **form.cleaned_data)
            except ValidationError as e:
                forms.apply_service_errors(form, e)
            else:
                messages.success(request, _("Your sample price is saved."))
                return redirect("negotiation:trade")
    else:
        form = forms.SampleTermsForm(initial={"fee": terms.fee, "currency": terms.currency} if terms else None)
    return render(request, "negotiation/sample_terms.html", {"form": form})


# --- Orders -----------------------------------------------------------------------------------


def _order_page(request: HtmxHttpRequest, pk: int, **forms_: Any) -> HttpResponse:
    order = selectors.order_for(user=request.user, pk=pk)
    lot = order.lot
    ctx = {
        "order": order,
        "lot": lot,
        "evidence": selectors.lot_evidence_summary(lot),
        "is_buyer": request.user.pk == order.buyer_id,
        "is_seller": request.user.pk == order.seller_id,
        "claim_deadline": services.claim_deadline(order),
        "claim_window_open": services.claim_window_open(order),
        "ship_form": forms_.get("ship_form") or forms.OrderShipForm(),
        "claim_form": forms_.get("claim_form") or forms.ClaimForm(),
        "cancel_form": forms_.get("cancel_form") or forms.CancelForm(),
    }
    return render(request, "negotiation/order_detail.html", ctx)


@role_required(*READERS)
def order_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _order_page(request, pk)


@require_POST
@role_required("producer")
def order_ship(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for(user=request.user, pk=pk)
    form = forms.OrderShipForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.order_ship(order=order, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            forms.apply_service_errors(form, e)
        except Conflict as e:
            messages.error(request, str(e))
            return redirect("negotiation:order_detail", pk=pk)
        else:
            messages.success(request, _("Shipment recorded."))
            return redirect("negotiation:order_detail", pk=pk)
    return _order_page(request, pk, ship_form=form)


@require_POST
@role_required("roaster")
def order_delivered(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for(user=request.user, pk=pk)
    try:
        services.order_confirm_delivery(order=order, by=request.user)
    except Conflict as e:
        messages.error(request, str(e))
    return redirect("negotiation:order_detail", pk=pk)


@require_POST
@role_required("roaster")
def order_claim(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for(user=request.user, pk=pk)
    form = forms.ClaimForm(request.POST)
    if form.is_valid():
        try:
            services.claim_open(order=order, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            forms.apply_service_errors(form, e)
        except Conflict as e:
            messages.error(request, str(e))
            return redirect("negotiation:order_detail", pk=pk)
        else:
            messages.success(request, _("Your claim went to the moderators."))
            return redirect("negotiation:order_detail", pk=pk)
    return _order_page(request, pk, claim_form=form)


@require_POST
@role_required(*PARTIES)
def order_cancel(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for(user=request.user, pk=pk)
    form = forms.CancelForm(request.POST)
    if form.is_valid():
        try:
            services.order_cancel(order=order, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as e:
            forms.apply_service_errors(form, e)
        except Conflict as e:
            messages.error(request, str(e))
            return redirect("negotiation:order_detail", pk=pk)
        else:
            return redirect("negotiation:order_detail", pk=pk)
    return _order_page(request, pk, cancel_form=form)


@role_required(*READERS)
def order_document(request: HtmxHttpRequest, pk: int, doc_id: int) -> HttpResponse:
    order = selectors.order_for(user=request.user, pk=pk)
    doc = get_object_or_404(order.documents.all(), pk=doc_id)
    response = FileResponse(doc.file.open("rb"), content_type=doc.content_type, as_attachment=True, filename=doc.name)
    response["X-Content-Type-Options"] = "nosniff"
    return cast(HttpResponse, response)  # a streaming response; the decorators' type says HttpResponse


# --- Quality claims (moderators) --------------------------------------------------------------


@role_required("moderator")
def claims(request: HtmxHttpRequest) -> HttpResponse:
    # One prefixed form per claim, so field ids stay unique on the page.
    rows = [(claim, forms.ClaimResolveForm(prefix=f"c{claim.pk}")) for claim in selectors.open_claims()]
    return render(request, "negotiation/claims.html", {"rows": rows, "resolved": selectors.recent_claims()})


@require_POST
@role_required("moderator")
def claim_resolve(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(QualityClaim.objects.select_related("order"), pk=pk)
    form = forms.ClaimResolveForm(request.POST, prefix=f"c{pk}")
    error = ""
    if form.is_valid():
        try:
            claim = services.claim_resolve(
                claim=claim,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["resolution"],
            )
        except ValidationError as e:
            forms.apply_service_errors(form, e)
        except Conflict as e:
            error = str(e)
    template = "negotiation/partials/claim_row.html"
    ctx = {"claim": claim, "form": form if form.errors else forms.ClaimResolveForm(prefix=f"c{pk}"), "error": error}
    if request.htmx:
        return render(request, template, ctx)
    if error or form.errors:
        messages.error(request, error or _("Choose an outcome and give a reason."))
    return redirect("negotiation:claims")


# --- The lot page's trade section -------------------------------------------------------------


def lot_section_context(request: HttpRequest, lot: Any) -> dict[str, Any] | None:
    if not getattr(lot, "is_public", False):
        return None
    return selectors.lot_trade_context(user=request.user, lot=lot)


def panel_context(request: HttpRequest) -> dict[str, Any]:
    """The dashboard panel: what waits for this user's answer."""
    return selectors.trade_panel(request.user)
