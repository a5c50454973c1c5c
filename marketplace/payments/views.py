"""Pages: the payments overview per role, checkout, return page, payment detail (the contract's
fee line and what the producer receives), moderator refunds and bank-transfer receipts."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.decorators import role_required
from core.errors import Conflict
from marketplace.payments import conf, providers, selectors, services
from marketplace.payments.forms import LotTermsForm, OpenForm, ReceivedForm, RefundForm
from marketplace.payments.models import LotPaymentTerms, Payment, PaymentMode
from marketplace.payments.payables import payment_mode_for, subject_summary


def _error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def _payment_or_404(request: HttpRequest, public_id: Any) -> Payment:
    try:
        return selectors.payment_for(request.user, public_id)
    except Payment.DoesNotExist as exc:
        raise Http404 from exc


@role_required("roaster", "producer", "moderator")
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {
        "payments": selectors.payments_for(user)[:100],
        "offline": not providers.stripe_enabled(),
    }
    if user.is_roaster:  # type: ignore[union-attr]
        context["dues"] = selectors.dues_for(user)
    if user.is_producer or user.is_moderator:  # type: ignore[union-attr]
        context["ledger"] = selectors.ledger_for(user)[:100]
        context["balances"] = selectors.ledger_balances(user) if user.is_producer else {}  # type: ignore[union-attr]
    if user.is_moderator:  # type: ignore[union-attr]
        context["transfers"] = selectors.pending_transfers()
        context["refund_candidates"] = selectors.refunds_to_consider()
    return render(request, "payments/index.html", context)


@require_POST
@role_required("roaster")
def open_payment(request: HttpRequest) -> HttpResponse:
    form = OpenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That payment could not be opened."))
        return redirect("payments:index")
    try:
        payment = services.payment_open(
            by=request.user,
            subject_kind=form.cleaned_data["subject_kind"],
            subject_id=form.cleaned_data["subject_id"],
            kind=form.cleaned_data["kind"] or None,
        )
    except (ValidationError, Conflict) as exc:
        messages.error(request, _error_text(exc) if isinstance(exc, ValidationError) else str(exc))
        return redirect("payments:index")
    return redirect("payments:checkout", public_id=payment.public_id)


@login_required
def checkout(request: HttpRequest, public_id: Any) -> HttpResponse:
    payment = _payment_or_404(request, public_id)
    if payment.payer_id != request.user.pk:
        raise PermissionDenied
    if payment.is_settled:
        return redirect("payments:detail", public_id=payment.public_id)
    context = {
        "payment": payment,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "publishable_key": providers.publishable_key(),
        "bank_details": conf.BANK_TRANSFER_DETAILS,
        "confirm_url": reverse("payments:confirm", args=[payment.public_id]),
        "return_url": reverse("payments:return", args=[payment.public_id]),
    }
    return render(request, "payments/checkout.html", context)


@require_POST
@login_required
def confirm(request: HttpRequest, public_id: Any) -> JsonResponse:
    """Called by checkout.js with the PaymentMethod Stripe.js created; charges it server-side."""
    payment = _payment_or_404(request, public_id)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = {}
    method = body.get("payment_method") if isinstance(body, dict) else None
    return_url = reverse("payments:return", args=[payment.public_id])
    try:
        updated, result = services.payment_attempt_start(payment=payment, by=request.user, payment_method=method or "")
    except PermissionDenied:
        return JsonResponse({"status": "error", "message": _("Only the buyer pays.")}, status=403)
    except Conflict as exc:
        return JsonResponse({"status": "error", "message": str(exc), "redirect": return_url}, status=409)
    except ValidationError as exc:
        return JsonResponse({"status": "failed", "message": _error_text(exc)}, status=400)
    # A repeat while the first attempt is live (another tab) gets that attempt's answer back.
    data: dict[str, Any] = {
        "status": result.status,
        "attempt": updated.attempts,
        "redirect": f"{return_url}?payment_intent={result.intent_id}",
    }
    if result.status == providers.IntentStatus.REQUIRES_ACTION:
        data["client_secret"] = result.client_secret
    if result.status == providers.IntentStatus.FAILED:
        data["message"] = result.error or _("The payment failed.")
    elif result.error:
        data["message"] = result.error
    return JsonResponse(data)


@require_GET
@login_required
def return_page(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Where the browser lands after paying: confirm with Stripe, as the webhook would."""
    payment = _payment_or_404(request, public_id)
    intent_id = request.GET.get("payment_intent", "")[:255]
    try:
        payment = services.payment_sync(payment=payment, by=request.user, intent_id=intent_id)
    except providers.ProviderError as exc:
        messages.warning(request, exc.message)
    return render(request, "payments/return.html", {"payment": payment})


