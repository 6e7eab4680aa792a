"""URL patterns of the dashboards (joined into reports/urls.py)."""

from django.urls import path

from reports.dashboard import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/units/<int:pk>/", views.dashboard_unit, name="dashboard_unit"),
    path("dashboard/teams/<int:pk>/", views.dashboard_team, name="dashboard_team"),
]
