from core.api import Router
from marketplace.auctions.api import AuctionViewSet

router = Router()
router.register("auctions", AuctionViewSet, basename="auction")

urlpatterns = router.urls
