"""Field encryption, key rotation, crypto-shredding and blind indexes (issue #3; ARCHITECTURE.md rule 6)."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tink import core  # type: ignore[import-untyped]

from clientvault.audit.models import AuditEvent
from clientvault.core.context import system_context
from clientvault.crypto import cipher, keyring, keystore, services
from clientvault.crypto.models import CustomerKey

pytestmark = pytest.mark.django_db(databases=["default", "keys"])
MODEL = "customers.customer"


def new_customer() -> uuid.UUID:
    cid = uuid.uuid4()
    keystore.create_customer_key(cid)
    return cid


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(text=st.text(max_size=300))
def test_round_trip_any_text(text):
    cid = new_customer()
    ciphertext = cipher.encrypt(cid, MODEL, "name", text)
    assert len(text.encode()) < 8 or text.encode() not in ciphertext  # shorter runs can occur by chance
    assert cipher.decrypt(cid, MODEL, "name", ciphertext) == text


def test_ciphertext_cannot_move_between_fields_models_or_customers():
    a, b = new_customer(), new_customer()
    ciphertext = cipher.encrypt(a, MODEL, "id_number", "11010519491231002X")
    for model, field, customer in ((MODEL, "mobile", a), ("customers.followup", "id_number", a), (MODEL, "id_number", b)):
        with pytest.raises(core.TinkError):
            cipher.decrypt(customer, model, field, ciphertext)
    tampered = bytearray(ciphertext)
    tampered[-1] ^= 1
    with pytest.raises(core.TinkError):
        cipher.decrypt(a, MODEL, "id_number", bytes(tampered))


def test_same_plaintext_encrypts_differently_each_time():
    cid = new_customer()
    assert cipher.encrypt(cid, MODEL, "name", "张三") != cipher.encrypt(cid, MODEL, "name", "张三")


def test_rotated_keys_still_decrypt_and_rewrap_moves_everything_to_the_new_primary():
    cids = [new_customer() for _ in range(5)]
    ciphertexts = {cid: cipher.encrypt(cid, MODEL, "mobile", "13800138000") for cid in cids}
    old_primary = keyring.loaded().kek_primary_id
    new_primary = keyring.rotate_kek()
    assert new_primary != old_primary and keyring.loaded().kek_primary_id == new_primary
    keystore.cache.clear()  # force unwrapping under the rotated keyset
    assert all(cipher.decrypt(cid, MODEL, "mobile", ct) == "13800138000" for cid, ct in ciphertexts.items())
    before: dict[str, Any] = keystore.status()
    assert before["pending_rewrap"] >= 5 and old_primary in before["old_keys_in_use"]
    late = new_customer()
    assert CustomerKey.objects.get(pk=late).kek_key_id == new_primary
    assert keystore.rewrap(batch=2) >= 5
    after = keystore.status()
    assert after["pending_rewrap"] == 0 and after["old_keys_in_use"] == []
    keystore.cache.clear()
    assert all(cipher.decrypt(cid, MODEL, "mobile", ct) == "13800138000" for cid, ct in ciphertexts.items())


def test_shredded_customer_is_unreadable_in_a_copy_of_the_database_file(tmp_path):
    victim, bystander = new_customer(), new_customer()
    data = tmp_path / "data.sqlite3"
    with sqlite3.connect(data) as db:
        db.execute("CREATE TABLE customer (id TEXT, name BLOB, mobile BLOB)")
        for cid, name, mobile in ((victim, "王小明", "13900001111"), (bystander, "李雷", "13900002222")):
            db.execute(
                "INSERT INTO customer VALUES (?, ?, ?)",
                (str(cid), cipher.encrypt(cid, MODEL, "name", name), cipher.encrypt(cid, MODEL, "mobile", mobile)),
            )
    backup = tmp_path / "backup.sqlite3"
    shutil.copy(data, backup)
    assert "王小明".encode() not in backup.read_bytes() and b"13900001111" not in backup.read_bytes()

    assert keystore.shred_key(victim) is True

    with sqlite3.connect(backup) as db:
        rows = {uuid.UUID(r[0]): (r[1], r[2]) for r in db.execute("SELECT id, name, mobile FROM customer")}
    with pytest.raises(keystore.KeyDestroyed):
        cipher.decrypt(victim, MODEL, "name", rows[victim][0])
    assert cipher.decrypt(bystander, MODEL, "mobile", rows[bystander][1]) == "13900002222"
    with pytest.raises(keystore.KeyDestroyed):  # the tombstone stops a silent re-creation
        keystore.create_customer_key(victim)


def test_key_cache_lifetime_is_bounded_so_shredding_reaches_other_processes():
    cid = new_customer()
    ciphertext = cipher.encrypt(cid, MODEL, "name", "赵六")
    now = [1000.0]
    other_process = keystore.KeyCache(ttl=60, clock=lambda: now[0])
    other_process.put(cid, keystore.primitive(cid))
    keystore.shred_key(cid)
    with pytest.raises(keystore.KeyDestroyed):  # this process dropped its cached key at once
        cipher.decrypt(cid, MODEL, "name", ciphertext)
    assert other_process.get(cid) is not None  # another process may still hold it …
    now[0] += 60
    assert other_process.get(cid) is None  # … for at most the cache lifetime


def test_blind_indexes_are_keyed_normalised_and_domain_separated():
    bi = cipher.blind_index
    assert bi("mobile", "+86 138-0013-8000") == bi("mobile", "13800138000") != b""
    assert bi("id_number", "１１０１０５１９４９１２３１００２ｘ") == bi("id_number", "11010519491231002X")
    assert bi("email", " Zhang@Example.CN ") == bi("email", "zhang@example.cn")
    assert bi("name", "张 三") == bi("name", "张三") != bi("name", "张四")
    assert bi("mobile", "13800138000") != bi("bank_card", "13800138000")
    assert len(bi("uscc", "91350100M000100Y43")) == 16
    assert bi("email", "   ") == b""


def test_keyset_files_are_encrypted_and_bound_to_their_role(settings, tmp_path):
    paths = keyring.files()
    text = paths.kek.read_text()
    assert "encryptedKeyset" in text and "keyData" not in text  # key info (ids, types) only, no key material
    swapped = tmp_path / "keys"
    swapped.mkdir()
    shutil.copy(paths.bidx, swapped / paths.kek.name)
    shutil.copy(paths.kek, swapped / paths.bidx.name)
    settings.CLIENTVAULT_KEYS_DIR = str(swapped)
    settings.CLIENTVAULT_AUTO_INIT_KEYS = False
    keyring.reset_cache()
    try:
        with pytest.raises(core.TinkError):
            keyring.loaded()
    finally:
        settings.CLIENTVAULT_KEYS_DIR = str(paths.kek.parent)
        keyring.reset_cache()


def test_a_wrong_master_key_cannot_open_the_keysets(settings):
    import base64

    settings.CLIENTVAULT_MASTER_KEY = base64.b64encode(b"x" * 32).decode()
    keyring.reset_cache()
    try:
        with pytest.raises(core.TinkError):
            keyring.loaded()
    finally:
        keyring.reset_cache()


def test_rotation_in_another_process_is_picked_up(monkeypatch):
    first = keyring.loaded().kek_primary_id
    new_id = keyring.rotate_kek()
    monkeypatch.setattr(keyring, "_loaded", keyring._loaded)  # keep the object, but …
    keyring.reset_cache()
    assert keyring.loaded().kek_primary_id == new_id != first


def test_keys_command_init_status_rotate(capsys, django_capture_on_commit_callbacks):
    call_command("keys", "init")
    call_command("keys", "status")
    assert '"primary_key_id"' in capsys.readouterr().out
    before = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("keys", "rotate", "--now")
    assert "new primary key-encryption key" in capsys.readouterr().out
    types = list(AuditEvent.objects.order_by("id").values_list("event_type", flat=True)[before:])
    assert types == ["crypto.keys_rotated", "crypto.keys_rewrapped"]
    assert keystore.status()["pending_rewrap"] == 0


def test_rotation_without_now_enqueues_the_background_rewrap(django_capture_on_commit_callbacks):
    new_customer()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        new_id = services.rotate_keys(ctx=system_context(channel="cli"))
    assert len(callbacks) == 2  # write the keyset file, then enqueue the re-wrap
    assert keyring.reload().kek_primary_id != new_id
    callbacks[0]()
    assert keyring.loaded().kek_primary_id == new_id


def test_concurrent_rotations_keep_every_key():
    import threading

    before = set(keyring.loaded().kek_key_ids)
    made: list[int] = []
    threads = [threading.Thread(target=lambda: made.append(keyring.rotate_kek())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keyring.reset_cache()
    assert before | set(made) <= set(keyring.loaded().kek_key_ids)


def test_a_missing_blind_index_keyset_is_not_silently_recreated(settings, tmp_path):
    paths = keyring.files()
    lonely = tmp_path / "keys"
    lonely.mkdir()
    shutil.copy(paths.kek, lonely / paths.kek.name)
    settings.CLIENTVAULT_KEYS_DIR = str(lonely)
    try:
        with pytest.raises(keyring.KeysMissing):
            keyring.initialise()
    finally:
        settings.CLIENTVAULT_KEYS_DIR = str(paths.kek.parent)
        keyring.reset_cache()
