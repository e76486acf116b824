"""Cutting off the end of the log (issue #11): what the database alone can and cannot show.

Without a witness the newest checkpoint, its leaves and its events can go without a trace, so
production refuses to start without one. Unsealed events can vanish until the next seal (seconds);
an event still unsealed after the sealing grace period is reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from clientvault.audit import checks, sealing, verification
from clientvault.audit.models import AuditEvent
from clientvault.core import clock

pytestmark = pytest.mark.django_db

Events = Callable[..., list[AuditEvent]]
Sql = Callable[..., None]


def _cut(events: list[AuditEvent], as_dba: Sql, size: int | None) -> None:
    for event in events:
        as_dba("DELETE FROM audit_auditleaf WHERE event_pk = %s", [event.pk])
        as_dba("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    if size is not None:
        as_dba("DELETE FROM audit_checkpoint WHERE tree_size = %s", [size])


def test_without_a_witness_cutting_off_the_newest_checkpoint_is_invisible(make_events: Events, as_dba: Sql, settings: Any) -> None:
    """The gap the production check closes: the database on its own verifies after the cut."""
    settings.CLIENTVAULT_AUDIT_WITNESS = ""
    events = make_events(10)
    sealing.seal(batch=4)
    _cut(events[8:], as_dba, 10)
    report = verification.verify()
    assert report.ok and report.tree_size == 8


def test_with_a_witness_the_same_cut_fails(
    make_events: Events, as_dba: Sql, witness_file: Path, django_capture_on_commit_callbacks: Any
) -> None:
    events = make_events(10)
    with django_capture_on_commit_callbacks(execute=True):
        sealing.seal(batch=4)
    _cut(events[8:], as_dba, 10)
    assert not verification.verify().ok


def test_unsealed_events_can_vanish_only_until_the_next_seal(make_events: Events, as_dba: Sql) -> None:
    make_events(3)
    sealing.seal()
    fresh = make_events(2)
    _cut(fresh[1:], as_dba, None)  # inside the sealing interval nothing commits to it yet
    assert verification.verify(witness="").ok
    sealing.seal()
    _cut(fresh[:1], as_dba, None)  # once sealed, its leaf and the signed root remember it
    report = verification.verify(witness="")
    assert not report.ok and report.first_bad_position == 3


def test_an_event_unsealed_past_the_grace_period_fails_even_before_any_checkpoint(make_events: Events, settings: Any) -> None:
    settings.CLIENTVAULT_AUDIT_SEAL_GRACE_SECONDS = 120
    start = clock.now()
    with clock.travel(start):
        make_events(1)
        assert verification.verify(witness="").pending == 1  # within the grace period: pending
    with clock.travel(start + dt.timedelta(seconds=121)):
        report = verification.verify(witness="")
    assert not report.ok and {p.kind for p in report.problems} == {"unsealed"} and report.pending == 0


def test_an_event_unsealed_past_the_grace_period_fails_when_the_sealer_stopped(make_events: Events, settings: Any) -> None:
    settings.CLIENTVAULT_AUDIT_SEAL_GRACE_SECONDS = 120
    start = clock.now() - dt.timedelta(minutes=30)
    with clock.travel(start):
        make_events(2)
        sealing.seal()  # the last checkpoint the (then stopped) sealer signed
    with clock.travel(start + dt.timedelta(minutes=1)):
        make_events(1)  # never sealed: the sealer is not running
    with clock.travel(start + dt.timedelta(minutes=2)):
        assert verification.verify(witness="").ok  # still within the grace period
    report = verification.verify(witness="")
    assert [p.kind for p in report.problems] == ["unsealed"]


def test_production_refuses_to_start_without_a_witness(tmp_path: Path) -> None:
    keyset = tmp_path / "signing.json"
    keyset.write_text("{}")
    with override_settings(IS_PRODUCTION=True, CLIENTVAULT_AUDIT_SIGNING_KEYSET=str(keyset), CLIENTVAULT_AUDIT_WITNESS=""):
        found = checks.check_production_audit(None)
    assert [(m.id, m.level >= 40) for m in found] == [("clientvault.E031", True)]
    with override_settings(
        IS_PRODUCTION=True, CLIENTVAULT_AUDIT_SIGNING_KEYSET=str(keyset), CLIENTVAULT_AUDIT_WITNESS="/srv/witness.jsonl"
    ):
        assert checks.check_production_audit(None) == []
    with override_settings(IS_PRODUCTION=False, CLIENTVAULT_AUDIT_WITNESS=""):
        assert checks.check_production_audit(None) == []


def test_the_server_start_refuses_it(tmp_path: Path, capsys: Any) -> None:
    from clientvault import startup

    keyset = tmp_path / "signing.json"
    keyset.write_text("{}")
    with (
        override_settings(IS_PRODUCTION=True, CLIENTVAULT_AUDIT_SIGNING_KEYSET=str(keyset), CLIENTVAULT_AUDIT_WITNESS=""),
        pytest.raises(SystemExit),
    ):
        startup.refuse_unsafe_configuration()
    assert "No audit witness is configured" in capsys.readouterr().err
