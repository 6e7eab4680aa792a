"""URL patterns of the democratic appraisal (namespace ``appraisal``)."""

from django.urls import path

from meetings.appraisal import file_views, views

app_name = "appraisal"

urlpatterns: list = [
    path("", views.window_list, name="window_list"),
    path("vote/", views.vote, name="vote"),
    path("branches/<int:pk>/open/", views.window_open, name="window_open"),
    path("windows/<int:pk>/", views.window_detail, name="window_detail"),
    path("windows/<int:pk>/close/", views.window_close, name="window_close"),
    path("windows/<int:pk>/paper/", views.paper_entry, name="paper_entry"),
    path("windows/<int:pk>/paper/confirm/", views.paper_confirm, name="paper_confirm"),
    path("windows/<int:pk>/paper/tally.xlsx", file_views.tally_xlsx, name="tally_xlsx"),
    path("windows/<int:pk>/paper/tally.docx", file_views.tally_docx, name="tally_docx"),
    path("windows/<int:pk>/paper/tally-data.xlsx", file_views.tally_data, name="tally_data"),
    path("paper/import/", file_views.paper_import, name="paper_import"),
    path("results/", views.results, name="results"),
    path("results/export/", views.results_export, name="results_export"),
    path("flagged/", views.flagged, name="flagged"),
    path("settings/", views.settings_edit, name="settings"),
]
