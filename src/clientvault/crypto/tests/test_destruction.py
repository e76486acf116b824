"""Key destruction is one protocol across the two databases (issue #11, item 1)."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.management import call_command
from django.db import transaction

from clientvault.audit.models import AuditEvent
from clientvault.core import schedule
from clientvault.core.errors import PermissionDenied
from clientvault.crypto import cipher, keystore
from clientvault.crypto.models import CustomerKey, KeyDestruction, ShreddedKey
from clientvault.crypto.tasks import finish_key_destructions
from clientvault.customers import shredding
from clientvault.testing.actors import ctx

pytestmark = pytest.mark.django_db(databases=["default", "keys"])
MODEL = "customers.customer"


def new_customer() -> uuid.UUID:
    cid = uuid.uuid4()
    keystore.create_customer_key(cid)
    return cid


def test_a_failed_commit_of_the_audited_act_leaves_the_key_and_no_intent(org, audit_events):
    cid = new_customer()
    ciphertext = cipher.encrypt(cid, MODEL, "name", "王小明")

    class CommitFailed(Exception):
        pass

    def act_whose_commit_fails() -> None:
        with transaction.atomic():  # the act's transaction fails after the service ran
            shredding.shred_customer(ctx=ctx(org["compliance"]), customer_id=cid)
            raise CommitFailed

    with pytest.raises(CommitFailed):
        act_whose_commit_fails()
    assert CustomerKey.objects.filter(pk=cid).exists()
    assert not KeyDestruction.objects.filter(pk=cid).exists() and not ShreddedKey.objects.filter(pk=cid).exists()
    assert audit_events("crypto.key_shredded") == []
    keystore.cache.clear()
    assert cipher.decrypt(cid, MODEL, "name", ciphertext) == "王小明"


def test_the_key_goes_after_commit_with_one_event(org, audit_events, django_capture_on_commit_callbacks):
    cid = new_customer()
    with pytest.raises(PermissionDenied):
        shredding.shred_customer(ctx=ctx(org["rep_bj1"]), customer_id=cid)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert shredding.shred_customer(ctx=ctx(org["compliance"]), customer_id=cid) is True
    assert CustomerKey.objects.filter(pk=cid).exists()  # nothing destroyed before the commit
    for callback in callbacks:
        callback()
    assert not CustomerKey.objects.filter(pk=cid).exists() and ShreddedKey.objects.filter(pk=cid).exists()
    assert KeyDestruction.objects.get(pk=cid).destroyed_at is not None
    [event] = audit_events()
    assert event.event_type == "crypto.key_shredded" and event.customer_id == cid


def test_a_failed_destruction_after_commit_stays_pending_reads_as_shredded_and_the_sweep_finishes_it(
    org, monkeypatch, capsys, django_capture_on_commit_callbacks
):
    cid = new_customer()
    ciphertext = cipher.encrypt(cid, MODEL, "mobile", "13900001111")

    def key_store_down(customer_id: uuid.UUID) -> bool:
        raise ConnectionError("key store unreachable")

    monkeypatch.setattr(keystore, "shred_key", key_store_down)
    with django_capture_on_commit_callbacks(execute=True):  # the act commits; the destruction fails
        shredding.shred_customer(ctx=ctx(org["compliance"]), customer_id=cid)
    monkeypatch.undo()

    assert CustomerKey.objects.filter(pk=cid).exists()  # the key store failed: the key is still there …
    assert KeyDestruction.objects.get(pk=cid).destroyed_at is None  # … and the intent is pending
    keystore.cache.clear()
    with pytest.raises(keystore.KeyDestroyed):  # pending destruction decrypts nothing new
        cipher.decrypt(cid, MODEL, "mobile", ciphertext)
    with pytest.raises(keystore.KeyDestroyed):
        keystore.create_customer_key(cid)
    keystore.prefetch([cid])
    assert keystore.cache.get(cid) is None

    call_command("keys", "status")
    assert json.loads(capsys.readouterr().out)["pending_destruction"] == [str(cid)]

    assert "clientvault.crypto.tasks.finish_key_destructions" in {e.task_path for e in schedule.SCHEDULE}
    assert finish_key_destructions.call() == 1
    assert not CustomerKey.objects.filter(pk=cid).exists() and ShreddedKey.objects.filter(pk=cid).exists()
    assert keystore.status()["pending_destruction"] == []
    assert finish_key_destructions.call() == 0  # idempotent
    assert AuditEvent.objects.filter(event_type="crypto.key_shredded", customer_id=cid).count() == 1


def test_crypto_does_not_reach_into_the_customers_app():
    """Crypto sits below customers: it never imports (let alone writes) customer rows (item 6)."""
    import ast
    from pathlib import Path

    package = Path(keystore.__file__).parent
    offenders = []
    for path in package.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in getattr(node, "names", [])]
                if isinstance(node, ast.Import)
                else []
            )
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("clientvault.customers")]
    assert offenders == []
