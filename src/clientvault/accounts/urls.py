from __future__ import annotations

from django.urls import path

from clientvault.accounts import admin_views, grant_views, views

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
    path("users/<int:user_id>/unlock/", admin_views.user_unlock, name="user_unlock"),
    path("users/<int:user_id>/password-reset/", admin_views.user_password_reset, name="user_password_reset"),
    path("users/<int:user_id>/mfa-reset/", admin_views.user_mfa_reset, name="user_mfa_reset"),
    path("mfa-resets/", admin_views.mfa_resets, name="mfa_resets"),
    path("mfa-resets/<uuid:request_id>/", admin_views.mfa_reset_decide, name="mfa_reset_decide"),
]
