from __future__ import annotations

from django.urls import path

from clientvault.merges import views

app_name = "merges"
urlpatterns = [
    path("", views.index, name="index"),
    path("propose/", views.propose, name="propose"),
    path("rules/", views.rules, name="rules"),
    path("rules/changes/<uuid:survivorship_change_id>/decide/", views.rule_change_decide, name="rule_change_decide"),
    path("rules/<slug:field>/", views.rule_edit, name="rule_edit"),
    path("<uuid:merge_id>/", views.detail, name="detail"),
    path("<uuid:merge_id>/unmerge/", views.unmerge, name="unmerge"),
]
