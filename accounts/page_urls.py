"""Account pages: login, logout (POST) and the role-aware landing page `/`."""

from django.urls import path

from accounts import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("accounts/login/", pages.LoginView.as_view(), name="login"),
    path("accounts/logout/", pages.LogoutView.as_view(), name="logout"),
]
