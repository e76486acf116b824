from __future__ import annotations

from django.urls import path

from clientvault.lifecycle import pages, views

app_name = "lifecycle"
urlpatterns = [
    path("certificates/", views.certificate_list, name="certificates"),
    path("certificates/<uuid:certificate_id>/", views.certificate_download, name="certificate_download"),
    path("rules/", pages.rule_list, name="rules"),
    path("rules/<slug:retention_code>/propose/", pages.rule_propose, name="rule_propose"),
    path("rules/changes/<uuid:retention_change_id>/decide/", pages.rule_change_decide, name="rule_change_decide"),
    path("holds/", pages.hold_list, name="holds"),
    path("holds/place/", pages.hold_place, name="hold_place"),
    path("holds/<uuid:hold_id>/lift/", pages.hold_lift, name="hold_lift"),
    path("holds/<uuid:lifting_hold_id>/decide/", pages.hold_decide, name="hold_decide"),
    path("restricted/", pages.restricted_list, name="restricted"),
]
