from django.urls import path

from core.api import Router
from lots import api

router = Router()
router.register("farms", api.FarmViewSet, basename="farm")
router.register("plots", api.PlotViewSet, basename="plot")
router.register("lots", api.LotViewSet, basename="lot")

urlpatterns = [
    path("lots/<int:pk>/photos/", api.LotPhotosView.as_view(), name="lot-photos"),
    path("lots/<int:lot_pk>/photos/<int:pk>/", api.LotPhotoDetailView.as_view(), name="lot-photo-detail"),
    path("lots/<int:pk>/custody-events/", api.LotCustodyEventsView.as_view(), name="lot-custody-events"),
    path("varieties/match/", api.VarietyMatchView.as_view(), name="variety-match"),
    *router.urls,
]
