from django.urls import path

from marketplace.pricing import views

app_name = "pricing"

urlpatterns = [
    path("baselines/", views.baselines, name="baselines"),
    path("<str:kind>/new/", views.row_edit, name="create"),
    path("<str:kind>/<int:pk>/", views.row_edit, name="edit"),
    path("<str:kind>/<int:pk>/delete/", views.row_delete, name="delete"),
    path("<str:kind>/import/", views.csv_upload, name="import"),
    path("sweep/", views.sweep, name="sweep"),
]
