"""API routes of the pricing app, mounted under /api/v1/ (all under pricing/ to stay clear of lots/)."""

from django.urls import include, path

from core.api import Router
from marketplace.pricing import api

router = Router()
router.register("pricing/baselines", api.BaselineViewSet, basename="pricing-baseline")
router.register("pricing/c-prices", api.CPriceViewSet, basename="pricing-cprice")
router.register("pricing/rates", api.RateViewSet, basename="pricing-rate")
router.register("pricing/incoterm-adjustments", api.AdjustmentViewSet, basename="pricing-adjustment")

urlpatterns = [
    path("pricing/lots/<int:lot_id>/premium/", api.LotPremiumView.as_view(), name="pricing-lot-premium"),
    path("pricing/sweeps/", api.SweepView.as_view(), name="pricing-sweep"),
    path("", include(router.urls)),
]
