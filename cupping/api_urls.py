from django.urls import path

from core.api import Router
from cupping import api

router = Router()
router.register("cupping-sheets", api.CuppingSheetViewSet, basename="cupping-sheet")
router.register("green-gradings", api.GreenGradingViewSet, basename="green-grading")
router.register("cupping-requests", api.CuppingRequestViewSet, basename="cupping-request")
router.register("lot-scores", api.LotScoreViewSet, basename="lot-score")

urlpatterns = [
    path("cupping-sheets/<int:pk>/original/", api.SheetOriginalApi.as_view(), name="cupping-sheet-original"),
    path("cupping-imports/", api.CuppingImportApi.as_view(), name="cupping-import"),
    path("cupping-imports/<uuid:job_id>/", api.CuppingImportJobApi.as_view(), name="cupping-import-job"),
    path(
        "cupping-imports/<uuid:job_id>/confirm/", api.CuppingImportConfirmApi.as_view(), name="cupping-import-confirm"
    ),
    path("cupping-imports/<uuid:job_id>/cancel/", api.CuppingImportCancelApi.as_view(), name="cupping-import-cancel"),
    *router.urls,
]
