from django.urls import path

from reports import document_urls, export_urls, talk_urls, views

app_name = "reports"

urlpatterns = [
    path("", views.general_ledger, name="general_ledger"),
    path("summary.xlsx", views.summary_export, name="summary_export"),
    path("units/<int:pk>/", views.unit_ledger, name="unit_ledger"),
    path("units/<int:pk>/sub-ledger.xlsx", views.unit_ledger_export, name="unit_ledger_export"),
    path("members/<int:pk>/", views.member_ledger, name="member_ledger"),
    *talk_urls.urlpatterns,
    *document_urls.urlpatterns,
    *export_urls.urlpatterns,
]
