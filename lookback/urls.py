"""URL patterns of the look-back."""

from django.urls import path

from lookback import file_views, views

app_name = "lookback"

urlpatterns = [
    path("training/", views.training, name="training"),
    path("training/branches.xlsx", views.training_export, name="training_export"),
    path("training/new/", views.session_new, name="session_new"),
    path("training/<int:pk>/", views.session_detail, name="session_detail"),
    path("training/import/", file_views.attendance_import, name="attendance_import"),
    path("branches/<int:pk>/secretary/", views.secretary_appoint, name="secretary_appoint"),
    path("settings/", views.lookback_settings, name="settings"),
    path("checks/", views.check_list, name="check_list"),
    path("checks/units.xlsx", views.check_list_export, name="check_list_export"),
    path("checks/import/", file_views.checks_import, name="checks_import"),
    path("checks/<int:pk>/", views.check_detail, name="check_detail"),
    path("checks/<int:pk>/self/", views.check_self, name="check_self"),
    path("checks/<int:pk>/verdict/", views.check_verdict, name="check_verdict"),
    path("checks/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("checks/<int:pk>/order/", views.order_new, name="order_new"),
    path("items/<int:pk>/problem/", views.item_problem, name="item_problem"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("committees/<int:pk>/table.xlsx", file_views.committee_table, name="committee_table"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/register.xlsx", views.order_list_export, name="order_list_export"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/report/", views.order_report, name="order_report"),
    path("orders/<int:pk>/close/", views.order_close, name="order_close"),
    path("orders/<int:pk>/return/", views.order_return, name="order_return"),
]
