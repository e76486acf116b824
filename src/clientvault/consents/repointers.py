"""How consents follow a merge (issue #14; registered with ``customers.lineage`` in ``ConsentsConfig.ready``).

Consent records are evidence (PIPL-14, GDPR-7): the database refuses any UPDATE of a record or its evidence,
and ``seq`` is unique per (customer, purpose). So a merge does not move them. Instead:

- every record of a merged-away customer stays where it is, unchanged, with its evidence (the proof of what
  that record's person agreed to, under the notice they saw, stays intact and attributable);
- a **carry-over** record is written on the survivor for each of them, in the original order, with the
  survivor's next ``seq`` for the purpose and ``carried_from`` naming the original; every other column is
  the original's (same action, notice, categories, channel, capture time, expiry). The guardian's name and
  the evidence scan are sealed under the record's customer key, so the copies are re-sealed under the
  survivor's key (decrypted in this process only). Carried copies are what the survivor's history and
  enforcement read; the originals remain the evidence;
- the survivor's current ``Consent`` per purpose is decided between its own current record and the merged
  record's current one (carried over): the most recent ``occurred_at`` wins, and on a tie a withdrawal wins
  (PIPL-15: when in doubt, the person said no). A merge never revives a withdrawn consent by accident of
  record order;
- an unmerge deletes the carry-over records and their evidence (DELETE is allowed; UPDATE is not) and writes
  the survivor's ``Consent`` rows back exactly as snapshotted (deleting those the merge created).
"""

from __future__ import annotations

import uuid

from clientvault.consents.choices import Action
from clientvault.consents.models import Consent, ConsentEvidence, ConsentRecord
from clientvault.core.context import Context
from clientvault.crypto import cipher
from clientvault.customers import lineage

RECORD, EVIDENCE, CURRENT = "consents.consentrecord", "consents.consentevidence", "consents.consent"
_WHY = "merge: carry a merged record's consents over to the survivor"


def _snapshot(ids: list[uuid.UUID]) -> lineage.Rows:
    # Dependency order (records, evidence, current state): an unmerge deletes what was added in reverse.
    return (
        lineage.dump(RECORD, customer_id__in=ids)
        + lineage.dump(EVIDENCE, record__customer_id__in=ids)
        + lineage.dump(CURRENT, customer_id__in=ids)
    )


def _newer(candidate: ConsentRecord, current: ConsentRecord) -> bool:
    """Does ``candidate`` replace ``current`` as the consent in force? Later wins; a tie goes to a withdrawal."""
    if candidate.occurred_at != current.occurred_at:
        return candidate.occurred_at > current.occurred_at
    return candidate.action == Action.WITHDRAWN and current.action != Action.WITHDRAWN


def _carry(record: ConsentRecord, survivor_id: uuid.UUID, seq: int) -> ConsentRecord:
    copy = ConsentRecord(
        customer_id=survivor_id,
        purpose=record.purpose,
        seq=seq,
        action=record.action,
        consent_type=record.consent_type,
        notice_id=record.notice_id,
        categories=list(record.categories),
        recipients=list(record.recipients),
        destination_country=record.destination_country,
        channel=record.channel,
        captured_by_id=record.captured_by_id,
        by_subject=record.by_subject,
        guardian_relation=record.guardian_relation,
        not_preticked=record.not_preticked,
        not_bundled=record.not_bundled,
        occurred_at=record.occurred_at,
        expires_at=record.expires_at,
        request_id=record.request_id,
        carried_from=record,
    )
    if record.guardian_name_ct:
        name = cipher.decrypt(record.customer_id, RECORD, "guardian_name", bytes(record.guardian_name_ct))
        copy.guardian_name_ct = cipher.encrypt(survivor_id, RECORD, "guardian_name", name)
    copy.save(force_insert=True)
    evidence = ConsentEvidence.objects.unrestricted(reason=_WHY).filter(record=record).first()
    if evidence is not None:
        cid = record.customer_id
        ConsentEvidence(
            record=copy,
            content_type=evidence.content_type,
            size=evidence.size,
            sha256=evidence.sha256,
            filename_ct=cipher.encrypt(
                survivor_id, EVIDENCE, "filename", cipher.decrypt(cid, EVIDENCE, "filename", bytes(evidence.filename_ct))
            ),
            data_ct=cipher.encrypt_bytes(
                survivor_id, EVIDENCE, "data", cipher.decrypt_bytes(cid, EVIDENCE, "data", bytes(evidence.data_ct))
            ),
        ).save(force_insert=True)
    return copy


def _repoint(ctx: Context, from_id: uuid.UUID, survivor_id: uuid.UUID) -> int:
    records = ConsentRecord.objects.unrestricted(reason=_WHY)
    currents = Consent.objects.unrestricted(reason=_WHY)
    next_seq: dict[str, int] = {}
    copies: dict[uuid.UUID, ConsentRecord] = {}
    for record in records.filter(customer_id=from_id).order_by("purpose", "seq"):
        if record.purpose not in next_seq:
            last = records.filter(customer_id=survivor_id, purpose=record.purpose).order_by("-seq").values_list("seq", flat=True).first()
            next_seq[record.purpose] = (last or 0) + 1
        copies[record.pk] = _carry(record, survivor_id, next_seq[record.purpose])
        next_seq[record.purpose] += 1
    for theirs in currents.filter(customer_id=from_id).order_by("purpose"):
        carried = copies[theirs.record_id]
        values = {
            "record": carried,
            "action": carried.action,
            "consent_type": carried.consent_type,
            "categories": list(carried.categories),
            "expires_at": carried.expires_at,
            "needs_renewal": theirs.needs_renewal,
            "changed_at": theirs.changed_at,
        }
        ours = currents.select_related("record").select_for_update().filter(customer_id=survivor_id, purpose=theirs.purpose).first()
        if ours is None:
            Consent(customer_id=survivor_id, purpose=theirs.purpose, **values).save(force_insert=True)
        elif _newer(carried, ours.record):
            currents.filter(pk=ours.pk).update(**values)
    return len(copies)


def _restore(ctx: Context, rows: lineage.Rows) -> None:
    lineage.restore_rows(rows)


def register() -> None:
    lineage.register(lineage.Repointer("consents", RECORD, _snapshot, _repoint, _restore, covers=(EVIDENCE, CURRENT)))
