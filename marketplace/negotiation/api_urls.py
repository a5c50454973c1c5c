from rest_framework.routers import SimpleRouter

from marketplace.negotiation import api

router = SimpleRouter()
router.register("samples", api.SampleViewSet, basename="samples")
router.register("negotiations", api.NegotiationViewSet, basename="negotiations")
router.register("orders", api.OrderViewSet, basename="orders")

urlpatterns = router.urls
