from django.urls import include, path

from core.api import Router
from marketplace.payments import api

router = Router()
router.register("payments", api.PaymentViewSet, basename="api-payment")

urlpatterns = [
    path("payments/ledger/", api.LedgerApi.as_view(), name="api-payment-ledger"),
    path("", include(router.urls)),
]
