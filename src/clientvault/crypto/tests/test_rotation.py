"""Re-wrapping is audited; a rotation writes its keyset file only once it is committed (issue #11, item 2)."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command
from django.db import transaction

from clientvault.core.context import system_context
from clientvault.crypto import keyring, keystore, services
from clientvault.crypto.tasks import rewrap_customer_keys

pytestmark = pytest.mark.django_db(databases=["default", "keys"])


def new_customers(n: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    keystore.create_customer_keys(ids)
    return ids


def test_a_rotation_that_fails_before_commit_leaves_the_keyset_file_untouched():
    path = keyring.files().kek
    keyring.loaded()
    before = path.read_bytes()
    primary = keyring.loaded().kek_primary_id

    class Failed(Exception):
        pass

    def rotation_whose_commit_fails() -> None:
        with transaction.atomic():
            services.rotate_keys(ctx=system_context(channel="cli"), rewrap_now=True)
            raise Failed

    with pytest.raises(Failed):
        rotation_whose_commit_fails()
    assert path.read_bytes() == before
    assert keyring.reload().kek_primary_id == primary


def test_the_rewrap_command_records_one_event_with_counts(capsys, audit_events):
    new_customers(3)
    keyring.rotate_kek()
    call_command("keys", "rewrap", "--batch", "2")
    assert "re-wrapped 3 customer keys; 0 pending" in capsys.readouterr().out
    [event] = audit_events()
    assert event.event_type == "crypto.keys_rewrapped"
    assert event.detail["rewrapped"] == 3 and event.detail["remaining"] == 0 and event.detail["trigger"] == "command"
    assert event.object_id == str(keyring.loaded().kek_primary_id)


def test_the_rewrap_task_is_audited_too(audit_events):
    new_customers(2)
    keyring.rotate_kek()
    assert rewrap_customer_keys.call() == 2
    [event] = audit_events()
    assert event.event_type == "crypto.keys_rewrapped" and event.detail == {
        "rewrapped": 2,
        "remaining": 0,
        "primary_key_id": keyring.loaded().kek_primary_id,
        "trigger": "rotation",
    }
