"""URLs of the exports written by a task (reports/export_views.py), included by reports.urls."""

from django.urls import path

from reports import export_views

urlpatterns = [
    path("opinions/export/", export_views.opinion_ledger_export, name="opinion_ledger_export"),
    path("exports/<int:pk>/", export_views.export_job, name="export_job"),
    path("exports/<int:pk>/status/", export_views.export_job_status, name="export_job_status"),
    path("exports/<int:pk>/download/", export_views.export_job_download, name="export_job_download"),
]
