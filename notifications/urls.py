from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("unread/", views.unread, name="unread"),
    path("<int:pk>/", views.notification_open, name="open"),
    path("read/", views.mark_all_read, name="read_all"),
]
