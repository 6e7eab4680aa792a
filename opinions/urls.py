from django.urls import path

from opinions import feedback_views, import_views, views

app_name = "opinions"

urlpatterns: list = [
    # Office and unit pages: opinions, events, sorting, ledger drill-down targets.
    path("", views.opinion_list, name="opinion_list"),
    path("export/", views.opinion_export, name="opinion_export"),
    path("<int:pk>/", views.opinion_detail, name="opinion_detail"),
    path("<int:pk>/edit/", views.opinion_edit, name="opinion_edit"),
    path("<int:pk>/delete/", views.opinion_delete, name="opinion_delete"),
    path("<int:pk>/status/", views.opinion_transition, name="opinion_transition"),
    path("<int:pk>/unmerge/", views.opinion_unmerge, name="opinion_unmerge"),
    path("entry/", views.batch_entry, name="batch_entry"),
    path("targets/", views.target_search, name="target_search"),
    path("sort/", views.sort, name="sort"),
    path("events/", views.event_list, name="event_list"),
    path("events/export/", views.event_export, name="event_export"),
    path("events/new/", views.event_create, name="event_create"),
    path("events/<int:pk>/edit/", views.event_edit, name="event_edit"),
    # Feedback and sign-off (opinions/feedback_views.py).
    path("feedback/", feedback_views.feedback_lists, name="feedback_lists"),
    path("feedback/export/", feedback_views.feedback_export, name="feedback_export"),
    path("feedback/targets/", feedback_views.feedback_targets, name="feedback_targets"),
    path("feedback/targets/export/", feedback_views.feedback_targets_export, name="feedback_targets_export"),
    path("feedback/start/", feedback_views.feedback_start, name="feedback_start"),
    path("feedback/release/", feedback_views.feedback_release, name="feedback_release"),
    path("feedback/mine/", feedback_views.my_feedback, name="my_feedback"),
    path("feedback/<int:pk>/", feedback_views.feedback_list, name="feedback_list"),
    path("feedback/<int:pk>/print/", feedback_views.feedback_print, name="feedback_print"),
    path("feedback/<int:pk>/sheet/", feedback_views.feedback_sheet, name="feedback_sheet"),
    path("feedback/<int:pk>/items/new/", feedback_views.feedback_item_create, name="feedback_item_create"),
    path("feedback/<int:pk>/order/", feedback_views.feedback_order_reset, name="feedback_order_reset"),
    path("feedback/<int:pk>/wording/", feedback_views.feedback_wording, name="feedback_wording"),
    path("feedback/<int:pk>/sign/", feedback_views.feedback_sign, name="feedback_sign"),
    path("feedback/items/<int:pk>/edit/", feedback_views.feedback_item_edit, name="feedback_item_edit"),
    path("feedback/items/<int:pk>/delete/", feedback_views.feedback_item_delete, name="feedback_item_delete"),
    path("feedback/items/<int:pk>/move/", feedback_views.feedback_item_move, name="feedback_item_move"),
    # Spreadsheet import and export of events and opinions (opinions/import_views.py).
    path("import/", import_views.import_page, name="import_page"),
    path("import/export/", import_views.import_export, name="import_export"),
    path("import/<int:pk>/", import_views.import_job, name="import_job"),
    path("import/<int:pk>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("import/<int:pk>/status/", import_views.import_status, name="import_status"),
]
