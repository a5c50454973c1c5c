from django.urls import path

from cupping import views

app_name = "cupping"

urlpatterns = [
    path("requests/", views.requests_page, name="requests"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("requests/<int:pk>/accept/", views.request_accept, name="request_accept"),
    path("queue/", views.queue, name="queue"),
    path("sheets/new/", views.sheet_new, name="sheet_new"),
    path("sheets/<int:pk>/", views.sheet_detail, name="sheet"),
    path("sheets/<int:pk>/withdraw/", views.sheet_withdraw, name="sheet_withdraw"),
    path("sheets/<int:pk>/original/", views.sheet_original, name="sheet_original"),
    path("sheets/<int:pk>/original/upload/", views.sheet_original_upload, name="sheet_original_upload"),
    path("gradings/new/", views.grading_new, name="grading_new"),
    path("gradings/<int:pk>/", views.grading_detail, name="grading"),
    path("gradings/<int:pk>/withdraw/", views.grading_withdraw, name="grading_withdraw"),
    path("import/", views.import_page, name="import"),
    path("import/template.csv", views.import_template, name="import_template"),
    path("import/<uuid:job_id>/", views.import_job, name="import_job"),
    path("import/<uuid:job_id>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/<uuid:job_id>/cancel/", views.import_cancel, name="import_cancel"),
    path("calibration/", views.calibration, name="calibration"),
]
