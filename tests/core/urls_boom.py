"""A URL that fails, for the error-report tests (used with ``@pytest.mark.urls``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

SECRET_URL = "postgres://market:pg-Fr4me-Secret@db.internal:5432/market"


def boom(request: HttpRequest) -> HttpResponse:
    url = SECRET_URL  # a local variable the technical page lists
    raise RuntimeError(f"could not reach {url}")


urlpatterns = [path("boom/", boom)]
