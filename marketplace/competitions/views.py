"""Pages: a lot's competition results (the producer records one), the moderators' queue, documents."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.decorators import role_required
from lots.selectors import can_see_private
from marketplace.competitions import selectors, services
from marketplace.competitions.forms import DecisionForm, ResultForm
from marketplace.competitions.models import CompetitionResult

MODERATOR = "moderator"


def _apply_errors(form: Any, exc: ValidationError) -> None:
    for field, errors in getattr(exc, "message_dict", {None: exc.messages}).items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)


@require_http_methods(["GET", "POST"])
def lot_results(request: HttpRequest, lot_id: int) -> HttpResponse:
    """Everyone who can open the lot sees its verified results; its producer adds new ones here."""
    lot = selectors.lot_for(request.user, lot_id)
    if lot is None:
        raise Http404
    is_owner = request.user.is_authenticated and request.user.pk == lot.producer_id
    form = ResultForm(request.POST or None, request.FILES or None) if is_owner else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            upload = data.get("document")
            document = services.DocumentUpload(name=upload.name, data=upload.read()) if upload else None
            try:
                services.result_create(
                    lot=lot,
                    by=request.user,
                    competition=data["competition"],
                    name=data["name"],
                    year=data["year"],
                    category=data["category"],
                    rank=data["rank"],
                    jury_score=data["jury_score"],
                    jury_protocol=data["jury_protocol"],
                    url=data["url"],
                    document=document,
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Recorded. A moderator will verify the result."))
                return redirect("competitions:lot_results", lot_id=lot.pk)
    context = {
        "lot": lot,
        "results": selectors.lot_results(request.user, lot),
        "form": form,
        "is_owner": is_owner,
        "private": can_see_private(request.user, lot),
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "competitions/lot_results.html", context, status=status)


@role_required(MODERATOR)
def queue(request: HttpRequest) -> HttpResponse:
    context = {
        "pending": selectors.pending_results(),
        "decided": selectors.recently_decided(),
        "form": DecisionForm(),
    }
    return render(request, "competitions/queue.html", context)


@require_POST
@role_required(MODERATOR)
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    if not CompetitionResult.objects.filter(pk=pk).exists():
        raise Http404
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.result_decide(
                result_id=pk, by=request.user, to=form.cleaned_data["to"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("competitions:queue")
        messages.success(request, _("Decision recorded."))
    else:
        messages.error(request, _("Choose verify or reject."))
    return redirect("competitions:queue")


def document(request: HttpRequest, pk: int) -> FileResponse:
    result = CompetitionResult.objects.select_related("lot").filter(pk=pk).first()
    if result is None or not result.document or not selectors.can_read_document(request.user, result):
        raise Http404
    response = FileResponse(
        result.document.open("rb"),
        as_attachment=True,
        filename=result.document_name or "document",
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def lot_section_context(request: HttpRequest, lot: Any) -> dict[str, Any] | None:
    """The lot page's competition section: verified results for all, the rest for owner and moderators."""
    results = selectors.lot_results(request.user, lot)
    is_owner = request.user.is_authenticated and request.user.pk == lot.producer_id
    if not results and not is_owner:
        return None
    return {"lot": lot, "results": results, "is_owner": is_owner}
