from django.urls import path

from core.api import Router
from marketplace.negotiation import api

router = Router()
router.register("samples", api.SampleViewSet, basename="samples")
router.register("negotiations", api.NegotiationViewSet, basename="negotiations")
router.register("orders", api.OrderViewSet, basename="orders")

urlpatterns = [
    path("sample-price/", api.SampleTermsApi.as_view(), name="api-sample-price"),
    *router.urls,
]
