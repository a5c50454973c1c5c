from django.urls import path

from marketplace.competitions import views

app_name = "competitions"

urlpatterns = [
    path("lots/<int:lot_id>/", views.lot_results, name="lot_results"),
    path("queue/", views.queue, name="queue"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/document/", views.document, name="document"),
]
