from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("mine/", views.my_document, name="my_document"),
    path("mine/autosave/", views.autosave, name="autosave"),
    path("mine/upload/", views.upload, name="upload"),
    path("queue/", views.queue, name="queue"),
    path("progress/", views.progress, name="progress"),
    path("<int:pk>/", views.document_detail, name="document_detail"),
    path("<int:pk>/docx/", views.document_docx, name="document_docx"),
    path("<int:pk>/diff/", views.document_diff, name="document_diff"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
]
