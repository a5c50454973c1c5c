from django.urls import include, path
from rest_framework.routers import SimpleRouter

from marketplace.payments import api

router = SimpleRouter()
router.register("payments", api.PaymentViewSet, basename="api-payment")

urlpatterns = [
    path("payments/ledger/", api.LedgerApi.as_view(), name="api-payment-ledger"),
    path("", include(router.urls)),
]
