"""Customer portal sign-in: one-time codes by SMS or e-mail, with rate limits, expiry, limited attempts and
no account enumeration (the same answer, the same stored row and the same audit event whether or not we
hold the identifier)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import unicodedata
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import override

from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import DomainError
from clientvault.crypto import cipher, keystore
from clientvault.customers import vault
from clientvault.customers.models import Customer
from clientvault.rights.identifiers import Identifier, parse_identifier
from clientvault.rights.models import PortalCode
from clientvault.rights.senders import Message, get_sender_kinds

SUBJECT_ROLE = "data_subject"


class TooManyRequests(DomainError):
    code = "rate_limited"
    status = 429


class CodeRejected(DomainError):
    code = "code_rejected"
    status = 400


def _hash(salt: str, code: str) -> str:
    return hmac.new(salt.encode(), code.encode(), hashlib.sha256).hexdigest()


def _matches(identifier: Identifier) -> list[Customer]:
    """The customer rows of one person: every row with this ID number; for a mobile, its one row, or its
    rows when they all carry the same (non-empty) ID number. A phone shared by people — or by rows that
    cannot be told apart because they hold no ID number — signs no one in."""
    term = vault.index(identifier.kind, identifier.value)
    held = Customer.objects.unrestricted(reason="portal sign-in: find the records of a person not yet known, by blind index")
    rows = list(held.filter(**{f"{identifier.kind}_bidx": term}).order_by("created_at"))
    if identifier.kind == "mobile" and len(rows) > 1:
        ids = {bytes(r.id_number_bidx) for r in rows}
        if len(ids) != 1 or ids == {b""}:
            return []
    return rows


def _destination(customers: list[Customer], kinds: tuple[str, ...]) -> tuple[Customer, Message] | None:
    """Where the code goes: the first record, oldest first, with a contact the configured sender can reach
    (a mobile before an e-mail)."""
    for customer in customers:
        try:
            opened = vault.unseal(customer, ("mobile", "email"))
        except keystore.KeyDestroyed:
            continue
        for kind in ("mobile", "email"):
            if kind in kinds and opened.get(kind):
                return customer, Message(kind, str(opened[kind]), "")
    return None


def _code_text(code: str, language: str) -> str:
    minutes = max(1, settings.CLIENTVAULT_PORTAL_CODE_SECONDS // 60)
    with override(language):
        return _(
            "Your clientvault sign-in code is %(code)s. It expires in %(minutes)s minutes. If you did not ask for it, ignore this message."
        ) % {
            "code": code,
            "minutes": minutes,
        }


def request_code(*, ctx: Context, raw_identifier: str, language: str = "zh-hans") -> PortalCode:
    """Issue a sign-in code for whoever holds this identifier. The caller answers the same way whatever
    happens next: whether we hold the identifier is never told (no enumeration).

    A refusal by the rate limits is recorded (committed) before ``TooManyRequests`` is raised, so abuse
    shows in the audit trail.
    """
    identifier = parse_identifier(raw_identifier)
    row = _issue(ctx=ctx, identifier=identifier, language=language)
    if row is None:
        raise TooManyRequests(_("Too many codes were asked for. Wait an hour and try again."))
    return row


def _lock_identifier(bidx: bytes) -> None:
    """Serialise requests for one identifier, so two at once cannot both pass the count (PostgreSQL; SQLite
    transactions here are IMMEDIATE and already serialised)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 7))", [bidx.hex()])


@transaction.atomic
def _issue(*, ctx: Context, identifier: Identifier, language: str) -> PortalCode | None:
    now = clock.now()
    hour_ago = now - dt.timedelta(hours=1)
    bidx = vault.index(identifier.kind, identifier.value)
    _lock_identifier(bidx)
    codes = PortalCode.objects.unrestricted(reason="rate limits count the codes asked for one identifier and one address")
    per_identifier = codes.filter(identifier_bidx=bidx, created_at__gte=hour_ago).count()
    per_ip = codes.filter(ip=ctx.ip, created_at__gte=hour_ago).count() if ctx.ip else 0
    if per_identifier >= settings.CLIENTVAULT_PORTAL_CODES_PER_IDENTIFIER_HOUR or per_ip >= settings.CLIENTVAULT_PORTAL_CODES_PER_IP_HOUR:
        limit = "identifier" if per_identifier >= settings.CLIENTVAULT_PORTAL_CODES_PER_IDENTIFIER_HOUR else "address"
        audit.record(ctx, "portal.rate_limited", object_type="rights.portalcode", outcome="denied", detail={"limit": limit})
        return None
    customers = _matches(identifier)
    code = f"{secrets.randbelow(1_000_000):06d}"
    salt = secrets.token_hex(16)
    found = _destination(customers, get_sender_kinds())
    if found is not None:  # the record whose contact gets the code comes first: its key seals the message
        customers = [found[0], *(c for c in customers if c.pk != found[0].pk)]
    row = PortalCode(
        identifier_bidx=bidx,
        customer_ids=[str(c.pk) for c in customers],
        salt=salt,
        code_hash=_hash(salt, code),
        ip=ctx.ip or None,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.CLIENTVAULT_PORTAL_CODE_SECONDS),
    )
    if found is not None:
        owner, destination = found
        message = {"kind": destination.kind, "to": destination.destination, "text": _code_text(code, language)}
        row.message_ct = cipher.encrypt(owner.pk, "rights.portalcode", "message", json.dumps(message, ensure_ascii=False))
    row.save(force_insert=True)
    audit.record(
        ctx,
        "portal.code_requested",
        obj=row,
        customer_id=customers[0].pk if customers else None,
        detail={"identifier_kind": identifier.kind, "matched": bool(customers), "sent_to": found[1].kind if found else None},
    )
    # Sent by the worker, never in the request: a slow gateway must not make a known identifier answer
    # slower than an unknown one. Every request enqueues one task, whether or not there is anything to send.
    from clientvault.rights.tasks import send_portal_code

    transaction.on_commit(lambda: send_portal_code.enqueue(str(row.pk)))
    return row


