"""The credit-control rules and the tier policy (issue #16): included at /risk/ beside the credit desk's own urls."""

from __future__ import annotations

from django.urls import path

from clientvault.risk import rule_views

app_name = "risk_rules"

urlpatterns = [
    path("control-rules/", rule_views.rule_list, name="list"),
    path("control-rules/new/", rule_views.rule_new, name="rule_new"),
    path("control-rules/<slug:control_rule_code>/edit/", rule_views.rule_edit, name="rule_edit"),
    path("tier-policies/<slug:tier_policy_code>/edit/", rule_views.policy_edit, name="policy_edit"),
    path("catalogue-changes/<slug:credit_change_kind>/<uuid:credit_change_id>/decide/", rule_views.change_decide, name="decide"),
]
