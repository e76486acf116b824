"""The chunked deletion engine (issue #15, PIPL-47, JRT0171-DELETE): a chunk's steps each in one transaction, holds
re-checked for the whole chunk inside every step (a held customer leaves the chunk and is restricted, the others
are erased), a crash between steps resumes the chunk without a second certificate, keys destroyed together."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest

from clientvault.audit import signing
from clientvault.crypto import keystore
from clientvault.crypto.models import CustomerKey, KeyDestruction, ShreddedKey
from clientvault.customers.models import Customer, FollowUp
from clientvault.lifecycle import batch, certificates, holds, sweep
from clientvault.lifecycle.models import DeletionCertificate, Erasure, ErasureState, RetentionRule
from clientvault.lifecycle.policies import add_months
from clientvault.lifecycle.tests.support import SYSTEM, prospect, raw
from clientvault.testing import customers as cf
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
OLD = dt.datetime.combine(add_months(dt.date.today(), -40), dt.time(), tzinfo=dt.UTC)


def _stale(org: Org, n: int) -> list[Customer]:
    rep = org["rep_bj1"]
    made = [prospect(rep) for _ in range(n)]
    for c in made:
        cf.followup(c, rep, summary="电话回访", next_step="寄送资料")
    ids = [c.pk for c in made]
    Customer.objects.unrestricted(reason="test: age the records").filter(pk__in=ids).update(created_at=OLD)
    FollowUp.objects.unrestricted(reason="test: age the follow-ups").filter(customer_id__in=ids).update(occurred_at=OLD)
    return sorted(made, key=lambda c: c.pk)


def _queue(customers: list[Customer]) -> list[uuid.UUID]:
    codes = list(RetentionRule.objects.filter(category="profile").values_list("code", flat=True))
    made = [Erasure.objects.create(customer_id=c.pk, trigger=Erasure.Trigger.SWEEP, rule_codes=codes) for c in customers]
    return [e.pk for e in made]


def _hold(org: Org, c: Customer) -> None:
    holds.place_hold(ctx(org["compliance"]), customer_id=c.pk, basis="litigation", reference="(2026)沪01民初9号")


def _assert_erased(c: Customer, events: int = 2) -> dict[str, Any]:
    row = raw(c)
    assert row.erased_at is not None and bytes(row.name_ct) == b""
    assert not FollowUp.objects.unrestricted(reason="test").filter(customer_id=c.pk).exists()
    [cert] = DeletionCertificate.objects.filter(customer_id=c.pk)
    assert certificates.verify(certificates.as_file(cert), signing.public_keys()[cert.key_id])
    body: dict[str, Any] = json.loads(cert.document)
    assert body["rows"]["customers.followup"] == {"deleted": 1} and body["key_shredded"] is True
    assert len(body["audit_events"]) == events  # requested (by the sweep) + erased, as on the single path
    return body


def test_chunked_sweep_erases_the_chunk_and_restricts_the_held_customer_in_the_middle(
    org: Org, audit_events: Any, django_capture_on_commit_callbacks: Any
) -> None:
    customers = _stale(org, 5)
    held = customers[2]
    _hold(org, held)
    with django_capture_on_commit_callbacks(execute=True) as after_commit:
        result = sweep.sweep(ctx=SYSTEM, chunk=10)
    assert len(after_commit) == 1  # one key-store transaction for the chunk's keys
    assert result["erased"] == 4 and result["restricted"] == 1
    for c in customers:
        if c is not held:
            _assert_erased(c)
    row = raw(held)
    assert row.erased_at is None and row.restricted_at is not None and row.restriction_basis == "litigation"
    assert not DeletionCertificate.objects.filter(customer_id=held.pk).exists()
    assert len(audit_events("lifecycle.certificate_issued")) == 4 and len(audit_events("crypto.key_shredded")) == 4
    # The keys went after the commit, together (crypto.keystore.shred_keys); the held customer's stays.
    erased_ids = [c.pk for c in customers if c is not held]
    assert not CustomerKey.objects.filter(pk__in=erased_ids).exists() and ShreddedKey.objects.filter(pk__in=erased_ids).count() == 4
    assert KeyDestruction.objects.filter(pk__in=erased_ids, destroyed_at__isnull=False).count() == 4
    assert keystore.key_exists(held.pk)
    assert sweep.sweep(ctx=SYSTEM, chunk=10)["erased"] == 0  # idempotent
    assert DeletionCertificate.objects.count() == 4


def test_a_hold_placed_between_chunk_steps_takes_one_customer_out_and_a_crash_resumes_the_chunk(org: Org) -> None:
    customers = _stale(org, 5)
    ids = _queue(customers)
    # As if the process died after the shred step committed for the whole chunk.
    assert batch.run_many(ids, ctx=SYSTEM, stop_after=ErasureState.SHREDDED) == {ErasureState.SHREDDED: 5}
    held = customers[2]
    _hold(org, held)  # waits for no step: placed between two steps, seen by the next one (under the row lock)
    # The next sweep resumes the stalled chunk (rows, then certify), the held one leaves it.
    sweep.sweep(ctx=SYSTEM, chunk=10)
    states = dict(Erasure.objects.filter(pk__in=ids).values_list("customer_id", "state"))
    assert states.pop(held.pk) == ErasureState.RESTRICTED and set(states.values()) == {ErasureState.DELETED}
    for c in customers:
        if c is not held:
            _assert_erased(c, events=1)
    assert Erasure.objects.get(customer_id=held.pk).hold_bases == ["litigation"]
    row = raw(held)
    assert row.erased_at is None and row.restricted_at is not None and row.restriction_basis == "litigation"
    # A destroyed key stays destroyed: nothing committed is undone (its destruction was requested in the shred step).
    assert KeyDestruction.objects.filter(pk=held.pk).exists()
    assert DeletionCertificate.objects.count() == 4


def test_a_crash_before_certify_issues_each_certificate_once(org: Org) -> None:
    customers = _stale(org, 4)
    ids = _queue(customers)
    assert batch.run_many(ids, ctx=SYSTEM, stop_after=ErasureState.ROWS_DONE) == {ErasureState.ROWS_DONE: 4}
    assert not DeletionCertificate.objects.exists()
    assert batch.resume_stalled(chunk=3, ctx=SYSTEM) == 4  # two chunks (3 + 1)
    assert batch.resume_stalled(chunk=3, ctx=SYSTEM) == 0
    assert batch.run_many(ids, ctx=SYSTEM) == {ErasureState.DELETED: 4}  # run again: nothing more
    for c in customers:
        body = _assert_erased(c, events=1)  # queued by hand here: no request event
        assert body["customer_id"] == str(c.pk) and body["trigger"] == "sweep"
    assert DeletionCertificate.objects.count() == 4


def test_shred_keys_is_one_idempotent_key_store_transaction(org: Org) -> None:
    customers = _stale(org, 3)
    ids = [c.pk for c in customers]
    assert keystore.keys_exist(ids) == set(ids)
    assert keystore.shred_keys(ids) == 3
    assert keystore.shred_keys(ids) == 0
    assert keystore.keys_exist(ids) == set() and ShreddedKey.objects.filter(pk__in=ids).count() == 3
