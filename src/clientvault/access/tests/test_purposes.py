"""The purpose catalogue (ARCHITECTURE.md rules 3 and 9; PIPL-13)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from clientvault.access import services
from clientvault.access.models import Purpose, PurposeVersion
from clientvault.access.purposes import DEFAULT_PURPOSES
from clientvault.core.errors import NotFound, PermissionDenied, ValidationFailed
from clientvault.testing.actors import ctx

pytestmark = pytest.mark.django_db


def test_defaults_are_seeded_with_their_legal_basis():
    assert set(Purpose.objects.values_list("code", flat=True)) == {p.code for p in DEFAULT_PURPOSES}
    marketing = Purpose.objects.get(code="marketing")
    assert (marketing.legal_basis, marketing.needs_consent, marketing.version) == ("consent", True, 1)
    assert PurposeVersion.objects.filter(version=1).count() == len(DEFAULT_PURPOSES)


def test_a_change_is_a_new_audited_version(org, audit_events):
    row = services.change_purpose(
        ctx=ctx(org["compliance"]), code="customer_service", data={"description": "柜面与热线服务"}, reason="clarify"
    )
    assert row.version == 2
    assert [v.version for v in PurposeVersion.objects.filter(code="customer_service").order_by("version")] == [1, 2]
    [event] = audit_events()
    assert event.event_type == "purpose.changed" and event.fields == ["description"]


def test_pipl_13_consent_basis_needs_consent(org):
    with pytest.raises(ValidationFailed) as exc:
        services.change_purpose(ctx=ctx(org["compliance"]), code="marketing", data={"needs_consent": False}, reason="try")
    assert "needs_consent" in exc.value.fields
    with pytest.raises(ValidationFailed):
        services.change_purpose(ctx=ctx(org["compliance"]), code="marketing", data={"legal_basis": "legitimate_interest"}, reason="try")
    with transaction.atomic(), pytest.raises(IntegrityError):  # the database refuses it as well
        Purpose.objects.filter(code="marketing").update(needs_consent=False)


def test_only_compliance_changes_purposes_and_reasons_are_required(org):
    for user in ("admin", "auditor", "manager_bj", "rep_bj1"):
        with pytest.raises(PermissionDenied):
            services.change_purpose(ctx=ctx(org[user]), code="audit", data={"description": "x"}, reason="x")
    with pytest.raises(ValidationFailed):
        services.change_purpose(ctx=ctx(org["compliance"]), code="audit", data={"description": "x"}, reason="")
    with pytest.raises(NotFound):
        services.change_purpose(ctx=ctx(org["compliance"]), code="nothing", data={}, reason="x")
