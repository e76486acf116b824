"""Retention (issue #4; RULES.md CSL-21-logs): per-class periods, never below six months; archive
writes each expired event with its proof before the row goes, and the tree still verifies."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import checks as django_checks
from django.core.management import call_command

from clientvault.audit import sealing, services, signing, verification
from clientvault.audit.checks import check_retention
from clientvault.audit.models import ArchivedLeaf, AuditArchive, AuditEvent
from clientvault.core import clock
from clientvault.core.context import system_context

pytestmark = pytest.mark.django_db
SCRIPT = Path(__file__).resolve().parents[4] / "scripts" / "verify_audit_proof.py"


@pytest.fixture
def archive_dir(tmp_path: Path, settings: Any) -> Path:
    settings.CLIENTVAULT_AUDIT_ARCHIVE_DIR = str(tmp_path / "archive")
    settings.CLIENTVAULT_AUDIT_RETENTION_DAYS = {"read": 200, "write": 400, "security": 400}
    return tmp_path / "archive"


def _aged(make_events: Callable[..., list[AuditEvent]], monkeypatch: pytest.MonkeyPatch, days: int, n: int, kind: str) -> list[AuditEvent]:
    then = clock.now() - dt.timedelta(days=days)
    with monkeypatch.context() as m:
        m.setattr(clock, "now", lambda: then)
        return make_events(n, kind)


def test_only_sealed_events_past_their_class_period_are_archived(
    make_events: Callable[..., list[AuditEvent]], monkeypatch: pytest.MonkeyPatch, archive_dir: Path
) -> None:
    old_reads = _aged(make_events, monkeypatch, 300, 3, "customer.viewed")  # read: 200 days → expired
    old_writes = _aged(make_events, monkeypatch, 300, 2, "customer.updated")  # write: 400 days → kept
    recent = make_events(2)
    sealing.seal()
    unsealed_old = _aged(make_events, monkeypatch, 300, 1, "customer.viewed")  # expired but not sealed → kept
    result = services.archive_expired(system_context(channel="cli"))
    assert result.events == 3
    remaining = set(AuditEvent.objects.values_list("pk", flat=True))
    assert not remaining & {e.pk for e in old_reads}
    assert {e.pk for e in old_writes + recent + unsealed_old} <= remaining
    archive = AuditArchive.objects.get()
    assert archive.event_count == 3 and ArchivedLeaf.objects.filter(archive=archive).count() == 3
    assert archive.cutoff == {"read": 200, "write": 400, "security": 400}
    recorded = AuditEvent.objects.get(event_type="audit.archived")
    assert recorded.detail["events"] == 3 and recorded.object_id == str(archive.pk)


def test_the_archive_file_holds_verifiable_proofs_and_the_log_still_verifies(
    make_events: Callable[..., list[AuditEvent]], monkeypatch: pytest.MonkeyPatch, archive_dir: Path
) -> None:
    _aged(make_events, monkeypatch, 365, 4, "customer.viewed")
    make_events(2)
    sealing.seal()
    services.archive_expired(system_context(channel="cli"))
    archive = AuditArchive.objects.get()
    data = (archive_dir / archive.file_name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == archive.file_sha256
    header, *lines = [json.loads(line) for line in data.decode().splitlines()]
    spec = importlib.util.spec_from_file_location("verify_audit_proof", SCRIPT)
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    key = base64.b64encode(signing.public_keys()[header["checkpoint"]["key_id"]]).decode()
    for proof in lines:
        assert script.check({**proof, "tree_size": header["tree_size"], "checkpoint": header["checkpoint"]}, key) == []
    sealing.seal()  # the audit.archived event itself
    report = verification.verify(witness="")
    assert report.ok and report.archived == 4


def test_nothing_expired_writes_no_file(make_events: Callable[..., list[AuditEvent]], archive_dir: Path) -> None:
    make_events(3)
    sealing.seal()
    assert services.archive_expired(system_context(channel="cli")).events == 0
    assert not archive_dir.exists() or not any(archive_dir.iterdir())
    assert not AuditArchive.objects.exists()


def test_a_period_below_the_minimum_is_raised_to_it(settings: Any) -> None:
    settings.CLIENTVAULT_AUDIT_RETENTION_DAYS = {"read": 30, "write": 2000, "security": 400}
    assert services.retention_days()["read"] == settings.CLIENTVAULT_AUDIT_RETENTION_MIN_DAYS


@pytest.mark.parametrize(
    "configured,minimum,fragment",
    [
        ({"read": 30, "write": 400, "security": 400}, 183, "below the minimum"),
        ({"read": 400, "write": 400, "security": 400, "debug": 1}, 183, "Unknown audit event classes"),
        ({"read": 400, "write": 400}, 183, "No retention period"),
        ({"read": 400, "write": 400, "security": 400}, 90, "below six months"),
    ],
)
def test_the_system_check_refuses_short_retention(settings: Any, configured: dict[str, int], minimum: int, fragment: str) -> None:
    settings.CLIENTVAULT_AUDIT_RETENTION_DAYS = configured
    settings.CLIENTVAULT_AUDIT_RETENTION_MIN_DAYS = minimum
    messages = check_retention(None)
    assert any(fragment in m.msg and m.id == "clientvault.E013" for m in messages)
    assert any(m.id == "clientvault.E013" for m in django_checks.run_checks())


def test_the_default_configuration_passes_the_check() -> None:
    assert check_retention(None) == []


def test_archive_command(
    make_events: Callable[..., list[AuditEvent]], monkeypatch: pytest.MonkeyPatch, archive_dir: Path, capsys: Any
) -> None:
    _aged(make_events, monkeypatch, 365, 2, "customer.viewed")
    sealing.seal()
    call_command("audit", "archive")
    assert "archived 2 event(s) to audit-archive-" in capsys.readouterr().out


def test_a_failed_archive_transaction_leaves_rows_and_no_file(
    make_events: Callable[..., list[AuditEvent]], monkeypatch: pytest.MonkeyPatch, archive_dir: Path
) -> None:
    old = _aged(make_events, monkeypatch, 365, 2, "customer.viewed")
    sealing.seal()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ArchivedLeaf.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        services.archive_expired(system_context(channel="cli"))
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in old]).count() == 2
    assert not AuditArchive.objects.exists() and not any(archive_dir.iterdir())
