"""Deletion certificates (删除证明, JRT0171-DELETE, PIPL-47): a canonical JSON body signed with Ed25519.

The signing key is the audit trail's checkpoint key (``audit/signing.py``): one published key (``clientvault audit
pubkey`` or ``clientvault lifecycle certificate-key``) verifies both checkpoints and certificates, and its rotation
keeps old keys so old certificates still verify. The body is the JSON with sorted keys, no spaces, UTF-8
(``canonical``); ``scripts/verify_deletion_certificate.py`` checks a certificate with nothing but ``cryptography``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from clientvault.audit import recording as audit
from clientvault.audit import signing
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.lifecycle.models import DeletionCertificate, Erasure

FORMAT = "clientvault.deletion-certificate/1"


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def backups_statement() -> dict[str, Any]:
    """The window a deleted customer's key may still live in a key-store backup (from the backups app)."""
    try:
        from clientvault.backups.services import deletion_window, window_statement  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # the backups slice not merged yet: say so rather than claim a window
        return {
            "window_hours": None,
            "statement_zh": "备份的删除时限尚未配置。",
            "statement_en": "The backup deletion window is not configured.",
        }
    return {
        "window_hours": int(deletion_window().total_seconds() // 3600),
        "statement_zh": window_statement("zh-hans"),
        "statement_en": window_statement("en"),
    }


def _exemptions(erasure: Erasure) -> list[dict[str, str]]:
    from clientvault.lifecycle.erasure import KEEP, KEPT_BASIS

    out = [{"what": "customers.customer", "basis": KEPT_BASIS["customers.customer"]}]
    for table, actions in sorted((erasure.counts or {}).items()):
        if table != "customers.customer" and (KEEP in actions or "anonymised" in actions):
            out.append({"what": table, "basis": KEPT_BASIS.get(table, "sealed under the destroyed key (ARCHITECTURE.md rule 6)")})
    listed = {x["what"] for x in out} | set(erasure.counts or {})
    # Kept wherever the customer appears in them, whether or not the erasure counted rows there.
    out += [{"what": table, "basis": basis} for table, basis in KEPT_BASIS.items() if table not in listed and table != "audit.auditevent"]
    out.append({"what": "audit.auditevent", "basis": KEPT_BASIS["audit.auditevent"]})
    return out


def build(
    erasure: Erasure, *, certificate_id: str, issued_at: str, categories: list[str] | None = None, backups: dict[str, Any] | None = None
) -> dict[str, Any]:
    from clientvault.lifecycle.models import RetentionRule

    if categories is None:
        categories = sorted(set(RetentionRule.objects.filter(code__in=erasure.rule_codes).values_list("category", flat=True)))
    return {
        "format": FORMAT,
        "certificate_id": certificate_id,
        "erasure_id": str(erasure.pk),
        "customer_id": str(erasure.customer_id),
        "issued_at": issued_at,
        "requested_at": erasure.created_at.isoformat(),
        "trigger": erasure.trigger,
        "request_ref": erasure.request_ref or "",
        "retention_rules": list(erasure.rule_codes),
        "categories": categories or ["all"],
        "key_shredded": erasure.key_shredded,
        "rows": erasure.counts,
        "audit_events": list(erasure.event_ids),
        "exemptions": _exemptions(erasure),
        "backups": backups if backups is not None else backups_statement(),
    }


def issue(ctx: Context, erasure: Erasure) -> DeletionCertificate:
    """Sign and store the certificate of a finished erasure (caller's transaction; one per erasure)."""
    from clientvault.core.ids import new_id

    cid = new_id()
    issued = clock.now()
    body = build(erasure, certificate_id=str(cid), issued_at=issued.isoformat())
    signer = signing.signer()
    sig = signer.sign.sign(canonical(body))
    cert = DeletionCertificate.objects.create(
        id=cid, erasure=erasure, customer_id=erasure.customer_id, issued_at=issued,
        document=canonical(body).decode("utf-8"), signature=base64.b64encode(sig).decode("ascii"), key_id=signer.key_id,
    )  # fmt: skip
    audit.record(
        ctx, "lifecycle.certificate_issued", obj=cert, customer_id=erasure.customer_id,
        detail={"erasure_id": str(erasure.pk), "key_id": f"key:{signer.key_id}"},
    )  # fmt: skip
    return cert


def issue_many(ctx: Context, erasures: list[Erasure]) -> list[DeletionCertificate]:
    """``issue`` for a chunk (caller's transaction): each certificate built and signed as one, inserted together,
    with their events in one insert."""
    from clientvault.core.ids import new_id
    from clientvault.lifecycle.models import RetentionRule

    if not erasures:
        return []
    categories_of = dict(RetentionRule.objects.values_list("code", "category"))
    backups = backups_statement()
    signer = signing.signer()
    certs: list[DeletionCertificate] = []
    for erasure in erasures:
        cid = new_id()
        issued = clock.now()
        categories = sorted({categories_of[c] for c in erasure.rule_codes if c in categories_of})
        body = canonical(build(erasure, certificate_id=str(cid), issued_at=issued.isoformat(), categories=categories, backups=backups))
        certs.append(
            DeletionCertificate(
                id=cid, erasure=erasure, customer_id=erasure.customer_id, issued_at=issued, document=body.decode("utf-8"),
                signature=base64.b64encode(signer.sign.sign(body)).decode("ascii"), key_id=signer.key_id,
            )
        )  # fmt: skip
    DeletionCertificate.objects.bulk_create(certs)
    key = f"key:{signer.key_id}"
    issued_events = (
        ("lifecycle.certificate_issued", c, "", "", c.customer_id, {"erasure_id": str(c.erasure_id), "key_id": key}) for c in certs
    )
    audit.record_each(ctx, issued_events)
    return certs


def as_file(cert: DeletionCertificate) -> dict[str, Any]:
    """The downloadable certificate: the signed body, the signature and the key id."""
    return {"certificate": json.loads(cert.document), "signature": cert.signature, "key_id": cert.key_id, "algorithm": "Ed25519"}


def verify(document: dict[str, Any], public_key: bytes) -> bool:
    """The offline check (what scripts/verify_deletion_certificate.py does)."""
    try:
        sig = base64.b64decode(document["signature"])
        body = canonical(document["certificate"])
    except (KeyError, ValueError, TypeError):
        return False
    return signing.verify(public_key, body, sig)


def public_key_b64(key_id: str = "") -> dict[str, str]:
    keys = signing.public_keys_b64()
    return {key_id: keys[key_id]} if key_id and key_id in keys else keys
