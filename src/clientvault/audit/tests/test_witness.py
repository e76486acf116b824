"""The witness fails closed once a checkpoint was published to it (issue #11).

File witnesses are tampered with directly; the http(s) witness is a real server on 127.0.0.1 that
accepts POSTed checkpoints and answers GET with the latest one it holds.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from clientvault.audit import sealing, verification
from clientvault.audit.models import AuditEvent, WitnessPublication

pytestmark = pytest.mark.django_db

Events = Callable[..., list[AuditEvent]]
Sql = Callable[..., None]


class Witness(ThreadingHTTPServer):
    records: list[dict[str, Any]]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/witness"


class _Handler(BaseHTTPRequestHandler):
    server: Witness

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.server.records.append(json.loads(self.rfile.read(length)))
        self.send_response(201)
        self.end_headers()

    def do_GET(self) -> None:
        if not self.server.records:
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps(max(self.server.records, key=lambda r: int(r["tree_size"]))).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_witness(settings: Any) -> Iterator[Witness]:
    server = Witness(("127.0.0.1", 0), _Handler)
    server.records = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CLIENTVAULT_AUDIT_WITNESS = server.url
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _seal_and_publish(capture: Any, batch: int = 4) -> None:
    with capture(execute=True):
        sealing.seal(batch=batch)


def _messages(report: verification.Report) -> str:
    return " | ".join(p.message for p in report.problems)


def _cut_off_last(events: list[AuditEvent], as_dba: Sql, *, keep: int, size: int) -> None:
    for event in events[keep:]:
        as_dba("DELETE FROM audit_auditleaf WHERE event_pk = %s", [event.pk])
        as_dba("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    as_dba("DELETE FROM audit_checkpoint WHERE tree_size = %s", [size])


# --- file witness ---------------------------------------------------------------------------------


def test_publications_are_recorded(make_events: Events, witness_file: Path, django_capture_on_commit_callbacks: Any) -> None:
    make_events(10)
    _seal_and_publish(django_capture_on_commit_callbacks)
    assert sorted(WitnessPublication.objects.values_list("tree_size", flat=True)) == [4, 8, 10]
    assert sealing.published_size() == 10 and verification.verify().ok


def test_a_failed_publication_is_not_recorded(make_events: Events, tmp_path: Path) -> None:
    make_events(1)
    sealing.seal()
    last = sealing.latest_checkpoint()
    assert last is not None and sealing.publish(last, str(tmp_path / "no-dir" / "w.jsonl")) is False
    assert not WitnessPublication.objects.exists()


def test_a_missing_witness_before_anything_was_published_is_fine(make_events: Events, witness_file: Path) -> None:
    make_events(3)
    sealing.seal()  # no on-commit publication in this test transaction
    assert not witness_file.exists() and verification.verify().ok


def test_deleting_the_witness_file_and_cutting_off_the_last_events_fails(
    make_events: Events, witness_file: Path, as_dba: Sql, django_capture_on_commit_callbacks: Any
) -> None:
    events = make_events(10)
    _seal_and_publish(django_capture_on_commit_callbacks)
    witness_file.unlink()
    _cut_off_last(events, as_dba, keep=8, size=10)
    assert verification.verify(witness="").ok  # the database on its own is consistent …
    report = verification.verify()
    assert not report.ok and {p.kind for p in report.problems} == {"witness"}
    assert "the witness file is missing" in _messages(report)
    assert "checkpoint 10 was published to the witness, but the database ends at 8" in _messages(report)


def test_a_deleted_witness_file_alone_fails(make_events: Events, witness_file: Path, django_capture_on_commit_callbacks: Any) -> None:
    make_events(5)
    _seal_and_publish(django_capture_on_commit_callbacks)
    witness_file.unlink()
    assert "the witness file is missing" in _messages(verification.verify())


def test_a_witness_file_rolled_back_is_behind(make_events: Events, witness_file: Path, django_capture_on_commit_callbacks: Any) -> None:
    make_events(10)
    _seal_and_publish(django_capture_on_commit_callbacks)
    witness_file.write_text("\n".join(witness_file.read_text().splitlines()[:2]) + "\n")  # checkpoints 4 and 8 only
    report = verification.verify()
    assert not report.ok and "the witness is behind" in _messages(report)


def test_an_unreadable_witness_fails(
    make_events: Events, witness_file: Path, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    make_events(2)
    _seal_and_publish(django_capture_on_commit_callbacks)
    settings.CLIENTVAULT_AUDIT_WITNESS = str(tmp_path)  # a directory: open() fails, not with FileNotFoundError
    assert "the witness cannot be read" in _messages(verification.verify())


def test_unconfiguring_the_witness_after_publishing_fails(
    make_events: Events, witness_file: Path, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_events(2)
    _seal_and_publish(django_capture_on_commit_callbacks)
    settings.CLIENTVAULT_AUDIT_WITNESS = ""
    assert "no witness is configured" in _messages(verification.verify())


# --- http witness ---------------------------------------------------------------------------------


def test_an_http_witness_is_read_back_and_agrees(
    make_events: Events, http_witness: Witness, django_capture_on_commit_callbacks: Any
) -> None:
    make_events(10)
    _seal_and_publish(django_capture_on_commit_callbacks)
    assert [r["tree_size"] for r in http_witness.records] == [4, 8, 10]
    report = verification.verify()
    assert report.ok and report.witnessed == 1  # GET answers the latest checkpoint


def test_an_http_witness_that_is_behind_fails(make_events: Events, http_witness: Witness, django_capture_on_commit_callbacks: Any) -> None:
    make_events(10)
    _seal_and_publish(django_capture_on_commit_callbacks)
    del http_witness.records[-1]  # the witness lost checkpoint 10 (restored from an old backup, or replaced)
    report = verification.verify()
    assert not report.ok and "holds checkpoints up to 8" in _messages(report)
    http_witness.records.clear()  # … or holds nothing at all (404)
    assert "holds checkpoints up to 0" in _messages(verification.verify())


def test_an_unreachable_http_witness_fails(make_events: Events, http_witness: Witness, django_capture_on_commit_callbacks: Any) -> None:
    make_events(3)
    _seal_and_publish(django_capture_on_commit_callbacks)
    http_witness.shutdown()
    http_witness.server_close()
    report = verification.verify()
    assert not report.ok and "the witness cannot be read" in _messages(report)


def test_an_unreachable_http_witness_before_any_publication_is_fine(make_events: Events, settings: Any) -> None:
    settings.CLIENTVAULT_AUDIT_WITNESS = "http://127.0.0.1:9/witness"
    make_events(2)
    sealing.seal()
    assert verification.verify().ok


def test_cutting_off_events_is_caught_by_the_http_witness(
    make_events: Events, http_witness: Witness, as_dba: Sql, django_capture_on_commit_callbacks: Any
) -> None:
    events = make_events(10)
    _seal_and_publish(django_capture_on_commit_callbacks)
    _cut_off_last(events, as_dba, keep=8, size=10)
    as_dba("DELETE FROM audit_witnesspublication")  # even with our own note of the publication gone
    report = verification.verify()
    assert not report.ok and "the witness holds checkpoint 10, but the database ends at 8" in _messages(report)


def test_rewriting_history_is_caught_by_the_http_witness(
    make_events: Events, http_witness: Witness, as_dba: Sql, django_capture_on_commit_callbacks: Any
) -> None:
    events = make_events(10)
    _seal_and_publish(django_capture_on_commit_callbacks)
    as_dba("UPDATE audit_auditevent SET purpose = 'forged' WHERE id = %s", [events[9].pk])
    as_dba("DELETE FROM audit_checkpoint")
    as_dba("DELETE FROM audit_auditleaf")
    sealing.seal(batch=4)  # re-signed with the real key, not published
    report = verification.verify()
    assert {p.kind for p in report.problems} == {"witness"} and "another root" in _messages(report)
