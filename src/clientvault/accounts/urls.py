from __future__ import annotations

from django.urls import path

from clientvault.accounts import grant_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("mfa/verify/", views.mfa_verify, name="mfa_verify"),
    path("mfa/setup/", views.mfa_setup, name="mfa_setup"),
    path("profile/", views.profile, name="profile"),
    path("users/", views.users, name="users"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:user_id>/", views.user_edit, name="user_edit"),
    path("grants/", grant_views.role_grants, name="role_grants"),
    path("grants/<uuid:grant_id>/", grant_views.role_grant_decide, name="role_grant_decide"),
]
