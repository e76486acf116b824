"""Sensitive attributes are found by name and by the field catalogue; adverse impact ratios are flagged
below four fifths (PIPL-24: automated decisions must be fair)."""

from __future__ import annotations

import pytest

from clientvault.classification import services
from clientvault.classification.catalogue import DEFAULTS
from clientvault.risk.scorecard import fairness, sensitive
from clientvault.testing.actors import ctx

DEFAULT_KEYS = [d.key for d in DEFAULTS if d.pipl_sensitive]


def test_protected_attributes_and_catalogue_fields_are_sensitive() -> None:
    found = sensitive.sensitive_columns(
        ["Sex ", "年龄", "Date-of-Birth", "nationality", "id_number", "customer.bank_card", "utilisation", "region"], DEFAULT_KEYS
    )
    assert set(found) == {"Sex ", "年龄", "Date-of-Birth", "nationality", "id_number", "customer.bank_card"}
    assert found["Sex "] == "protected attribute" and "customer.id_number" in found["id_number"]
    assert sensitive.sensitive_columns(["utilisation"], []) == {}


@pytest.mark.django_db
def test_the_catalogue_is_asked_and_its_changes_count(org) -> None:
    keys, source = sensitive.catalogue_fields()
    assert source == "catalogue" and "customer.id_number" in keys and "customer.email" not in keys
    services.change_classification(ctx=ctx(org["compliance"]), key="customer.email", data={"pipl_sensitive": True}, reason="login name")
    keys, _ = sensitive.catalogue_fields()
    assert "email" in sensitive.sensitive_columns(["email", "region"], keys)


def test_adverse_impact_ratio_against_the_most_approved_group() -> None:
    groups = ["a"] * 100 + ["b"] * 100 + ["c"] * 10
    scores = [1.0] * 90 + [0.0] * 10 + [1.0] * 60 + [0.0] * 40 + [0.0] * 10
    report = fairness.adverse_impact(groups, scores, cut=0.5)
    assert report["groups"]["a"] == {"n": 100, "approved": 90, "approval_rate": 0.9, "air": 1.0, "small": False, "flagged": False}
    assert report["groups"]["b"]["air"] == round(0.6 / 0.9, 4) and report["groups"]["b"]["flagged"]
    assert report["groups"]["c"]["small"] and not report["groups"]["c"]["flagged"]  # 10 people: noise, not a finding
    assert report["flagged"] and report["min_air"] == round(0.6 / 0.9, 4)


def test_approval_is_strictly_above_the_cut_and_the_report_covers_each_column() -> None:
    scores = [500.0, 500.0, 600.0, 600.0]
    report = fairness.report({"sex": ["男", "女", "男", "女"]}, scores, cut=500.0, cut_rule="given", min_group=1)
    assert report["approval_rate"] == 0.5 and report["columns"]["sex"]["min_air"] == 1.0 and not report["flagged"]
    with pytest.raises(ValueError, match="differ in length"):
        fairness.adverse_impact(["a"], [1.0, 2.0], cut=0)
    nobody = fairness.adverse_impact(["a", "b"], [0.0, 0.0], cut=1, min_group=1)
    assert nobody["groups"]["a"]["air"] is None and not nobody["flagged"]
