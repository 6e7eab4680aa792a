"""URL patterns of the talks card pages."""

from django.urls import path

from talks import card_selectors, views

urlpatterns: list = [
    path("", views.card_list, name="card_list"),
    path("new/", views.card_new, name="card_new"),
    path("review/", views.review_queue, name="review_queue"),
    path("flagged/", views.flagged, name="flagged"),
    path("members/", views.member_search, {"who": card_selectors.OTHER}, name="member_search"),
    path("members/first/", views.member_search, {"who": card_selectors.FIRST}, name="first_member_search"),
    path("<int:pk>/", views.card_detail, name="card_detail"),
    path("<int:pk>/edit/", views.card_edit, name="card_edit"),
    path("<int:pk>/delete/", views.card_delete, name="card_delete"),
    path("<int:pk>/review/", views.card_review, name="card_review"),
]
