"""URL patterns of the ledger's look-back page (joined into reports/urls.py)."""

from django.urls import path

from reports.lookback import views

urlpatterns = [
    path("lookback/", views.lookback_progress, name="lookback_progress"),
]
