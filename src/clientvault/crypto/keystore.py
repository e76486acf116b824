"""The key store: a data key per customer, wrapped under the key-encryption key, and its life cycle.

Creating, loading (one at a time or a page at once), shredding (intent, then deletion after commit),
re-wrapping after a rotation, and the store's status. Sealing and opening fields with these keys is
``crypto/cipher.py``. Unwrapped data keys sit in a small per-process cache with a bounded lifetime;
shredding drops the key from the store and from this process's cache, and other processes lose it
within ``CLIENTVAULT_KEY_CACHE_SECONDS`` (ARCHITECTURE.md pitfalls: key caches).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Collection

import tink  # type: ignore[import-untyped]
from django.conf import settings
from django.db import IntegrityError, transaction
from tink import aead, secret_key_access  # type: ignore[import-untyped]

from clientvault.core import bulk, clock
from clientvault.crypto import keyring
from clientvault.crypto.models import CustomerKey, KeyDestruction, ShreddedKey
from clientvault.crypto.router import KEYS_DB


class KeyDestroyed(Exception):
    """The customer's data key was shredded: their encrypted fields are gone for good."""


class KeyMissing(Exception):
    """No data key exists for the customer (it was never created)."""


def _dek_ad(customer_id: uuid.UUID) -> bytes:
    return b"clientvault/dek/v1|" + customer_id.bytes


def kek_key_id_of(wrapped: bytes) -> int:
    """Tink's output prefix: 0x01 then the 4-byte id of the key that produced the ciphertext."""
    return int.from_bytes(wrapped[1:5], "big")


def _wrap(customer_id: uuid.UUID, dek: tink.KeysetHandle) -> tuple[bytes, int]:
    ring = keyring.loaded()
    raw = tink.proto_keyset_format.serialize(dek, secret_key_access.TOKEN)
    wrapped = ring.kek.encrypt(raw, _dek_ad(customer_id))
    return wrapped, kek_key_id_of(wrapped)


def _unwrap_raw(customer_id: uuid.UUID, wrapped: bytes) -> bytes:
    """Unwrap a data key. A key wrapped under a key-encryption key this process does not hold yet (a
    rotation in another process, its keyset file newer than our copy) reloads the keyset and tries
    once more, so a rotation costs no failed request."""
    wrapped = bytes(wrapped)
    ring = keyring.loaded()
    if kek_key_id_of(wrapped) not in ring.kek_key_ids:
        ring = keyring.reload()
        return bytes(ring.kek.decrypt(wrapped, _dek_ad(customer_id)))
    try:
        return bytes(ring.kek.decrypt(wrapped, _dek_ad(customer_id)))
    except tink.TinkError:
        return bytes(keyring.reload().kek.decrypt(wrapped, _dek_ad(customer_id)))


def _unwrap(customer_id: uuid.UUID, wrapped: bytes) -> aead.Aead:
    raw = _unwrap_raw(customer_id, wrapped)
    return tink.proto_keyset_format.parse(raw, secret_key_access.TOKEN).primitive(aead.Aead)


