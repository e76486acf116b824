"""The sealer: gives pending audit events their leaves and signs a checkpoint per batch (rule 7).

Inserts of events take no lock at all. Only the sealer is serialised (a PostgreSQL advisory lock;
SQLite's IMMEDIATE transactions serialise writers anyway). It picks events that have no leaf — not
"everything above the highest id", because ids commit out of order (ARCHITECTURE.md pitfalls) — and
assigns leaf indexes in the order it seals them. Each batch is one transaction: leaves, the interior
nodes they complete (``audit.interior``) and a signed checkpoint that continues the chain, so a
crash leaves all or none.

To stay cheap on a long log, the search for pending events starts at a watermark: the highest event
id covered by a checkpoint older than ``CLIENTVAULT_AUDIT_SEAL_GRACE_SECONDS``. An event whose
transaction stayed open longer than that is found by the full sweep (hourly, or ``seal --full``);
until then ``verify`` reports it as unsealed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef

from clientvault.audit import canonical, interior, merkle, signing
from clientvault.audit.models import AuditEvent, AuditLeaf, AuditNode, Checkpoint, WitnessPublication
from clientvault.core import clock

log = logging.getLogger(__name__)
_ADVISORY_LOCK = 0x63766175  # "cvau"


@dataclass(frozen=True)
class SealResult:
    sealed: int
    tree_size: int
    checkpoints: int


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-tree_size").first()


def watermark(now: dt.datetime) -> int:
    """Every event with an id at or below this was visible to a sealing run long enough ago."""
    grace = dt.timedelta(seconds=settings.CLIENTVAULT_AUDIT_SEAL_GRACE_SECONDS)
    row = Checkpoint.objects.filter(created_at__lte=now - grace).order_by("-tree_size").values_list("max_event_pk", flat=True).first()
    return int(row or 0)


def pending_rows(low: int, high: int, batch: int) -> list[dict[str, Any]]:
    """Up to ``batch`` events above ``low`` without a leaf, in id order, as ``EVENT_COLUMNS`` rows.

    ``high`` is the latest checkpoint's ``max_event_pk``: no leaf names an event above it, so events
    above it need no anti-join, and the anti-join for the ones in ``(low, high]`` — transactions that
    committed late — is bounded on both tables. Each sealing batch then costs what the window between
    the watermark and now holds, not what the whole log holds (an unbounded NOT EXISTS made PostgreSQL
    hash the entire leaf table on every batch).
    """
    rows: list[dict[str, Any]] = []
    if high > low:
        sealed = AuditLeaf.objects.filter(event_pk=OuterRef("pk"), event_pk__gt=low, event_pk__lte=high)
        late = AuditEvent.objects.filter(pk__gt=low, pk__lte=high).filter(~Exists(sealed)).order_by("pk")
        rows = list(late.values(*canonical.EVENT_COLUMNS)[:batch])
    if len(rows) < batch:
        fresh = AuditEvent.objects.filter(pk__gt=max(low, high)).order_by("pk")
        rows += list(fresh.values(*canonical.EVENT_COLUMNS)[: batch - len(rows)])
    return rows


def sign_checkpoint(
    *, tree_size: int, root: bytes, frontier: merkle.Frontier, previous: Checkpoint | None, max_event_pk: int
) -> Checkpoint:
    signer = signing.signer()
    created_at = clock.now()
    if previous is not None and created_at < previous.created_at:
        created_at = previous.created_at  # a clock step backwards never breaks the chain's order
    previous_hash = body_hash(previous) if previous is not None else canonical.GENESIS
    origin = previous.origin if previous is not None else settings.CLIENTVAULT_AUDIT_ORIGIN
    body = canonical.checkpoint_body(
        origin=origin,
        tree_size=tree_size,
        root=root,
        created_at=created_at,
        previous=previous_hash,
        max_event_pk=max_event_pk,
        key_id=signer.key_id,
    )
    return Checkpoint(
        tree_size=tree_size,
        origin=origin,
        root_hash=root,
        created_at=created_at,
        previous_hash=previous_hash,
        max_event_pk=max_event_pk,
        frontier=[h.hex() for h in frontier.hashes],
        key_id=signer.key_id,
        signature=signer.sign.sign(body.encode("utf-8")),
    )


def body(checkpoint: Checkpoint) -> str:
    return canonical.checkpoint_body(
        origin=checkpoint.origin,
        tree_size=checkpoint.tree_size,
        root=bytes(checkpoint.root_hash),
        created_at=checkpoint.created_at,
        previous=bytes(checkpoint.previous_hash),
        max_event_pk=checkpoint.max_event_pk,
        key_id=checkpoint.key_id,
    )


def body_hash(checkpoint: Checkpoint) -> bytes:
    return canonical.body_hash(body(checkpoint))


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])


def _seal_batch(low: int, batch: int) -> tuple[int, Checkpoint | None, int]:
    with transaction.atomic():
        _lock()
        previous = latest_checkpoint()
        frontier = merkle.Frontier(previous.tree_size, [bytes.fromhex(h) for h in previous.frontier]) if previous else merkle.Frontier()
        rows = pending_rows(low, previous.max_event_pk if previous else 0, batch)
        if not rows:
            return 0, None, low
        leaves, nodes = [], []
        for row in rows:
            leaf = merkle.leaf_hash(canonical.entry(row))
            leaves.append(AuditLeaf(index=frontier.size, event_pk=row["id"], leaf_hash=leaf))
            nodes += interior.completed_nodes(frontier, leaf)
        AuditLeaf.objects.bulk_create(leaves, batch_size=1000)
        AuditNode.objects.bulk_create(nodes, batch_size=1000)
        max_pk = max([previous.max_event_pk if previous else 0, *(row["id"] for row in rows)])
        checkpoint = sign_checkpoint(
            tree_size=frontier.size, root=frontier.root(), frontier=frontier, previous=previous, max_event_pk=max_pk
        )
        checkpoint.save(force_insert=True)
        transaction.on_commit(lambda: publish(checkpoint))
        return len(rows), checkpoint, rows[-1]["id"]


def seal(*, full: bool = False, batch: int | None = None, max_batches: int | None = None) -> SealResult:
    """Seal every pending event now; ``full`` also looks below the watermark (the hourly sweep)."""
    batch = batch or settings.CLIENTVAULT_AUDIT_SEAL_BATCH
    low = 0 if full else watermark(clock.now())
    sealed = checkpoints = 0
    last: Checkpoint | None = None
    while max_batches is None or checkpoints < max_batches:
        # Within one run the next batch starts after this one: an event below it that had no leaf
        # was not visible yet, and a later run (starting from the watermark again) picks it up.
        count, checkpoint, low = _seal_batch(low, batch)
        if not count:
            break
        sealed += count
        checkpoints += 1
        last = checkpoint
        if count < batch:
            # Caught up. Under continuous writes the loop would otherwise run on in tiny batches, and
            # events that committed late below ``low`` would wait for the run to end: the next run
            # (from the watermark again) seals them within the worker's interval.
            break
    size = last.tree_size if last else (cp.tree_size if (cp := latest_checkpoint()) else 0)
    if sealed:
        log.info("sealed %d audit event(s) in %d checkpoint(s); tree size %d", sealed, checkpoints, size)
    return SealResult(sealed=sealed, tree_size=size, checkpoints=checkpoints)


def witness_record(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "origin": checkpoint.origin,
        "tree_size": checkpoint.tree_size,
        "root": base64.b64encode(bytes(checkpoint.root_hash)).decode(),
        "body": body(checkpoint),
        "key_id": checkpoint.key_id,
        "signature": base64.b64encode(bytes(checkpoint.signature)).decode(),
    }


def publish(checkpoint: Checkpoint, target: str | None = None) -> bool:
    """Send a checkpoint to the external witness. A failure is logged, never raised: sealing goes on,
    and the next checkpoint (which commits to everything before it) is published in its place.

    A publication the witness accepted is recorded (``WitnessPublication``): from then on ``verify``
    fails closed when the witness is missing, unreadable or behind.
    """
    target = settings.CLIENTVAULT_AUDIT_WITNESS if target is None else target
    if not target:
        return False
    line = json.dumps(witness_record(checkpoint), sort_keys=True)
    try:
        if is_url(target):
            request = urllib.request.Request(  # noqa: S310 - only http(s), checked above
                target, data=line.encode(), headers={"Content-Type": "application/json"}, method="POST"
            )
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                response.read()
        else:
            fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, (line + "\n").encode())
                os.fsync(fd)
            finally:
                os.close(fd)
    except OSError:
        log.exception("could not publish audit checkpoint %d to the witness", checkpoint.tree_size)
        return False
    try:
        with transaction.atomic():
            WitnessPublication.objects.create(tree_size=checkpoint.tree_size, published_at=clock.now())
    except DatabaseError:
        # The witness holds it; only our note is missing, so ``verify`` is merely less strict until the
        # next checkpoint is published and noted.
        log.exception("could not record that checkpoint %d was published", checkpoint.tree_size)
    return True


def is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def published_size() -> int | None:
    """The largest checkpoint the witness acknowledged, or None if none ever was."""
    return WitnessPublication.objects.order_by("-tree_size").values_list("tree_size", flat=True).first()


def read_witness(target: str) -> list[dict[str, Any]]:
    """The checkpoints a witness holds: every line of a witness file, or what an http(s) witness
    answers to GET on its URL (the latest checkpoint as a JSON object, or a JSON list of them; 404 or
    an empty body when it holds none). Raises OSError when it cannot be read, ValueError when what it
    holds is not checkpoints."""
    if is_url(target):
        return _read_url_witness(target)
    records = []
    with open(target, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"witness line {number} is not JSON") from exc
    return records


def _read_url_witness(target: str) -> list[dict[str, Any]]:
    request = urllib.request.Request(target, headers={"Accept": "application/json"}, method="GET")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise
    if not raw.strip():
        return []
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError("the witness did not answer with JSON") from exc
    records = data if isinstance(data, list) else [data]
    if not all(isinstance(r, dict) for r in records):
        raise ValueError("the witness did not answer with checkpoints")
    return records
