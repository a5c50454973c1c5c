from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.selectors import job_visible_to, notifications_for
from core.services import notification_mark_read


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications_for(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "core/notifications.html", {"page": page})


@require_POST
@login_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("id")
    notification_mark_read(user=request.user, notification_id=int(raw) if raw and raw.isdigit() else None)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("notifications")


@login_required
def job_progress(request: HttpRequest, job_id: Any) -> HttpResponse:
    """The progress bar partial, polled by htmx until the job finishes."""
    job = job_visible_to(request.user, job_id)
    if job is None:
        raise Http404
    template = "core/partials/job_progress.html"
    return render(request, template if request.htmx else "core/job.html", {"job": job})  # type: ignore[attr-defined]


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"message": "Bad request", "extra": {}}, status=400)
    return render(request, "errors/400.html", status=400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"message": "You do not have permission to do this.", "extra": {}}, status=403)
    return render(request, "errors/403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"message": "Not found.", "extra": {}}, status=404)
    return render(request, "errors/404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"message": "Server error.", "extra": {}}, status=500)
    # No context processors: the database may be the thing that failed.
    return HttpResponse(loader.render_to_string("errors/500.html"), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "errors/403_csrf.html", status=403)


def axes_lockout(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes' answer to too many failed logins: JSON for the API, a page for people."""
    if _wants_json(request):
        return JsonResponse({"message": "Too many failed login attempts. Try again later.", "extra": {}}, status=429)
    return render(request, "errors/lockout.html", status=429)
