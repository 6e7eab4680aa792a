"""URL patterns of the ledger's document pages (joined into reports/urls.py)."""

from django.urls import path

from reports.documents import views

urlpatterns = [
    path("documents/", views.documents_progress, name="documents_progress"),
    path("documents/progress.xlsx", views.documents_progress_export, name="documents_progress_export"),
    path("documents/units/<int:pk>/", views.documents_unit, name="documents_unit"),
    path("documents/units/<int:pk>/members.xlsx", views.documents_unit_export, name="documents_unit_export"),
]
