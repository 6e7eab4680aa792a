"""The public's rating of the leadership teams: under the box's prefix (/box/teams/), so
that the box's middleware keeps its requests out of the session and the request log.
No route carries an id: the campaign is named by its code."""

from django.urls import path

from meetings.appraisal import public_views

app_name = "appraisal_public"

urlpatterns: list = [
    path("", public_views.index, name="index"),
    path("<slug:slug>/rate/", public_views.rate, name="rate"),
]