class KeyCache:
    """A bounded, time-limited cache of unwrapped data keys."""

    def __init__(self, *, ttl: float, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.max_entries, self.clock = ttl, max_entries, clock
        self._entries: OrderedDict[uuid.UUID, tuple[aead.Aead, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, customer_id: uuid.UUID) -> aead.Aead | None:
        with self._lock:
            entry = self._entries.get(customer_id)
            if entry is None:
                return None
            if self.clock() - entry[1] >= self.ttl:
                del self._entries[customer_id]
                return None
            self._entries.move_to_end(customer_id)
            return entry[0]

    def put(self, customer_id: uuid.UUID, primitive: aead.Aead) -> None:
        with self._lock:
            self._entries[customer_id] = (primitive, self.clock())
            self._entries.move_to_end(customer_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def drop(self, customer_id: uuid.UUID) -> None:
        with self._lock:
            self._entries.pop(customer_id, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


cache = KeyCache(ttl=float(getattr(settings, "CLIENTVAULT_KEY_CACHE_SECONDS", 60)))


def create_customer_key(customer_id: uuid.UUID) -> None:
    """Give a customer a data key (idempotent). Refuses for a customer whose key was shredded."""
    if _destruction_requested([customer_id]):
        raise KeyDestroyed(str(customer_id))
    if CustomerKey.objects.filter(pk=customer_id).exists():
        return
    if ShreddedKey.objects.filter(pk=customer_id).exists():
        raise KeyDestroyed(str(customer_id))
    dek = tink.new_keyset_handle(aead.aead_key_templates.AES256_GCM)
    wrapped, kek_id = _wrap(customer_id, dek)
    try:
        with transaction.atomic(using=KEYS_DB):
            CustomerKey.objects.create(customer_id=customer_id, wrapped=wrapped, kek_key_id=kek_id)
    except IntegrityError:
        pass  # created concurrently: the other writer's key stands
    cache.drop(customer_id)


def create_customer_keys(customer_ids: list[uuid.UUID], batch_size: int = 500) -> None:
    """Create data keys for many new customers in one key-store transaction (bulk import)."""
    if ShreddedKey.objects.filter(pk__in=customer_ids).exists() or _destruction_requested(customer_ids):
        raise KeyDestroyed("a customer in the batch had its key destroyed")
    existing = set(CustomerKey.objects.filter(pk__in=customer_ids).values_list("pk", flat=True))
    rows = []
    fresh: list[tuple[uuid.UUID, tink.KeysetHandle]] = []
    for cid in customer_ids:
        if cid in existing:
            continue
        dek = tink.new_keyset_handle(aead.aead_key_templates.AES256_GCM)
        wrapped, kek_id = _wrap(cid, dek)
        rows.append(CustomerKey(customer_id=cid, wrapped=wrapped, kek_key_id=kek_id))
        fresh.append((cid, dek))
    with transaction.atomic(using=KEYS_DB):
        bulk.insert(CustomerKey, rows, batch_size=batch_size)
    # Committed, and checked above against shredding: the new keys go straight into this process's cache, so
    # sealing the new rows does not read each key back from the store (bulk import, issue #14).
    for cid, dek in fresh:
        cache.put(cid, dek.primitive(aead.Aead))


def _wrapped_keys(customer_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, bytes]]:
    """(customer id, wrapped key) of those customers that have a key: one key-store statement."""
    from django.db import connections

    if not customer_ids:
        return []
    conn = connections[KEYS_DB]
    meta = CustomerKey._meta
    pk = meta.pk
    assert pk is not None
    quote = conn.ops.quote_name
    table, id_col, wrapped_col = quote(meta.db_table), quote(pk.column), quote(meta.get_field("wrapped").column)
    marks = ", ".join(["%s"] * len(customer_ids))
    # Names come from model metadata, quoted by the backend; the ids are parameters.
    sql = f"SELECT {id_col}, {wrapped_col} FROM {table} WHERE {id_col} IN ({marks})"  # noqa: S608
    with conn.cursor() as cursor:
        cursor.execute(sql, [pk.get_db_prep_value(cid, conn) for cid in customer_ids])
        return [(pk.to_python(cid), bytes(wrapped)) for cid, wrapped in cursor.fetchall()]


def primitive(customer_id: uuid.UUID) -> aead.Aead:
    primitive = cache.get(customer_id)
    if primitive is not None:
        return primitive
    if _destruction_requested([customer_id]):
        raise KeyDestroyed(str(customer_id))  # pending destruction reads as destroyed
    found = _wrapped_keys([customer_id])
    if not found:
        if ShreddedKey.objects.filter(pk=customer_id).exists():
            raise KeyDestroyed(str(customer_id))
        raise KeyMissing(str(customer_id))
    primitive = _unwrap(customer_id, found[0][1])
    cache.put(customer_id, primitive)
    return primitive


def prefetch(customer_ids: list[uuid.UUID], *, doomed: Collection[uuid.UUID] | None = None) -> None:
    """Load the keys of a page of customers in one key-store query (lists stay at a constant query count).

    ``doomed``: the customers among these whose key destruction was requested, when the caller read that
    in the same transaction as their rows (``customers.vault.with_key_state``) — the separate check is
    then skipped, and a doomed key is dropped from this process's cache at once (crypto-shredding is not
    defeated by the cache: a doomed customer's fields then fail with ``KeyDestroyed``)."""
    if doomed is not None:
        for cid in doomed:
            cache.drop(cid)
    missing = [cid for cid in customer_ids if cache.get(cid) is None]
    if not missing:
        return
    excluded = _destruction_requested(missing) if doomed is None else set(doomed)
    for cid, wrapped in _wrapped_keys([cid for cid in missing if cid not in excluded]):
        cache.put(cid, _unwrap(cid, wrapped))


def key_exists(customer_id: uuid.UUID) -> bool:
    """Whether the key store holds a data key for this customer."""
    return CustomerKey.objects.filter(pk=customer_id).exists()


def _destruction_requested(customer_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """The customers among these whose key destruction was requested (pending or done)."""
    return set(KeyDestruction.objects.filter(pk__in=customer_ids).values_list("pk", flat=True))


def request_destruction(customer_id: uuid.UUID) -> None:
    """Step one of crypto-shredding, inside the caller's transaction on the data database (which also
    records the act's audit event): write the intent; the key goes once that transaction commits.

    If the transaction rolls back, neither the intent nor the event exists and the key stays. If the key
    store fails after the commit, the intent stays pending and ``finish_pending_destructions`` (the
    worker's sweep) completes it; meanwhile the key decrypts nothing (``primitive`` refuses it).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("request_destruction must run inside the transaction that records the act")
    KeyDestruction.objects.get_or_create(customer_id=customer_id)
    cache.drop(customer_id)
    transaction.on_commit(lambda: _destroy_after_commit(customer_id))


def _destroy_after_commit(customer_id: uuid.UUID) -> None:
    import logging

    try:
        shred_key(customer_id)
    except Exception:  # the intent stays pending: the sweep retries; the committed act stands
        logging.getLogger(__name__).exception("key destruction of %s failed; the sweep will retry", customer_id)


def shred_key(customer_id: uuid.UUID) -> bool:
    """Step two: delete the key from the key store, leave a tombstone, mark the intent done.
    Idempotent; returns False if there was no key to delete."""

    with transaction.atomic(using=KEYS_DB):
        deleted, _ = CustomerKey.objects.filter(pk=customer_id).delete()
        ShreddedKey.objects.get_or_create(customer_id=customer_id)
    cache.drop(customer_id)
    KeyDestruction.objects.filter(pk=customer_id, destroyed_at__isnull=True).update(destroyed_at=clock.now())
    return deleted > 0


def request_destructions(customer_ids: list[uuid.UUID]) -> None:
    """``request_destruction`` for many customers (a chunk of the retention sweep): the intents in one insert,
    the keys gone after the commit in one key-store transaction (``shred_keys``)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("request_destructions must run inside the transaction that records the act")
    ids = list(customer_ids)
    if not ids:
        return
    KeyDestruction.objects.bulk_create([KeyDestruction(customer_id=cid) for cid in ids], ignore_conflicts=True)
    for cid in ids:
        cache.drop(cid)
    transaction.on_commit(lambda: _destroy_many_after_commit(ids))


def _destroy_many_after_commit(customer_ids: list[uuid.UUID]) -> None:
    import logging

    try:
        shred_keys(customer_ids)
    except Exception:  # the intents stay pending: the sweep retries; the committed act stands
        logging.getLogger(__name__).exception("key destruction of %d customers failed; the sweep will retry", len(customer_ids))


def shred_keys(customer_ids: list[uuid.UUID]) -> int:
    """``shred_key`` for many customers in one key-store transaction (idempotent); returns how many keys were deleted."""
    ids = list(customer_ids)
    if not ids:
        return 0
    with transaction.atomic(using=KEYS_DB):
        deleted, _ = CustomerKey.objects.filter(pk__in=ids).delete()
        ShreddedKey.objects.bulk_create([ShreddedKey(customer_id=cid) for cid in ids], ignore_conflicts=True)
    for cid in ids:
        cache.drop(cid)
    KeyDestruction.objects.filter(pk__in=ids, destroyed_at__isnull=True).update(destroyed_at=clock.now())
    return int(deleted)


def keys_exist(customer_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """The customers among these whose data key the key store holds (one query)."""
    return set(CustomerKey.objects.filter(pk__in=list(customer_ids)).values_list("pk", flat=True))


def finish_pending_destructions(limit: int = 1000) -> int:
    """Complete destructions whose intent committed but whose key is not gone yet; returns how many."""
    pending = list(KeyDestruction.objects.filter(destroyed_at__isnull=True).order_by("requested_at").values_list("pk", flat=True)[:limit])
    for customer_id in pending:
        shred_key(customer_id)
    return len(pending)


# --- Rotation -----------------------------------------------------------------------------------


def rewrap(batch: int = 500, *, max_batches: int | None = None) -> int:
    """Re-wrap customer keys that are not under the primary key-encryption key; returns how many.

    Idempotent and resumable: each batch commits on its own, so a run killed midway leaves the rest
    for the next run (the worker's periodic sweep)."""
    keyring.reset_cache()  # never re-wrap under a keyset loaded before the latest rotation
    primary = keyring.loaded().kek_primary_id
    done = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        keyring.reset_cache()
        if keyring.loaded().kek_primary_id != primary:
            break  # rotated again meanwhile: the next re-wrap run takes over
        ids = list(CustomerKey.objects.exclude(kek_key_id=primary).values_list("pk", flat=True)[:batch])
        if not ids:
            break
        done += _rewrap_batch(ids, primary)
        batches += 1
    return done


def _rewrap_batch(ids: list[uuid.UUID], primary: int) -> int:

    done = 0
    with transaction.atomic(using=KEYS_DB):
        for row in CustomerKey.objects.select_for_update().filter(pk__in=ids).exclude(kek_key_id=primary):
            dek = tink.proto_keyset_format.parse(_unwrap_raw(row.customer_id, bytes(row.wrapped)), secret_key_access.TOKEN)
            row.wrapped, row.kek_key_id = _wrap(row.customer_id, dek)
            row.rewrapped_at = clock.now()
            row.save(update_fields=["wrapped", "kek_key_id", "rewrapped_at"])
            done += 1
    return done


def pending_rewrap_count() -> int:
    """Customer keys still wrapped under a key-encryption key other than the primary."""
    return CustomerKey.objects.exclude(kek_key_id=keyring.reload().kek_primary_id).count()


def status() -> dict[str, object]:
    """Keys per key-encryption key, which one is primary, and how many still wait for re-wrapping."""
    from django.db.models import Count

    ring = keyring.loaded()
    per_key = {int(r["kek_key_id"]): int(r["n"]) for r in CustomerKey.objects.values("kek_key_id").annotate(n=Count("pk"))}
    pending = sum(n for key_id, n in per_key.items() if key_id != ring.kek_primary_id)
    return {
        "primary_key_id": ring.kek_primary_id,
        "keyset_key_ids": list(ring.kek_key_ids),
        "customer_keys": sum(per_key.values()),
        "customer_keys_per_kek": per_key,
        "pending_rewrap": pending,
        "old_keys_in_use": sorted(k for k in per_key if k != ring.kek_primary_id),
        "shredded": ShreddedKey.objects.count(),
        "pending_destruction": sorted(
            str(cid) for cid in KeyDestruction.objects.filter(destroyed_at__isnull=True).values_list("pk", flat=True)
        ),
    }
