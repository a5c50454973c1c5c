from django.urls import path

from marketplace.auctions import views

app_name = "auctions"

urlpatterns = [
    path("", views.auction_list, name="list"),
    path("new/", views.auction_create, name="create"),
    path("competition/", views.competition, name="competition"),
    path("<int:pk>/", views.auction_detail, name="detail"),
    path("<int:pk>/cancel/", views.auction_cancel, name="cancel"),
    path("<int:pk>/lots/<int:item_pk>/live/", views.item_live, name="item_live"),
    path("<int:pk>/lots/<int:item_pk>/bid/", views.bid, name="bid"),
]
