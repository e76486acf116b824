"""A scanned consent form shows the customer's name and ID number in the open: its download follows the
strictest decision of those fields (issue #11), and every download is audited."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from clientvault.accounts.models import User
from clientvault.consents import preconditions, rules
from clientvault.consents import selectors as consent_selectors
from clientvault.consents import services as consent_services
from clientvault.core.errors import NotFound
from clientvault.customers.models import Customer
from clientvault.testing.actors import ctx, sign_in_verified, subject_ctx
from clientvault.testing.consents import notice
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
PDF = "%PDF-1.4 signed form of 张三 110101199001011234".encode()


def with_evidence(c: Customer) -> uuid.UUID:
    """A written consent with a scanned form, given by the customer; returns the record id."""
    chosen = preconditions.notice_for("marketing", child=False) or notice()
    data = rules.Capture(purpose="marketing", consent_type="written", categories=["identity"], not_preticked=True, not_bundled=True)
    evidence = consent_services.Evidence(filename="张三-签字.pdf", content_type="application/pdf", data=PDF)
    record = consent_services.give_consent(
        ctx=subject_ctx(c), customer_id=c.pk, notice_id=chosen.pk, capture=data, channel="paper", evidence=evidence
    )
    return record.pk


def _download(u: User, record_id: uuid.UUID) -> Any:
    client = Client()
    sign_in_verified(client, u)
    return client.get(f"/consents/records/{record_id}/evidence/")


def test_auditor_who_sees_the_id_number_masked_cannot_download(org: Org, audit_events: Any) -> None:
    record_id = with_evidence(customer(org["rep_bj1"]))
    with pytest.raises(NotFound):
        consent_selectors.consent_evidence(ctx(org["auditor"]), record_id)
    response = _download(org["auditor"], record_id)
    assert response.status_code == 404 and PDF not in response.content
    assert audit_events("consent.evidence_viewed") == [] and audit_events("consent.evidence_revealed") == []


def test_auditor_sees_no_link_to_the_scan(org: Org) -> None:
    c = customer(org["rep_bj1"])
    with_evidence(c)
    client = Client()
    sign_in_verified(client, org["auditor"])
    page = client.get(f"/consents/customers/{c.pk}/").content.decode()
    assert "/evidence/" not in page


def test_owner_who_sees_name_and_id_number_in_plain_downloads_and_it_is_audited(org: Org, audit_events: Any) -> None:
    c = customer(org["rep_bj1"])
    record_id = with_evidence(c)
    response = _download(org["rep_bj1"], record_id)
    assert response.status_code == 200 and response.content == PDF
    [event] = audit_events("consent.evidence_viewed")
    assert event.customer_id == c.pk and event.object_id == str(record_id) and event.purpose == "sales_followup"
    assert event.detail["purpose"] == "sales_followup" and uuid.UUID(event.detail["evidence_id"])
    assert audit_events("consent.evidence_revealed") == []


def test_manager_who_may_reveal_downloads_as_a_reveal(org: Org, audit_events: Any) -> None:
    c = customer(org["rep_bj1"])
    record_id = with_evidence(c)
    found = consent_selectors.consent_evidence(ctx(org["manager_bj"]), record_id)
    assert found.data == PDF
    [event] = audit_events("consent.evidence_revealed")
    assert event.customer_id == c.pk and sorted(event.fields) == ["id_number", "name"]
    assert audit_events("consent.evidence_viewed") == []


def test_out_of_scope_answers_404(org: Org, audit_events: Any) -> None:
    record_id = with_evidence(customer(org["rep_bj1"]))
    for who in ("rep_bj2", "rep_other", "risk_other"):
        assert _download(org[who], record_id).status_code == 404
    assert audit_events("consent.evidence_viewed") == [] and audit_events("consent.evidence_revealed") == []


def test_the_consent_page_names_the_customer_as_the_policy_shows_it(org: Org, audit_events: Any) -> None:
    from clientvault.classification.masking import mask_name

    c = customer(org["rep_bj1"], name="王小明")
    owner = Client()
    sign_in_verified(owner, org["rep_bj1"])
    page = owner.get(f"/consents/customers/{c.pk}/").content.decode()
    assert 'data-decision="plain">王小明<' in page
    auditor = Client()
    sign_in_verified(auditor, org["auditor"])
    page = auditor.get(f"/consents/customers/{c.pk}/").content.decode()
    assert "王小明" not in page and f'data-decision="masked" class="cv-masked">{mask_name("王小明")}<' in page
    assert [e.fields for e in audit_events("consent.viewed")] == [["name"], ["name"]]
    found = consent_selectors.customer_consents(ctx(org["rep_bj1"]), c.pk)  # the API's read shows no name
    assert found.name is None and audit_events("consent.viewed")[-1].fields == []
