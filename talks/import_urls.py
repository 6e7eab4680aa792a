"""URL patterns of the talks import pages: the import, the cards in the import format,
and each unit's talk register (talks/import_views.py)."""

from django.urls import path

from talks import import_views

urlpatterns: list = [
    path("import/", import_views.import_page, name="import_page"),
    path("import/export/", import_views.import_export, name="import_export"),
    path("import/<int:pk>/", import_views.import_job, name="import_job"),
    path("import/<int:pk>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("import/<int:pk>/status/", import_views.import_status, name="import_status"),
    path("register/", import_views.register, name="register"),
    path("register/<int:pk>/export/", import_views.register_export, name="register_export"),
]
