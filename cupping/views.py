from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from core.decorators import role_required
from core.errors import Conflict
from core.selectors import job_visible_to
from cupping import imports, scoring, selectors, services
from cupping.forms import GradingForm, ImportForm, RequestForm, SheetForm, UploadForm, WithdrawForm, apply_errors
from cupping.models import SheetStatus
from lots.models import Lot


def lot_section_context(request: HttpRequest, lot: Any) -> dict[str, Any] | None:
    """The cupping section of the public lot page (registered in apps.py)."""
    return selectors.lot_section(request.user, lot)


def grader_panel(request: HttpRequest) -> dict[str, Any]:
    """The Q-grader's dashboard panel: what waits in the queue and the latest sheets."""
    return {
        "queue_count": selectors.grader_queue(request.user).count(),
        "sheets": list(selectors.sheets_visible_to(request.user).filter(grader_id=request.user.pk)[:5]),
    }


def producer_panel(request: HttpRequest) -> dict[str, Any]:
    """The producer's dashboard panel: their cupping requests still open."""
    return {
        "requests": list(
            selectors.requests_visible_to(request.user).filter(status__in=["open", "accepted"]).order_by("-id")[:5]
        )
    }


# --- Requests ------------------------------------------------------------------------------


@role_required(Role.PRODUCER)
def requests_page(request: HttpRequest) -> HttpResponse:
    lots = Lot.objects.filter(producer_id=request.user.pk).exclude(status="withdrawn").order_by("name")
    initial = {"lot": request.GET.get("lot")} if request.GET.get("lot", "").isdigit() else {}
    form = RequestForm(request.POST or None, lots=lots, graders=selectors.verified_graders(), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.request_create(
                lot=data["lot"], by=request.user, grader=data["grader"], protocol=data["protocol"], note=data["note"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your cupping request was sent."))
            return redirect("cupping:requests")
    context = {"form": form, "requests": selectors.requests_visible_to(request.user)[:100]}
    return render(request, "cupping/requests.html", context, status=400 if form.errors else 200)


@require_POST
@role_required(Role.PRODUCER)
def request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.request_cancel(request_id=pk, by=request.user)
    except Conflict as exc:
        messages.error(request, str(exc))
    return redirect("cupping:requests")


@role_required(Role.Q_GRADER)
def queue(request: HttpRequest) -> HttpResponse:
    context = {
        "queue": selectors.grader_queue(request.user),
        "sheets": selectors.sheets_visible_to(request.user).filter(grader_id=request.user.pk)[:30],
        "gradings": selectors.gradings_visible_to(request.user).filter(grader_id=request.user.pk)[:30],
        "verified": selectors.can_take_open_requests(request.user),
    }
    return render(request, "cupping/queue.html", context)


@require_POST
@role_required(Role.Q_GRADER)
def request_accept(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.request_accept(request_id=pk, by=request.user)
    except (Conflict, ValidationError) as exc:
        messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, _("Request accepted."))
    return redirect("cupping:queue")


# --- Sheets --------------------------------------------------------------------------------


@role_required(Role.Q_GRADER)
def sheet_new(request: HttpRequest) -> HttpResponse:
    protocol = request.GET.get("protocol", scoring.SCA2004)
    if protocol not in scoring.PROTOCOLS:
        protocol = scoring.SCA2004
    lots = selectors.lots_open_to_grader(request.user)
    initial = {"lot": request.GET.get("lot")} if request.GET.get("lot", "").isdigit() else {}
    form = SheetForm(request.POST or None, protocol=protocol, lots=lots, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sheet = services.sheet_submit(
                grader=request.user,
                lot=data["lot"],
                protocol=protocol,
                cupped_on=data["cupped_on"],
                independent=data["independent"],
                values=form.values(),
                notes=data.get("notes", ""),
                descriptor_notes=data.get("descriptor_notes", ""),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Sheet saved: final score %(score)s.") % {"score": sheet.final_score})
            return redirect("cupping:sheet", pk=sheet.pk)
    context = {"form": form, "protocol": protocol, "protocols": scoring.PROTOCOLS}
    return render(request, "cupping/sheet_form.html", context, status=400 if form.errors else 200)


@login_required
def sheet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = get_object_or_404(selectors.sheets_visible_to(request.user), pk=pk)
    is_grader = sheet.grader_id == request.user.pk
    context = {
        "sheet": sheet,
        "attributes": [(scoring.FIELD_LABELS[n], v) for n, v in sheet.attributes().items()],
        "descriptors": [scoring.DESCRIPTOR_LABELS.get(d, d) for d in sheet.descriptors],
        "intensities": [(scoring.FIELD_LABELS[n], v) for n, v in sheet.intensities.items()],
        "independence": [str(INDEPENDENCE_LABELS.get(r, r)) for r in sheet.independence_reasons],
        "can_see_original": selectors.can_see_original(request.user, sheet),
        "can_upload": is_grader,
        "can_withdraw": sheet.status == SheetStatus.ACTIVE
        and (is_grader or getattr(request.user, "is_moderator", False)),
        "upload_form": UploadForm(),
        "withdraw_form": WithdrawForm(),
    }
    return render(request, "cupping/sheet_detail.html", context)


INDEPENDENCE_LABELS = {
    services.NOT_DECLARED: _("The grader did not declare independence from the producer."),
    services.NO_LICENCE: _("The grader has no Q licence on file."),
    services.LICENCE_UNVERIFIED: _("The grader's licence is not verified by a moderator."),
    services.LICENCE_EXPIRED: _("The grader's licence had expired on the cupping date."),
    services.OWN_LOT: _("The grader is the lot's producer."),
    services.ACCOUNT_INACTIVE: _("The grader's account is switched off."),
}


@require_POST
@login_required
def sheet_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(selectors.sheets_visible_to(request.user), pk=pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the sheet is withdrawn."))
        return redirect("cupping:sheet", pk=pk)
    services.sheet_withdraw(sheet_id=pk, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("The sheet was withdrawn."))
    return redirect("cupping:sheet", pk=pk)


@require_POST
@role_required(Role.Q_GRADER)
def sheet_original_upload(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(selectors.sheets_visible_to(request.user), pk=pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose an image or PDF of the signed sheet."))
        return redirect("cupping:sheet", pk=pk)
    try:
        services.sheet_attach_original(
            sheet_id=pk, by=request.user, data=form.cleaned_data["file"].read(), filename=form.cleaned_data["file"].name
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("The signed original was stored."))
    return redirect("cupping:sheet", pk=pk)


@require_GET
@login_required
def sheet_original(request: HttpRequest, pk: int) -> FileResponse:
    sheet = get_object_or_404(selectors.sheets_visible_to(request.user), pk=pk)
    if not selectors.can_see_original(request.user, sheet):
        raise PermissionDenied
    if not sheet.original:
        raise Http404
    ext = "pdf" if sheet.original_content_type == "application/pdf" else "jpg"
    response = FileResponse(
        sheet.original.open("rb"),
        content_type=sheet.original_content_type,
        as_attachment=ext == "pdf",
        filename=f"sheet-{sheet.pk}-original.{ext}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Green grading -------------------------------------------------------------------------


@role_required(Role.Q_GRADER)
def grading_new(request: HttpRequest) -> HttpResponse:
    initial = {"lot": request.GET.get("lot")} if request.GET.get("lot", "").isdigit() else {}
    form = GradingForm(request.POST or None, lots=selectors.lots_open_to_grader(request.user), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.grading_submit(
                grader=request.user,
                lot=data["lot"],
                graded_on=data["graded_on"],
                data=form.data_for_service(),
                notes=data.get("notes", ""),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Green-grading report saved."))
            return redirect("cupping:grading", pk=report.pk)
    return render(request, "cupping/grading_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def grading_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(selectors.gradings_visible_to(request.user), pk=pk)
    can_withdraw = report.status == SheetStatus.ACTIVE and (
        report.grader_id == request.user.pk or getattr(request.user, "is_moderator", False)
    )
    return render(
        request,
        "cupping/grading_detail.html",
        {"report": report, "can_withdraw": can_withdraw, "withdraw_form": WithdrawForm()},
    )


@require_POST
@login_required
def grading_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(selectors.gradings_visible_to(request.user), pk=pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the report is withdrawn."))
        return redirect("cupping:grading", pk=pk)
    services.grading_withdraw(grading_id=pk, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("The report was withdrawn."))
    return redirect("cupping:grading", pk=pk)


# --- Bulk import ---------------------------------------------------------------------------


@role_required(Role.Q_GRADER)
def import_page(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    job = None
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.cupping_import_start(by=request.user, data=form.cleaned_data["file"].read())
        except ValidationError as exc:
            apply_errors(form, exc)
    context = {"form": form, "job": job, "columns": imports.IMPORT_COLUMNS}
    return render(request, "cupping/import.html", context, status=400 if form.errors else 200)


def _own_import(request: HttpRequest, job_id: Any) -> Any:
    job = job_visible_to(request.user, job_id)
    if job is None or job.kind != imports.KIND:
        raise Http404
    return job


@role_required(Role.Q_GRADER, Role.MODERATOR)
def import_job(request: HttpRequest, job_id: Any) -> HttpResponse:
    """The import's progress bar, its preview with the confirm button, or its outcome. Polled by
    htmx while the job is checked or written; a full page without JavaScript."""
    job = _own_import(request, job_id)
    context = {"job": job, "can_answer": job.owner_id == request.user.pk}
    if getattr(request, "htmx", False):
        return render(request, "cupping/partials/import_job.html", context)
    return render(request, "cupping/import_job.html", context)


@require_POST
@role_required(Role.Q_GRADER)
def import_confirm(request: HttpRequest, job_id: Any) -> HttpResponse:
    job = _own_import(request, job_id)
    try:
        imports.cupping_import_confirm(job_id=job.pk, by=request.user)
    except (Conflict, PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Confirmed: your sheets are being imported."))
    return redirect("cupping:import_job", job_id=job.pk)


@require_POST
@role_required(Role.Q_GRADER)
def import_cancel(request: HttpRequest, job_id: Any) -> HttpResponse:
    job = _own_import(request, job_id)
    try:
        imports.cupping_import_cancel(job_id=job.pk, by=request.user)
    except (Conflict, PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The import was cancelled; nothing was imported."))
    return redirect("cupping:import_job", job_id=job.pk)


@require_GET
@role_required(Role.Q_GRADER)
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(imports.import_template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cupping-session-template.csv"'
    return response


# --- Calibration ---------------------------------------------------------------------------


@role_required(Role.MODERATOR)
def calibration(request: HttpRequest) -> HttpResponse:
    protocol = request.GET.get("protocol", scoring.SCA2004)
    if protocol not in scoring.PROTOCOLS:
        protocol = scoring.SCA2004
    context = {"rows": selectors.calibration(protocol), "protocol": protocol, "protocols": scoring.PROTOCOLS}
    return render(request, "cupping/calibration.html", context)
