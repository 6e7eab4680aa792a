"""URL patterns of the talks progress pages: the talk plan and its export."""

from django.urls import path

from talks import views_plan

urlpatterns = [
    path("plan/", views_plan.plan, name="plan"),
    path("plan.xlsx", views_plan.plan_export, name="plan_export"),
]
