from rest_framework.routers import SimpleRouter

from marketplace.auctions.api import AuctionViewSet

router = SimpleRouter()
router.register("auctions", AuctionViewSet, basename="auction")

urlpatterns = router.urls
