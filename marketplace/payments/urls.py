from django.urls import path

from marketplace.payments import views

app_name = "payments"

urlpatterns = [
    path("", views.index, name="index"),
    path("open/", views.open_payment, name="open"),
    path("lots/<int:lot_id>/terms/", views.lot_terms, name="lot_terms"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/pay/", views.checkout, name="checkout"),
    path("<uuid:public_id>/confirm/", views.confirm, name="confirm"),
    path("<uuid:public_id>/return/", views.return_page, name="return"),
    path("<uuid:public_id>/refund/", views.refund, name="refund"),
    path("<uuid:public_id>/received/", views.received, name="received"),
]
