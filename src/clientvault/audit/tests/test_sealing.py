"""Sealing (issue #4, ARCHITECTURE.md rule 7): leaves assigned by the sealer, signed chained checkpoints."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from clientvault.audit import canonical, merkle, sealing, signing, verification
from clientvault.audit.models import AuditEvent, AuditLeaf, Checkpoint
from clientvault.core import clock
from clientvault.core.context import system_context

pytestmark = pytest.mark.django_db


def test_sealing_gives_every_event_one_leaf_in_sealing_order(make_events: Callable[..., list[AuditEvent]]) -> None:
    events = make_events(7)
    result = sealing.seal(batch=3)
    assert (result.sealed, result.checkpoints, result.tree_size) == (7, 3, 7)
    leaves = list(AuditLeaf.objects.order_by("index").values_list("index", "event_pk"))
    assert [i for i, _ in leaves] == list(range(7))
    assert sorted(pk for _, pk in leaves) == sorted(e.pk for e in events)
    assert list(Checkpoint.objects.values_list("tree_size", flat=True)) == [3, 6, 7]
    assert sealing.seal().sealed == 0  # nothing pending: no new checkpoint
    assert Checkpoint.objects.count() == 3


def test_checkpoint_root_is_the_rfc6962_root_of_the_canonical_entries(make_events: Callable[..., list[AuditEvent]]) -> None:
    make_events(5)
    sealing.seal(batch=2)
    pks = list(AuditLeaf.objects.order_by("index").values_list("event_pk", flat=True))
    rows = {r["id"]: r for r in AuditEvent.objects.values(*canonical.EVENT_COLUMNS)}
    expected = merkle.root([merkle.leaf_hash(canonical.entry(rows[pk])) for pk in pks])
    last = sealing.latest_checkpoint()
    assert last is not None and bytes(last.root_hash) == expected


def test_checkpoints_are_signed_and_chained(make_events: Callable[..., list[AuditEvent]]) -> None:
    make_events(4)
    sealing.seal(batch=2)
    first, second = Checkpoint.objects.order_by("tree_size")
    assert bytes(first.previous_hash) == canonical.GENESIS
    assert bytes(second.previous_hash) == sealing.body_hash(first)
    key = signing.public_keys()[second.key_id]
    assert signing.verify(key, sealing.body(second).encode(), bytes(second.signature))
    assert len(bytes(second.signature)) == 64 and len(key) == 32
    body = sealing.body(second)
    assert body.startswith(canonical.CHECKPOINT_HEADER) and "size 2\n" not in body and "size 4\n" in body


def test_entries_hold_no_personal_values_only_the_event_columns(make_events: Callable[..., list[AuditEvent]]) -> None:
    event = make_events(1)[0]
    row = AuditEvent.objects.values(*canonical.EVENT_COLUMNS).get(pk=event.pk)
    document = json.loads(canonical.entry(row))
    assert document["event_id"] == str(event.event_id) and document["fields"] == ["name"] and document["detail"] == {"n": 0}
    assert set(document) == {"v", "pk", *[c for c in canonical.EVENT_COLUMNS if c != "id"]}


def test_an_event_that_commits_late_below_sealed_ids_is_still_sealed(make_events: Callable[..., list[AuditEvent]]) -> None:
    """Pitfall: id 101 visible before id 100 commits. The sealer looks for events without a leaf."""
    events = make_events(2)
    top = max(e.pk for e in events)
    with transaction.atomic():  # id top+10 commits first …
        _insert(top + 10)
    sealing.seal()
    with transaction.atomic():  # … and id top+5, allocated earlier, commits after the seal
        _insert(top + 5)
    assert sealing.seal().sealed == 1
    assert AuditLeaf.objects.get(event_pk=top + 5).index == 3  # position by sealing order, not by id
    assert verification.verify(witness="").ok


def test_an_event_past_the_grace_period_waits_for_the_full_sweep(make_events: Callable[..., list[AuditEvent]], settings: Any) -> None:
    events = make_events(2)
    top = max(e.pk for e in events)
    with transaction.atomic():
        _insert(top + 10)
    sealing.seal()
    settings.CLIENTVAULT_AUDIT_SEAL_GRACE_SECONDS = 0  # the checkpoint is now older than the grace period
    with transaction.atomic():
        _insert(top + 5)
    assert sealing.seal().sealed == 0  # below the watermark: the incremental run does not look there
    report = verification.verify(witness="")
    assert [p.kind for p in report.problems] == ["unsealed"]
    assert sealing.seal(full=True).sealed == 1
    assert verification.verify(witness="").ok


def _insert(pk: int) -> None:
    AuditEvent.objects.create(pk=pk, occurred_at=clock.now(), event_type="customer.viewed")


def test_new_events_are_pending_not_problems(make_events: Callable[..., list[AuditEvent]]) -> None:
    make_events(2)
    sealing.seal()
    make_events(3)
    report = verification.verify(witness="")
    assert report.ok and report.pending == 3 and report.events == 5


def test_checkpoints_go_to_the_witness_after_commit(
    make_events: Callable[..., list[AuditEvent]], witness_file: Path, django_capture_on_commit_callbacks: Any
) -> None:
    make_events(3)
    with django_capture_on_commit_callbacks(execute=True):
        sealing.seal(batch=2)
    records = sealing.read_witness(str(witness_file))
    assert [r["tree_size"] for r in records] == [2, 3]
    last = sealing.latest_checkpoint()
    assert last is not None
    assert records[-1]["root"] == base64.b64encode(bytes(last.root_hash)).decode()
    assert records[-1]["body"] == sealing.body(last)
    assert verification.verify().witnessed == 2


def test_an_unreachable_witness_does_not_stop_sealing(make_events: Callable[..., list[AuditEvent]], tmp_path: Path) -> None:
    make_events(1)
    sealing.seal()
    last = sealing.latest_checkpoint()
    assert last is not None
    assert sealing.publish(last, str(tmp_path / "missing-dir" / "w.jsonl")) is False
    assert sealing.publish(last, "http://127.0.0.1:9/witness") is False


def test_a_rotated_signing_key_signs_new_checkpoints_and_old_ones_still_verify(
    make_events: Callable[..., list[AuditEvent]], settings: Any, tmp_path: Path
) -> None:
    settings.CLIENTVAULT_AUDIT_SIGNING_KEYSET = str(tmp_path / "signing.json")
    signing.reset_cache()
    try:
        make_events(2)
        sealing.seal()
        old = signing.signer().key_id
        new = signing.rotate()
        make_events(2)
        sealing.seal()
        assert new != old and set(signing.public_keys()) == {old, new}
        assert [c.key_id for c in Checkpoint.objects.order_by("tree_size")] == [old, new]
        assert verification.verify(witness="").ok
    finally:
        signing.reset_cache()


def test_the_signing_keyset_is_a_file_encrypted_under_the_master_key(settings: Any, tmp_path: Path) -> None:
    settings.CLIENTVAULT_AUDIT_SIGNING_KEYSET = str(tmp_path / "signing.json")
    signing.reset_cache()
    try:
        assert signing.initialise() is True
        assert signing.initialise() is False
        text = (tmp_path / "signing.json").read_text()
        assert "encryptedKeyset" in text and "keyData" not in text  # key material only in the encrypted blob
    finally:
        signing.reset_cache()


def test_a_missing_signing_key_is_refused_where_keys_are_not_created_automatically(settings: Any, tmp_path: Path) -> None:
    settings.CLIENTVAULT_AUDIT_SIGNING_KEYSET = str(tmp_path / "absent.json")
    settings.CLIENTVAULT_AUTO_INIT_KEYS = False
    signing.reset_cache()
    try:
        with pytest.raises(signing.SigningKeyMissing):
            signing.signer()
    finally:
        signing.reset_cache()


def test_a_clock_step_backwards_never_breaks_the_chain(
    make_events: Callable[..., list[AuditEvent]], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_events(1)
    sealing.seal()
    make_events(1)
    earlier = clock.now() - dt.timedelta(hours=1)
    monkeypatch.setattr(clock, "now", lambda: earlier)
    sealing.seal()
    assert verification.verify(witness="").ok


def test_sealing_needs_no_actor_and_records_nothing_itself(make_events: Callable[..., list[AuditEvent]]) -> None:
    make_events(2)
    sealing.seal()
    assert AuditEvent.objects.count() == 2  # sealing is not an event, or it would never finish
    assert system_context().actor is None


@pytest.mark.django_db(transaction=True)
def test_the_worker_seals_pending_events(make_events: Callable[..., list[AuditEvent]]) -> None:
    from django.core.management import call_command

    make_events(3)
    call_command("worker", "--batch", "--no-schedule")
    assert AuditLeaf.objects.count() == 3 and verification.verify(witness="").ok


def test_sealing_thousands_in_one_run_keeps_every_batch_continuous(make_events: Callable[..., list[AuditEvent]]) -> None:
    make_events(25)
    result = sealing.seal(batch=4)
    assert (result.sealed, result.checkpoints) == (25, 7)
    assert verification.verify(witness="").ok


def test_a_run_ends_once_it_has_caught_up_while_writers_keep_writing(
    make_events: Callable[..., list[AuditEvent]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under continuous writes one run must not go on in tiny batches (late commits below it would wait
    for its end): it stops at the first short batch, and the next run takes what arrived meanwhile."""
    make_events(6)
    original = sealing.pending_rows

    def while_writers_write(low: int, high: int, batch: int) -> list[dict[str, Any]]:
        rows = original(low, high, batch)
        make_events(1)  # committed while this batch is being sealed
        return rows

    monkeypatch.setattr(sealing, "pending_rows", while_writers_write)
    first = sealing.seal(batch=4, max_batches=10)  # without the stop it would run to the cap
    assert (first.sealed, first.checkpoints) == (4 + 3, 2)  # the 2nd batch: 2 old events and 1 new, short
    monkeypatch.setattr(sealing, "pending_rows", original)
    assert sealing.seal(batch=4).sealed == 1  # written during the 2nd batch
    assert verification.verify(witness="").ok
