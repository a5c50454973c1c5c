"""HTML pages: the moderators' queue and claim page, the producer's claims, submit and answer."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from core.decorators import role_required
from core.errors import Conflict
from lots.models import Lot
from marketplace.moderation import conf, selectors, services
from marketplace.moderation.forms import ClaimForm, DecisionForm, ReplyForm
from marketplace.moderation.models import ClaimStatus, Decision, MicroLotClaim


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@role_required(Role.MODERATOR)
def queue(request: HttpRequest) -> HttpResponse:
    sort = "age" if request.GET.get("sort") == "age" else "risk"
    page = Paginator(selectors.moderation_queue(sort=sort), conf.QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "moderation/queue.html",
        {"page": page, "sort": sort, "waiting": selectors.waiting_for_producers()[:50]},
    )


@role_required(Role.PRODUCER)
def my_claims(request: HttpRequest) -> HttpResponse:
    claims = selectors.claims_visible_to(request.user).order_by("-submitted_at", "-pk")
    page = Paginator(claims, conf.QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    lots = Lot.objects.filter(producer_id=request.user.pk).exclude(status="withdrawn").order_by("name")
    return render(request, "moderation/my_claims.html", {"page": page, "lots": lots})


def _claim_for(request: HttpRequest, pk: int) -> MicroLotClaim:
    claim = selectors.with_details(selectors.claims_visible_to(request.user)).filter(pk=pk).first()
    if claim is None:
        raise Http404
    return claim


def _render_claim(
    request: HttpRequest,
    claim: MicroLotClaim,
    *,
    decision_form: Any = None,
    reply_form: Any = None,
    status: int = 200,
    done: str = "",
) -> HttpResponse:
    user: Any = request.user
    can_decide = user.is_moderator and claim.lot.producer_id != user.pk and claim.status != ClaimStatus.REJECTED
    context = {
        "claim": claim,
        "hallmarks": selectors.ordered_hallmarks(claim),
        "ev": selectors.claim_evidence(claim),
        "can_decide": can_decide,
        "own_lot": user.is_moderator and claim.lot.producer_id == user.pk,
        "can_reply": user.pk == claim.producer_id and claim.status != ClaimStatus.REJECTED,
        "decision_form": decision_form
        or DecisionForm(
            initial={"evidence_version": claim.evidence_version, "seen_status": claim.status},
            failing=selectors.failing_hallmarks(claim),
        ),
        "reply_form": reply_form or ReplyForm(),
        "reopened": [c for c in claim.evidence_changes.all() if c.reopened],
        "changes": list(claim.evidence_changes.all())[-50:],
        "done": done,
    }
    if getattr(request, "htmx", False) and status == 400:
        # htmx swaps only 2xx answers: the form with its errors must still replace the old one.
        status = 200
    return render(request, "moderation/claim.html", context, status=status)


def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    claim = _claim_for(request, pk)
    if services.hallmarks_stale(claim):
        services.claim_refresh_if_stale(claim=claim)
        claim = _claim_for(request, pk)
    return _render_claim(request, claim)


@require_POST
@role_required(Role.MODERATOR)
def claim_decide(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim_for(request, pk)
    form = DecisionForm(request.POST, failing=selectors.failing_hallmarks(claim))
    if form.is_valid():
        decision = form.cleaned_data["decision"]
        try:
            services.claim_decide(
                claim=claim,
                by=request.user,
                decision=decision,
                reason=form.cleaned_data["reason"],
                # The "approve despite" fields count only for an approval.
                overrides=form.overrides() if decision == Decision.APPROVE else None,
                evidence_version=form.cleaned_data.get("evidence_version"),
                seen_status=form.cleaned_data.get("seen_status") or None,
            )
        except ValidationError as exc:
            # The service saved the hallmarks it decided on: show a field for each one failing now.
            claim = _claim_for(request, pk)
            form = DecisionForm(request.POST, failing=selectors.failing_hallmarks(claim))
            form.is_valid()
            _apply_errors(form, exc)
            if "overrides" in getattr(exc, "error_dict", {}):
                form.mark_missing_overrides()
            return _render_claim(request, claim, decision_form=form, status=400)
        except PermissionDenied:
            raise
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            if getattr(request, "htmx", False):
                return _render_claim(request, _claim_for(request, pk), done=_("Decision recorded."))
            messages.success(request, _("Decision recorded."))
            return redirect("moderation:claim", pk=claim.pk)
    return _render_claim(request, _claim_for(request, pk), decision_form=form, status=400)


@require_POST
@role_required(Role.PRODUCER)
def claim_reply(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim_for(request, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.claim_reply(claim=claim, by=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            if getattr(request, "htmx", False):
                return _render_claim(
                    request, _claim_for(request, pk), done=_("Your answer was sent to the moderators.")
                )
            messages.success(request, _("Your answer was sent to the moderators."))
            return redirect("moderation:claim", pk=claim.pk)
    return _render_claim(request, _claim_for(request, pk), reply_form=form, status=400)


@require_POST
@role_required(Role.MODERATOR)
def claim_recompute(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim_for(request, pk)
    services.claim_recompute(claim_id=claim.pk)
    if getattr(request, "htmx", False):
        claim = _claim_for(request, pk)
        context = {"claim": claim, "hallmarks": selectors.ordered_hallmarks(claim)}
        return render(request, "moderation/partials/hallmarks_panel.html", context)
    messages.success(request, _("Hallmarks recomputed."))
    return redirect("moderation:claim", pk=claim.pk)


@role_required(Role.PRODUCER)
def claim_submit(request: HttpRequest, lot_id: int) -> HttpResponse:
    lot = get_object_or_404(Lot, pk=lot_id, producer=request.user)
    existing = selectors.latest_claim_for_lot(lot.pk, selectors.claims_visible_to(request.user))
    if existing is not None and existing.is_active:
        messages.info(request, _("This lot already has a claim."))
        return redirect("moderation:claim", pk=existing.pk)
    form = ClaimForm(request.POST or None, initial={"kind": "nano" if lot.classification == "nano" else "micro"})
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.claim_submit(lot=lot, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your claim was submitted. A moderator will review it."))
            return redirect("moderation:claim", pk=claim.pk)
    return render(request, "moderation/claim_form.html", {"form": form, "lot": lot}, status=400 if form.errors else 200)
