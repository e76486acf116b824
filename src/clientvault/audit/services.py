"""Operator actions on the audit trail itself, each audited: signing keys, verification, archive.

Retention (RULES.md CSL-21-logs, PIPL-54): each event class is kept for its configured days, never
fewer than ``CLIENTVAULT_AUDIT_RETENTION_MIN_DAYS``. Past that, ``archive`` writes the expired,
sealed events to a JSON-lines file — each with its canonical entry, leaf index and inclusion proof
against the latest signed checkpoint — fsyncs it, records its SHA-256, and only then removes the
event rows (in the ``archive`` maintenance mode the triggers allow). Leaves and checkpoints stay, so
the tree still verifies; nothing is deleted without its proof written first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from clientvault.audit import append_only, proofs, registry, signing, verification
from clientvault.audit import recording as audit
from clientvault.audit.models import ArchivedLeaf, AuditArchive, AuditEvent, AuditLeaf
from clientvault.core import clock
from clientvault.core.context import Context


def init_signing_key(ctx: Context) -> bool:
    created = signing.initialise()
    with transaction.atomic():
        audit.record(
            ctx,
            "audit.signing_key_created",
            object_type="audit.signing_key",
            object_id=signing.signer().key_id,
            detail={"created": created},
        )
    return created


def rotate_signing_key(ctx: Context) -> str:
    new_id = signing.rotate()
    with transaction.atomic():
        audit.record(ctx, "audit.signing_key_rotated", object_type="audit.signing_key", object_id=new_id)
    return new_id


def run_verification(ctx: Context, *, witness: str | None = None) -> verification.Report:
    """Verify, and leave the result in the trail (auditors show that verification ran, and how it went)."""
    report = verification.verify(witness=witness)
    with transaction.atomic():
        audit.record(
            ctx,
            "audit.verified",
            object_type="audit.log",
            outcome=AuditEvent.Outcome.SUCCESS if report.ok else AuditEvent.Outcome.FAILED,
            detail={
                "tree_size": report.tree_size,
                "events": report.events,
                "problems": len(report.problems),
                "first_bad_position": report.first_bad_position,
            },
        )
    return report


def retention_days() -> dict[str, int]:
    """Days kept per event class, raised to the legal minimum if configured lower."""
    floor = settings.CLIENTVAULT_AUDIT_RETENTION_MIN_DAYS
    return {kind: max(int(days), floor) for kind, days in settings.CLIENTVAULT_AUDIT_RETENTION_DAYS.items()}


def _expired(now: dt.datetime) -> Q:
    days = retention_days()
    longest = max(days.values())
    condition = Q()
    by_kind: dict[str, list[str]] = {}
    for name, event_type in registry.EVENT_TYPES.items():
        by_kind.setdefault(event_type.kind, []).append(name)
    known = [name for names in by_kind.values() for name in names]
    for kind, names in by_kind.items():
        condition |= Q(event_type__in=names, occurred_at__lt=now - dt.timedelta(days=days.get(kind, longest)))
    # A type no longer registered keeps the longest period of any class.
    condition |= Q(occurred_at__lt=now - dt.timedelta(days=longest)) & ~Q(event_type__in=known)
    return condition


@dataclass(frozen=True)
class ArchiveResult:
    archive: AuditArchive | None
    events: int


def archive_expired(ctx: Context, *, limit: int = 100_000) -> ArchiveResult:
    """Archive sealed events past their retention: file with proofs first, then remove the rows."""
    now = clock.now()
    sealed = AuditLeaf.objects.filter(event_pk=OuterRef("pk"))
    candidates = list(AuditEvent.objects.filter(Exists(sealed)).filter(_expired(now)).order_by("pk")[:limit])
    if not candidates:
        return ArchiveResult(None, 0)
    bundle = proofs.prove_many(candidates)
    folder = Path(settings.CLIENTVAULT_AUDIT_ARCHIVE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"audit-archive-{now:%Y%m%dT%H%M%S%f}.jsonl"
    lines = [json.dumps({"tree_size": bundle["tree_size"], "checkpoint": bundle["checkpoint"]}, sort_keys=True)]
    lines += [json.dumps(proof, sort_keys=True) for proof in bundle["proofs"]]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    indexes = [p["leaf_index"] for p in bundle["proofs"]]
    try:
        with transaction.atomic():
            record = AuditArchive.objects.create(
                created_at=now,
                file_name=path.name,
                file_sha256=hashlib.sha256(data).hexdigest(),
                checkpoint_size=bundle["tree_size"],
                event_count=len(indexes),
                cutoff=retention_days(),
            )
            ArchivedLeaf.objects.bulk_create([ArchivedLeaf(index=i, archive=record) for i in indexes], batch_size=1000)
            archived_ids = {p["event_id"] for p in bundle["proofs"]}
            with append_only.maintenance("archive"):
                AuditEvent.objects.filter(event_id__in=archived_ids).delete()
            audit.record(ctx, "audit.archived", obj=record, detail={"events": len(indexes), "tree_size": bundle["tree_size"]})
    except BaseException:
        path.unlink(missing_ok=True)  # the rows are still there; the file would only confuse
        raise
    return ArchiveResult(record, len(indexes))