# Codes count against the hourly rate limits, then serve no purpose: a day later they are gone.
KEEP = dt.timedelta(days=1)


def verify_code(*, ctx: Context, code_id: uuid.UUID | None, code: str) -> list[uuid.UUID]:
    """The customer ids the code signs in; ``CodeRejected`` for a wrong, expired, used or exhausted code.

    The check commits before anything is raised: a wrong code's attempt and its audit event must survive
    the refusal, or the attempt limit would never be reached (a guessed code would have no limit).
    """
    ids, message = _check_code(ctx=ctx, code_id=code_id, code=code)
    if ids is None:
        raise CodeRejected(message)
    return ids


@transaction.atomic
def _check_code(*, ctx: Context, code_id: uuid.UUID | None, code: str) -> tuple[list[uuid.UUID] | None, str]:
    codes = PortalCode.objects.unrestricted(reason="portal sign-in: check a code for a person not yet known")
    row = codes.select_for_update().filter(pk=code_id).first() if code_id else None
    now = clock.now()
    entered = re.sub(r"\s", "", unicodedata.normalize("NFKC", code or ""))
    expired = _("This code has expired or was used up. Ask for a new one.")
    if row is None or row.used_at is not None or row.expires_at <= now or row.attempts >= settings.CLIENTVAULT_PORTAL_CODE_ATTEMPTS:
        return None, expired
    customer_id = uuid.UUID(row.customer_ids[0]) if row.customer_ids else None
    if not row.customer_ids or not hmac.compare_digest(row.code_hash, _hash(row.salt, entered)):
        codes.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        left = settings.CLIENTVAULT_PORTAL_CODE_ATTEMPTS - row.attempts - 1
        audit.record(ctx, "portal.sign_in_failed", obj=row, customer_id=customer_id, outcome="failed", detail={"attempts_left": left})
        if left <= 0:
            return None, expired
        return None, _("That code is not right. %(left)s attempts left.") % {"left": left}
    codes.filter(pk=row.pk).update(used_at=now, attempts=F("attempts") + 1)
    ids = [uuid.UUID(i) for i in row.customer_ids]
    audit.record(ctx, "portal.signed_in", obj=row, customer_id=customer_id, detail={"records": len(ids)})
    return ids, ""


@transaction.atomic
def sign_out(*, ctx: Context) -> None:
    first = min(ctx.subject_ids, default=None)
    audit.record(ctx, "portal.signed_out", object_type="rights.portalsession", customer_id=first)


# --- The worker's side: sending and purging codes ----------------------------------------------------


@transaction.atomic
def take_code_message(*, ctx: Context, code_id: str) -> tuple[uuid.UUID, bytes] | None:
    """Take one code's sealed message for sending and blank it in the same step (at most once, even if the
    sender then fails); returns (the customer whose key seals it, the sealed message), or None when there is
    nothing to send: no such code, already taken, no customer, or the code expired or was used meanwhile
    (then the message is blanked unsent)."""
    codes = PortalCode.objects.unrestricted(reason="the worker sends the message sealed in one code and blanks it")
    row = codes.select_for_update().filter(pk=code_id).first()
    if row is None or not bytes(row.message_ct) or not row.customer_ids:
        return None
    sealed = bytes(row.message_ct)
    codes.filter(pk=row.pk).update(message_ct=b"")
    sending = row.expires_at > clock.now() and row.used_at is None
    customer_id = uuid.UUID(row.customer_ids[0])
    audit.record(ctx, "portal.code_message_cleared", obj=row, customer_id=customer_id, detail={"sending": sending})
    return (customer_id, sealed) if sending else None


@transaction.atomic
def purge_codes(*, ctx: Context, before: dt.datetime) -> int:
    """Delete sign-in codes requested before ``before`` (they hold a blind index of the identifier asked
    about, and serve no purpose once the rate-limit hour is over); audited when any were deleted."""
    deleted, _ = (
        PortalCode.objects.unrestricted(reason="the schedule purges codes past the rate-limit window")
        .filter(created_at__lt=before)
        .delete()
    )
    if deleted:
        audit.record(ctx, "portal.codes_purged", object_type="rights.portalcode", detail={"deleted": deleted})
    return deleted
