"""``audit prove``: an inclusion proof a third party checks with SHA-256 and Ed25519 alone."""

from __future__ import annotations

import base64
import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clientvault.audit import merkle, proofs, sealing, signing
from clientvault.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
SCRIPT = Path(__file__).resolve().parents[4] / "scripts" / "verify_audit_proof.py"


@pytest.fixture(scope="module")
def third_party() -> ModuleType:
    """The standalone verifier, loaded from its file: it imports nothing from clientvault."""
    assert "clientvault" not in SCRIPT.read_text(encoding="utf-8").split('"""', 2)[2].split("def ")[0]
    spec = importlib.util.spec_from_file_location("verify_audit_proof", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _public_key(document: dict[str, Any]) -> str:
    return base64.b64encode(signing.public_keys()[document["checkpoint"]["key_id"]]).decode()


def test_every_event_has_a_proof_the_third_party_procedure_accepts(
    make_events: Callable[..., list[AuditEvent]], third_party: ModuleType
) -> None:
    events = make_events(13)
    sealing.seal(batch=5)
    for event in events:
        document = proofs.prove(event)
        assert document["tree_size"] == 13
        assert third_party.check(document, _public_key(document)) == []


def test_the_standalone_folding_equals_the_library(third_party: ModuleType) -> None:
    for n in range(1, 20):
        leaves = [merkle.leaf_hash(bytes([i])) for i in range(n)]
        for i in range(n):
            assert third_party.root_from_path(i, n, leaves[i], merkle.inclusion_proof(i, leaves)) == merkle.root(leaves)


@pytest.mark.parametrize("tamper", ["entry", "index", "path", "signature", "root_line"])
def test_a_changed_proof_fails_the_procedure(make_events: Callable[..., list[AuditEvent]], third_party: ModuleType, tamper: str) -> None:
    events = make_events(6)
    sealing.seal()
    document = proofs.prove(events[2])
    key = _public_key(document)
    if tamper == "entry":
        document["entry"] = document["entry"].replace('"outcome":"success"', '"outcome":"denied"')
    elif tamper == "index":
        document["leaf_index"] = 3
    elif tamper == "path":
        document["proof"][0] = "00" * 32
    elif tamper == "signature":
        document["checkpoint"]["signature"] = base64.b64encode(b"\x01" * 64).decode()
    else:
        document["checkpoint"]["body"] = document["checkpoint"]["body"].replace("size 6", "size 7")
    assert third_party.check(document, key) != []


def test_another_public_key_fails_the_procedure(make_events: Callable[..., list[AuditEvent]], third_party: ModuleType) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    events = make_events(2)
    sealing.seal()
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert third_party.check(proofs.prove(events[0]), base64.b64encode(other).decode()) != []


def test_an_unsealed_event_has_no_proof_yet(make_events: Callable[..., list[AuditEvent]]) -> None:
    event = make_events(1)[0]
    with pytest.raises(proofs.NotSealed):
        proofs.prove(event)
    with pytest.raises(CommandError, match="not sealed yet"):
        call_command("audit", "prove", str(event.event_id))


def test_prove_command_by_event_id_and_number(
    make_events: Callable[..., list[AuditEvent]], tmp_path: Path, capsys: Any, third_party: ModuleType
) -> None:
    events = make_events(4)
    call_command("audit", "seal")
    assert "sealed 4 event(s)" in capsys.readouterr().out
    call_command("audit", "prove", str(events[1].event_id))
    document = json.loads(capsys.readouterr().out)
    assert document["event_id"] == str(events[1].event_id)
    out = tmp_path / "proof.json"
    call_command("audit", "prove", str(events[1].pk), "--out", str(out))
    assert json.loads(out.read_text()) == document
    # The script's command line, as a third party would run it.
    sys_argv = ["verify_audit_proof.py", str(out), _public_key(document)]
    assert third_party.main(sys_argv) == 0
    assert "OK: event" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no audit event"):
        call_command("audit", "prove", "00000000-0000-4000-8000-00000000dead")
    with pytest.raises(CommandError, match="neither an event id"):
        call_command("audit", "prove", "not-an-id")


def test_pubkey_command_prints_the_keys_checkpoints_name(make_events: Callable[..., list[AuditEvent]], capsys: Any) -> None:
    make_events(1)
    sealing.seal()
    call_command("audit", "pubkey")
    printed = json.loads(capsys.readouterr().out)
    last = sealing.latest_checkpoint()
    assert last is not None and printed["algorithm"] == "Ed25519" and last.key_id in printed["keys"]
    assert len(base64.b64decode(printed["keys"][last.key_id])) == 32


def test_prove_many_lists_unsealed_events_apart(make_events: Callable[..., list[AuditEvent]]) -> None:
    sealed = make_events(3)
    sealing.seal()
    fresh = make_events(1)
    bundle = proofs.prove_many([*sealed, *fresh])
    assert [p["event_id"] for p in bundle["proofs"]] == [str(e.event_id) for e in sealed]
    assert bundle["unsealed"] == [str(fresh[0].event_id)]


@pytest.mark.parametrize(
    ("content", "says"),
    [(None, "cannot read"), ("not json", "not a clientvault proof"), ('{"entry": "x"}', "not a clientvault proof")],
)
def test_the_standalone_verifier_explains_unreadable_input(
    third_party: ModuleType, tmp_path: Path, capsys: Any, content: str | None, says: str
) -> None:
    path = tmp_path / "proof.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert third_party.main(["verify_audit_proof.py", str(path), "AAAA"]) == 2
    assert says in capsys.readouterr().out
