from django.urls import path

from marketplace.moderation import api

urlpatterns = [
    path("lots/<int:lot_id>/claim/", api.LotClaimApi.as_view(), name="api-lot-claim"),
    path("lots/<int:lot_id>/verification/", api.LotVerificationApi.as_view(), name="api-lot-verification"),
    path("claims/", api.ClaimListApi.as_view(), name="api-claims"),
    path("claims/<int:pk>/decision/", api.ClaimDecisionApi.as_view(), name="api-claim-decision"),
    path("claims/<int:pk>/reply/", api.ClaimReplyApi.as_view(), name="api-claim-reply"),
]
