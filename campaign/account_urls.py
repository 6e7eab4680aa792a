"""Django's own authentication views, with our templates."""

from django.contrib.auth import views as auth_views
from django.urls import path

from campaign import account_views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", account_views.PasswordChange.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("language/", account_views.account_language, name="account_language"),
]
