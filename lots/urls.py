from django.urls import path

from lots import views

app_name = "lots"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("offer-list.csv", views.catalogue_csv, name="catalogue_csv"),
    path("mine/", views.mine, name="mine"),
    path("farms/new/", views.farm_form, name="farm_create"),
    path("farms/<int:pk>/edit/", views.farm_form, name="farm_edit"),
    path("farms/<int:farm_pk>/plots/new/", views.plot_form, name="plot_create"),
    path("plots/<int:pk>/edit/", views.plot_form, name="plot_edit"),
    path("new/", views.lot_form, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.lot_form, name="edit"),
    path("<int:pk>/status/", views.lot_transition, name="transition"),
    path("<int:pk>/variety/", views.variety_answer, name="variety_answer"),
    path("<int:pk>/photos/", views.lot_photos, name="photos"),
    path("<int:pk>/custody/new/", views.custody_add, name="custody_add"),
    path("<int:pk>/passport.geojson", views.passport, name="passport"),
    path("photos/<int:pk>/delete/", views.photo_delete, name="photo_delete"),
    path("photos/<int:pk>/<str:size>/", views.photo, name="photo"),
    path("documents/<int:pk>/", views.custody_document, name="custody_document"),
]
