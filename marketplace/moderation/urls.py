from django.urls import path

from marketplace.moderation import views

app_name = "moderation"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("mine/", views.my_claims, name="my_claims"),
    path("lots/<int:lot_id>/claim/", views.claim_submit, name="submit"),
    path("claims/<int:pk>/", views.claim_detail, name="claim"),
    path("claims/<int:pk>/decide/", views.claim_decide, name="decide"),
    path("claims/<int:pk>/reply/", views.claim_reply, name="reply"),
    path("claims/<int:pk>/recompute/", views.claim_recompute, name="recompute"),
]