@login_required
def detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    payment = _payment_or_404(request, public_id)
    return render(request, "payments/detail.html", _detail_context(request, payment))


def _detail_context(request: HttpRequest, payment: Payment, **forms: Any) -> dict[str, Any]:
    is_mod = bool(getattr(request.user, "is_moderator", False))
    return {
        "payment": payment,
        "refunds": payment.refunds.all(),
        "transfers": payment.transfers.select_related("received_by") if is_mod else payment.transfers.all(),
        "ledger": payment.payout_entries.all() if (is_mod or payment.payee_id == request.user.pk) else [],
        "is_moderator": is_mod,
        "refund_form": forms.get("refund_form") or RefundForm(initial={"amount": payment.refundable}),
        "received_form": forms.get("received_form") or ReceivedForm(initial={"amount": payment.amount_due}),
        "bank_details": conf.BANK_TRANSFER_DETAILS,
        "subject": subject_summary(payment.subject_kind, payment.subject_id),
    }


@require_POST
@role_required("moderator")
def refund(request: HttpRequest, public_id: Any) -> HttpResponse:
    payment = _payment_or_404(request, public_id)
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            services.refund_create(
                payment=payment, by=request.user, amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            for message in exc.message_dict.get("amount", exc.messages) if hasattr(exc, "error_dict") else exc.messages:
                form.add_error("amount", message)
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Refund recorded."))
            return redirect("payments:detail", public_id=payment.public_id)
    payment.refresh_from_db()
    return render(request, "payments/detail.html", _detail_context(request, payment, refund_form=form), status=400)


@require_POST
@role_required("moderator")
def received(request: HttpRequest, public_id: Any) -> HttpResponse:
    payment = _payment_or_404(request, public_id)
    form = ReceivedForm(request.POST)
    if form.is_valid():
        try:
            services.payment_mark_received(
                payment=payment,
                by=request.user,
                amount=form.cleaned_data["amount"],
                reference=form.cleaned_data["reference"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("amount", message)
        except Conflict as exc:
            # Shown as a page message: once nothing is due the form itself is no longer shown.
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Bank transfer recorded as received."))
            return redirect("payments:detail", public_id=payment.public_id)
    payment.refresh_from_db()
    return render(request, "payments/detail.html", _detail_context(request, payment, received_form=form), status=400)


@require_POST
@role_required("producer")
def lot_terms(request: HttpRequest, lot_id: int) -> HttpResponse:
    from lots.models import Lot

    lot = get_object_or_404(Lot, pk=lot_id, producer=request.user)
    form = LotTermsForm(request.POST)
    if form.is_valid():
        services.lot_terms_set(lot=lot, by=request.user, mode=form.cleaned_data["mode"])
        messages.success(request, _("Payment terms saved."))
    else:
        messages.error(request, _("Choose deposit or full payment."))
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("payments:index")


def lot_terms_section(request: HttpRequest, lot: Any) -> dict[str, Any] | None:
    """The lot page's payment terms: a form for its producer, one line for everyone else."""
    mode = payment_mode_for(lot)
    is_owner = getattr(request.user, "pk", None) == lot.producer_id
    return {
        "lot": lot,
        "mode": mode,
        "mode_label": PaymentMode(mode).label,
        "deposit": mode == PaymentMode.DEPOSIT,
        "deposit_percent": conf.DEPOSIT_PERCENT,
        "form": LotTermsForm(initial={"mode": mode}) if is_owner else None,
        "next": request.get_full_path(),
        "has_terms": LotPaymentTerms.objects.filter(lot=lot).exists(),
    }


def panel_context(request: HttpRequest) -> dict[str, Any]:
    """Dashboard: what a roaster owes, a producer's payout balance, a moderator's transfers to confirm."""
    user = request.user
    return {
        "dues": selectors.dues_for(user) if getattr(user, "is_roaster", False) else [],
        "balances": selectors.ledger_balances(user) if getattr(user, "is_producer", False) else {},
        "transfers": selectors.pending_transfers().count() if getattr(user, "is_moderator", False) else 0,
    }
