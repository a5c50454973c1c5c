from django.urls import path

from core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("jobs/<uuid:job_id>/", views.job_progress, name="job_progress"),
]
