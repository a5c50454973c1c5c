"""API routes of the competitions app, mounted under /api/v1/."""

from django.urls import include, path

from core.api import Router
from marketplace.competitions import api

router = Router()
router.register("competitions/results", api.ResultViewSet, basename="competition-result")

urlpatterns = [path("", include(router.urls))]
