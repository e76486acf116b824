"""Consent coverage counts only the viewer's legal entity: a compliance officer of entity A never sees entity
B's numbers (issue #11)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from clientvault.consents import selectors as consent_selectors
from clientvault.consents import services as consent_services
from clientvault.consents.choices import State
from clientvault.core import roles as R
from clientvault.testing.actors import ctx, sign_in_verified, subject_ctx
from clientvault.testing.consents import consent
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_entities(org: Org) -> Any:
    """Entity A: two individuals, one consents to marketing. Entity B: three, two consented, one withdrew."""
    a1, _a2 = customer(org["rep_bj1"]), customer(org["rep_bj1"])
    consent(a1)
    b = [customer(org["rep_other"]) for _ in range(3)]
    consent(b[0])
    consent(b[1])
    consent_services.withdraw_consent(ctx=subject_ctx(b[1]), customer_id=b[1].pk, purpose="marketing", channel="web")
    compliance_b = user("compliance_b", R.COMPLIANCE_OFFICER, org["rep_other"].department, mfa=True)
    return compliance_b


def _marketing(report: consent_selectors.CoverageReport) -> consent_selectors.Coverage:
    return next(r for r in report.rows if r.purpose.code == "marketing")


def test_coverage_counts_only_the_viewers_legal_entity(org: Org, two_entities: Any, audit_events: Any) -> None:
    mine = consent_selectors.coverage(ctx(org["compliance"]))
    row = _marketing(mine)
    assert row.customers == 2
    assert row.counts[State.LIVE] == 1 and row.counts[State.WITHDRAWN] == 0 and row.counts[State.NONE] == 1
    assert sum(mine.given["marketing"]) == 1 and sum(mine.withdrawn["marketing"]) == 0

    theirs = consent_selectors.coverage(ctx(two_entities))
    row_b = _marketing(theirs)
    assert row_b.customers == 3
    assert row_b.counts[State.LIVE] == 1 and row_b.counts[State.WITHDRAWN] == 1 and row_b.counts[State.NONE] == 1
    assert sum(theirs.given["marketing"]) == 2 and sum(theirs.withdrawn["marketing"]) == 1

    events = audit_events("consent.coverage_viewed")
    assert [e.detail["legal_entity_id"] for e in events] == [str(org.entity.pk), str(org.other_entity.pk)]


def test_auditor_dashboard_shows_its_own_entitys_numbers(org: Org, two_entities: Any) -> None:
    client = Client()
    sign_in_verified(client, org["auditor"])
    page = client.get("/consents/").content.decode()
    assert 'data-testid="coverage-share">50%' in page  # one of A's two, not two of five
