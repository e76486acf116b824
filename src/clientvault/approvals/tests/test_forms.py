"""The approval rule form: steps typed per line, validated as the service validates them."""

from __future__ import annotations

from typing import Any

import pytest

from clientvault.approvals.forms import ApprovalRuleForm, NewApprovalRuleForm
from clientvault.approvals.models import ApprovalRule

pytestmark = pytest.mark.django_db


def _data(**kw: Any) -> dict[str, Any]:
    return {
        "change_type": "assets.movement",
        "priority": "10",
        "active": "on",
        "min_amount_minor": "100",
        "currencies": "cny, usd",
        "steps": "1; sales_manager; 2\n1; compliance_officer; 1\n2; compliance_officer; 1",
        "sla_working_days": "2",
        "expire_after_days": "30",
        "reason": "why",
        **kw,
    }


def test_valid_rule_round_trips() -> None:
    form = ApprovalRuleForm(_data())
    assert form.is_valid(), form.errors
    values = ApprovalRuleForm.to_rule(dict(form.cleaned_data))
    assert values["conditions"] == {"min_amount_minor": 100, "currencies": ["CNY", "USD"]}
    assert [s["stage"] for s in values["steps"]] == [1, 1, 2] and values["steps"][0]["required"] == 2
    seeded = ApprovalRule.objects.get(code="assets-movement")
    initial = ApprovalRuleForm.initial_from(seeded.snapshot())
    assert initial["steps"] == "1; sales_manager; 1" and initial["min_amount_minor"] == 100_000_000


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"steps": "1; nobody; 1"}, "steps"),
        ({"steps": "1; sales_manager; 0"}, "steps"),
        ({"steps": "2; sales_manager; 1"}, "steps"),
        ({"steps": "1; sales_manager; 1\n3; sales_manager; 1"}, "steps"),
        ({"steps": "one step"}, "steps"),
        ({"supervisor_threshold_minor": "500"}, "supervisor_roles"),
        ({"change_type": "nothing.here"}, "change_type"),
    ],
)
def test_invalid_rules_are_said_on_the_field(changes: dict[str, Any], field: str) -> None:
    form = ApprovalRuleForm(_data(**changes))
    assert not form.is_valid()
    assert field in form.errors


def test_new_rule_form_asks_for_a_code() -> None:
    form = NewApprovalRuleForm(_data())
    assert not form.is_valid() and "code" in form.errors
    assert list(form.fields)[:2] == ["code", "change_type"]
