from __future__ import annotations

from django.urls import path

from clientvault.approvals import views

app_name = "approvals"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("mine/", views.mine, name="mine"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/changes/<uuid:rule_change_id>/decide/", views.rule_change_decide, name="rule_change_decide"),
    path("rules/<slug:rule_code>/", views.rule_edit, name="rule_edit"),
    path("<uuid:change_request_id>/", views.detail, name="detail"),
    path("<uuid:change_request_id>/approve/", views.approve, name="approve"),
    path("<uuid:change_request_id>/reject/", views.reject, name="reject"),
    path("<uuid:change_request_id>/withdraw/", views.withdraw, name="withdraw"),
]
