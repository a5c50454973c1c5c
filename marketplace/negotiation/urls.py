from django.urls import path

from marketplace.negotiation import views

app_name = "negotiation"

urlpatterns = [
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("claims/", views.claims, name="claims"),
]
