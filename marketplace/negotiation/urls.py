from django.urls import path

from marketplace.negotiation import views

app_name = "negotiation"

urlpatterns = [
    path("", views.trade, name="trade"),
    path("lots/<int:lot_id>/offer/", views.negotiation_open, name="negotiation_open"),
    path("lots/<int:lot_id>/sample/", views.sample_request, name="sample_request"),
    path("negotiations/<int:pk>/", views.negotiation_detail, name="negotiation_detail"),
    path("negotiations/<int:pk>/counter/", views.negotiation_counter, name="negotiation_counter"),
    path("negotiations/<int:pk>/accept/", views.negotiation_accept, name="negotiation_accept"),
    path("negotiations/<int:pk>/reject/", views.negotiation_reject, name="negotiation_reject"),
    path("negotiations/<int:pk>/withdraw/", views.negotiation_withdraw, name="negotiation_withdraw"),
    path("samples/price/", views.sample_terms, name="sample_terms"),
    path("samples/<int:pk>/", views.sample_detail, name="sample_detail"),
    path("samples/<int:pk>/<slug:action>/", views.sample_action, name="sample_action"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/ship/", views.order_ship, name="order_ship"),
    path("orders/<int:pk>/delivered/", views.order_delivered, name="order_delivered"),
    path("orders/<int:pk>/claim/", views.order_claim, name="order_claim"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/documents/<int:doc_id>/", views.order_document, name="order_document"),
    path("claims/", views.claims, name="claims"),
    path("claims/<int:pk>/resolve/", views.claim_resolve, name="claim_resolve"),
]
