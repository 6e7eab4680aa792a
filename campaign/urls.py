from django.urls import path

from campaign import views

app_name = "campaign"

urlpatterns = [
    path("", views.home, name="home"),
    path("campaign/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaign/<int:pk>/public/", views.campaign_public, name="campaign_public"),
    path("org/units/", views.unit_list, name="unit_list"),
    path("org/units/export/", views.unit_export, name="unit_export"),
    path("org/units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("org/members/", views.member_list, name="member_list"),
    path("org/members/export/", views.member_export, name="member_export"),
    path("org/members/<int:pk>/", views.member_detail, name="member_detail"),
    path("org/members/<int:pk>/password/", views.member_password_reset, name="member_password_reset"),
    path("org/teams/", views.team_list, name="team_list"),
    path("org/teams/export/", views.team_export, name="team_export"),
    path("org/teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("org/supervision/", views.supervisory_team_list, name="supervisory_team_list"),
    path("org/supervision/export/", views.supervisory_team_export, name="supervisory_team_export"),
    path("org/supervision/<int:pk>/", views.supervisory_team_detail, name="supervisory_team_detail"),
    path("org/import/", views.org_import, name="org_import"),
    path("search/", views.search, name="search"),
]
