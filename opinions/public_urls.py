"""The public online suggestion box: no login, no account, no trace.

No route carries an id: the campaign is named by its code, and a receipt code travels
only in a POST body.
"""

from django.urls import path

from opinions import public_views

app_name = "public"

urlpatterns: list = [
    path("", public_views.index, name="index"),
    path("receipt/", public_views.receipt, name="receipt"),
    path("<slug:slug>/write/", public_views.write, name="write"),
]
