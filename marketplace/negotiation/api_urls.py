from django.urls import path
from rest_framework.routers import SimpleRouter

from marketplace.negotiation import api

router = SimpleRouter()
router.register("samples", api.SampleViewSet, basename="samples")
router.register("negotiations", api.NegotiationViewSet, basename="negotiations")
router.register("orders", api.OrderViewSet, basename="orders")

urlpatterns = [
    path("sample-price/", api.SampleTermsApi.as_view(), name="api-sample-price"),
    *router.urls,
]
