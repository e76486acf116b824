"""The helpers the permission matrix relies on prove what they claim (issue #12)."""

from __future__ import annotations

import pytest

from clientvault.accounts.models import LegalEntity
from clientvault.audit.models import AuditEvent
from clientvault.crypto.models import CustomerKey
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org
from tests.db_state import changed_tables, fingerprint


@pytest.mark.django_db
def test_fingerprint_sees_every_change_but_the_audit_trail(org: Org) -> None:
    before = fingerprint()
    assert changed_tables(before, fingerprint()) == []
    entity = LegalEntity.objects.create(name="指纹法人")
    after_insert = fingerprint()
    assert changed_tables(before, after_insert) == ["default.accounts_legalentity"]
    LegalEntity.objects.filter(pk=entity.pk).update(name="指纹法人二")
    assert changed_tables(after_insert, fingerprint()) == ["default.accounts_legalentity"]
    keys = fingerprint()
    c = customer(org["rep_bj1"])
    assert CustomerKey.objects.filter(pk=c.pk).exists()
    assert {"keys.crypto_customerkey", "default.customers_customer"} <= set(changed_tables(keys, fingerprint()))
    trail = fingerprint()
    AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()  # reading changes nothing
    assert changed_tables(trail, fingerprint()) == []
