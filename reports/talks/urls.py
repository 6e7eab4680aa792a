"""URL patterns of the ledger's talk pages (joined into reports/urls.py)."""

from django.urls import path

from reports.talks import views

urlpatterns = [
    path("talks/", views.talks_county, name="talks_county"),
    path("talks/summary.xlsx", views.talks_county_export, name="talks_county_export"),
    path("talks/units/<int:pk>/", views.talks_unit, name="talks_unit"),
    path("talks/units/<int:pk>/talks.xlsx", views.talks_unit_export, name="talks_unit_export"),
    path("talks/members/<int:pk>/", views.talks_member, name="talks_member"),
    path("talks/members/<int:pk>/talks.xlsx", views.talks_member_export, name="talks_member_export"),
    path("talks/review/", views.talks_review, name="talks_review"),
    path("talks/review.xlsx", views.talks_review_export, name="talks_review_export"),
]
