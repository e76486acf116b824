"""Opening a credit file and scoring it (issue #16; PIPL-24: the decision log keeps the model version, the inputs
by field code and the points, sealed under the customer's key; the audit trail names fields, never values)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from clientvault.core import clock
from clientvault.core.context import system_context
from clientvault.core.errors import NotFound, PermissionDenied, ValidationFailed
from clientvault.risk import features, scoring_setup, services, vault
from clientvault.risk.models import CreditScore, TierPolicy, Trigger
from clientvault.risk.scorecard import scoring
from clientvault.risk.tests import files_helpers as H
from clientvault.testing import customers as C
from clientvault.testing.actors import ctx

pytestmark = pytest.mark.django_db


def test_a_risk_officer_opens_one_file_per_customer(org: Any, audit_events: Any) -> None:
    customer = C.customer(org["rep_bj1"])
    credit_file = H.open_file(org, customer)
    assert credit_file.customer_id == customer.pk and credit_file.currency == "CNY" and credit_file.tier == ""
    assert credit_file.legal_entity_id == customer.legal_entity_id
    (event,) = audit_events("credit.file_opened")
    assert event.customer_id == customer.pk and event.detail == {"currency": "cny"}
    # A second open is refused with 409: the existing file is the one to work on.
    with pytest.raises(services.CreditFileExists) as refused:
        H.open_file(org, customer)
    assert refused.value.status == 409 and refused.value.code == "credit_file_exists"
    assert len(audit_events("credit.file_opened")) == 1


def test_open_refuses_a_bad_currency(org: Any) -> None:
    with pytest.raises(ValidationFailed):
        H.open_file(org, C.customer(org["rep_bj1"]), currency="yuan")


def test_a_rep_can_neither_open_nor_score_and_out_of_scope_is_missing(org: Any) -> None:
    customer = C.customer(org["rep_bj1"])
    with pytest.raises(PermissionDenied):  # the rep sees the customer but has no grant to open (403)
        services.open_credit_file(ctx(org["rep_bj1"]), customer_id=customer.pk)
    credit_file = H.open_file(org, customer)
    with pytest.raises(PermissionDenied):
        services.score_file(ctx(org["rep_bj1"]), file_id=credit_file.pk, trigger=Trigger.MANUAL)
    with pytest.raises(PermissionDenied):
        services.evaluate_file(ctx(org["rep_bj1"]), file_id=credit_file.pk)
    # Another legal entity's risk officer: out of scope == missing (404).
    with pytest.raises(NotFound):
        services.open_credit_file(ctx(org["risk_other"]), customer_id=C.customer(org["rep_bj2"]).pk)
    with pytest.raises(NotFound):
        services.score_file(ctx(org["risk_other"]), file_id=credit_file.pk, trigger=Trigger.MANUAL)
    assert not CreditScore.objects.unrestricted(reason="test assertion").exists()


def test_score_equals_the_plain_scorer_on_the_same_inputs_and_is_sealed(org: Any, audit_events: Any) -> None:
    b = H.book(org)
    credit_file = H.open_file(org, b.customer)
    H.limit(credit_file, 10_000_000, valid_from=dt.date(2026, 1, 1))
    with clock.travel(H.TODAY):
        row = services.score_file(ctx(org["risk"]), file_id=credit_file.pk, trigger=Trigger.MANUAL)
        inputs = features.scorecard_inputs(credit_file, features.figures_for(credit_file))
    policy = TierPolicy.objects.get(code="default")
    tiers = scoring.TierPolicy(f"default-v{policy.version}", policy.high_risk_below, policy.low_risk_from, policy.model_id)
    expected = scoring.score(scoring_setup.scorecard(), inputs, tiers=tiers)
    assert row.score == expected.total and row.tier == expected.tier
    assert row.model_id == expected.model_id == "demo-retail-scorecard" and row.model_version == expected.model_version
    assert "sha256:" + row.spec_digest == expected.spec_digest and row.tier_policy_version == policy.version
    record = vault.open_json(row, "record")
    assert record["points"] == dict(expected.points) and record["reason_codes"] == [r.code for r in expected.reasons]
    assert record["tier_policy_version"] == f"default-v{policy.version}" and record["trigger"] == "manual"
    assert record["input_fields"] == sorted(features.SCORECARD_FIELDS)
    # Sealed: the row holds ciphertext only (no model id, no points, no field code in the clear).
    blob = bytes(CreditScore.objects.unrestricted(reason="test assertion").get(pk=row.pk).record_ct)
    assert blob and b"points" not in blob and b"utilisation" not in blob and b"demo-retail" not in blob
    # The file now carries the tier, a bumped version and a review date from the tier policy.
    after = H.reload_file(credit_file)
    assert after.tier == expected.tier and after.version == credit_file.version + 1
    months = scoring_setup.review_months(policy, after.tier)
    assert after.next_review_on == features.add_months(H.TODAY.date(), months)
    # The audit event names fields and the model, never a value.
    (event,) = audit_events("credit.scored")
    assert sorted(event.fields) == ["record", "score", "tier"] and event.customer_id == b.customer.pk
    text = json.dumps(event.detail, ensure_ascii=False)
    assert str(round(row.score, 3))[:6] not in text and row.tier not in text.replace("tier_policy", "")
    assert event.detail["inputs_used"] == list(expected.inputs_used) and event.detail["trigger"] == "manual"


def test_a_second_score_keeps_the_review_date_and_the_system_may_score(org: Any) -> None:
    credit_file = H.open_file(org, C.customer(org["rep_bj1"], address="北京市朝阳区建国路1号", industry="F"))
    with clock.travel(H.TODAY):
        services.score_file(ctx(org["risk"]), file_id=credit_file.pk, trigger=Trigger.MANUAL)
    first = H.reload_file(credit_file).next_review_on
    with clock.travel(H.TODAY + dt.timedelta(days=40)):
        row = services.score_file(
            system_context(channel="task", purpose="credit_assessment"), file_id=credit_file.pk, trigger=Trigger.NIGHTLY
        )
    assert row.trigger == "nightly" and H.reload_file(credit_file).next_review_on == first
    assert CreditScore.objects.unrestricted(reason="test assertion").filter(credit_file=credit_file).count() == 2


def test_an_unknown_trigger_is_refused(org: Any) -> None:
    credit_file = H.open_file(org, C.customer(org["rep_bj1"]))
    with pytest.raises(ValidationFailed):
        services.score_file(ctx(org["risk"]), file_id=credit_file.pk, trigger="whim")


def test_the_scorecard_setting_is_read_and_cached_by_digest(settings: Any) -> None:
    settings.CLIENTVAULT_RISK_SCORECARD = str(scoring_setup.DEFAULT_SCORECARD)
    first = scoring_setup.scorecard()
    assert scoring_setup.scorecard() is first and first.digest.startswith("sha256:")
