"""URL patterns of the opinions' ledger pages (joined into reports/urls.py)."""

from django.urls import path

from reports.opinions import views

urlpatterns = [
    path("", views.general_ledger, name="general_ledger"),
    path("summary.xlsx", views.summary_export, name="summary_export"),
    path("units/<int:pk>/", views.unit_ledger, name="unit_ledger"),
    path("units/<int:pk>/sub-ledger.xlsx", views.unit_ledger_export, name="unit_ledger_export"),
    path("members/<int:pk>/", views.member_ledger, name="member_ledger"),
    path("opinions/export/", views.opinion_ledger_export, name="opinion_ledger_export"),
]
