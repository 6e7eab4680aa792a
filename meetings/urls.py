"""URL patterns of the meetings."""

from django.urls import path

from meetings import file_views, views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="meeting_list"),
    path("new/", views.meeting_new, name="meeting_new"),
    path("readiness/", views.readiness, name="readiness"),
    path("readiness/export/", views.readiness_export, name="readiness_export"),
    path("<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("<int:pk>/reschedule/", views.meeting_reschedule, name="meeting_reschedule"),
    path("<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("<int:pk>/attendees/", views.meeting_attendees, name="meeting_attendees"),
    path("<int:pk>/hold/", views.meeting_hold, name="meeting_hold"),
    path("<int:pk>/self-criticism/", views.self_criticism, name="self_criticism"),
    path("<int:pk>/criticisms/new/", views.criticism_new, name="criticism_new"),
    path("<int:pk>/follow-up/", views.follow_up_note, name="follow_up_note"),
    path("<int:pk>/followed-up/", views.meeting_followed_up, name="meeting_followed_up"),
    path("import/", file_views.records_import, name="records_import"),
    path("<int:pk>/record.xlsx", file_views.record_xlsx, name="record_xlsx"),
    path("<int:pk>/record.docx", file_views.record_docx, name="record_docx"),
    path("<int:pk>/records/", file_views.record_data, name="record_data"),
    path("criticisms/<int:pk>/rectify/", views.criticism_rectify, name="criticism_rectify"),
]
