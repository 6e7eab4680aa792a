"""URL patterns of the stage summary report (joined into reports/urls.py)."""

from django.urls import path

from reports.summary_report import views

urlpatterns = [
    path("stage-report/", views.report_page, name="stage_report"),
    path("stage-report/<slug:stage>/", views.report_page, name="stage_report_stage"),
    path("stage-report/<slug:stage>/edit/", views.report_edit, name="stage_report_edit"),
    path("stage-report/<slug:stage>/export/", views.report_export, name="stage_report_export"),
]
