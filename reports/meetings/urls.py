"""URL patterns of the ledger's meetings page (joined into reports/urls.py)."""

from django.urls import path

from reports.meetings import views

urlpatterns = [
    path("meetings/", views.meetings_progress, name="meetings_progress"),
    path("meetings/progress.xlsx", views.meetings_progress_export, name="meetings_progress_export"),
]
