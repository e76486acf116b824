from __future__ import annotations

from django.urls import path

from clientvault.access import session_views, views

app_name = "access"
urlpatterns = [
    path("purposes/", views.purposes, name="purposes"),
    path("purposes/<slug:code>/", views.purpose_edit, name="purpose_edit"),
    path("policies/", views.policies, name="policies"),
    path("policies/new/", views.policy_create, name="policy_create"),
    path("policies/changes/<uuid:change_id>/", views.policy_change_decide, name="policy_change_decide"),
    path("policies/<slug:policy_code>/", views.policy_edit, name="policy_edit"),
    path("purpose/", session_views.choose_purpose, name="choose_purpose"),
    path("break-glass/", session_views.break_glass_start, name="break_glass"),
    path("break-glass/end/", session_views.break_glass_end, name="break_glass_end"),
    path("break-glass/log/", session_views.break_glass_log, name="break_glass_log"),
]
