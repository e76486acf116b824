"""Every write to notices and consents (ARCHITECTURE.md rule 1): publish a notice, give or withdraw consent.

Each function owns its transaction, checks who may act, validates through ``rules``, writes an immutable
record, moves the customer's current ``Consent`` to it, records exactly one audit event and publishes a
domain event for integrations (``core.events``), all in the same transaction.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientvault.access.models import Purpose
from clientvault.access.policies import CONSENTS, allows
from clientvault.audit import recording as audit
from clientvault.classification.catalogue import Category
from clientvault.consents import preconditions, rules
from clientvault.consents.choices import Action, Audience, CaptureChannel, ConsentType
from clientvault.consents.models import Consent, ConsentEvidence, ConsentRecord, NoticeVersion
from clientvault.core import clock, events
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, PermissionDenied, ValidationFailed
from clientvault.crypto import cipher
from clientvault.customers.models import Customer

EVIDENCE_TYPES = {"application/pdf": b"%PDF", "image/png": b"\x89PNG", "image/jpeg": b"\xff\xd8\xff"}
NOTICE_TEXT_FIELDS = ("title_zh", "title_en", "body_zh", "body_en", "rights_zh", "rights_en")
NOTICE_OPTIONAL_TEXT = preconditions.NOTICE_OPTIONAL_TEXT


# --- Notices ------------------------------------------------------------------------------------------


def _clean_notice(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[Any]] = {}
    out: dict[str, Any] = {}
    for name in NOTICE_TEXT_FIELDS:
        value = str(data.get(name) or "").strip()
        if not value:
            errors[name] = [_("This field is required.")]
        out[name] = value
    for name in NOTICE_OPTIONAL_TEXT:
        out[name] = str(data.get(name) or "").strip()
    consent_purposes = set(Purpose.objects.filter(needs_consent=True).values_list("code", flat=True))
    purposes = sorted({str(p) for p in data.get("purposes") or ()})
    if not purposes:
        errors["purposes"] = [_("Choose the purposes this notice asks consent for.")]
    elif set(purposes) - consent_purposes:
        errors["purposes"] = [_("Only purposes that need consent belong in a consent notice.")]
    categories = sorted({str(c) for c in data.get("categories") or ()})
    if not categories or set(categories) - set(Category.values):
        errors["categories"] = [_("Choose the data categories this notice covers.")]
    out.update(purposes=purposes, categories=categories)
    out["recipients"] = sorted({" ".join(str(r).split())[:200] for r in data.get("recipients") or () if str(r).strip()})
    countries = sorted({str(c).strip().upper() for c in data.get("destination_countries") or () if str(c).strip()})
    if any(len(c) != 2 or not c.isalpha() or not c.isascii() for c in countries):
        errors["destination_countries"] = [_("Use two-letter country codes (ISO 3166-1), e.g. SG, DE.")]
    out["destination_countries"] = countries
    audience = str(data.get("audience") or Audience.GENERAL)
    if audience not in Audience.values:
        errors["audience"] = [_("Choose who the notice is written for.")]
    out["audience"] = audience
    try:
        days = int(data.get("retention_days") or 0)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= 36_500:
        errors["retention_days"] = [_("Enter how many days the data is kept (1 to 36500).")]
    out["retention_days"] = days
    if errors:
        raise ValidationFailed(errors)
    return out


@transaction.atomic
def publish_notice(*, ctx: Context, notice: str, data: Mapping[str, Any]) -> NoticeVersion:
    """Publish the next version of a privacy notice; if its scope grew, mark consents given under earlier
    versions as needing renewal (PIPL-14). Published versions are never edited."""
    if ctx.actor is None or not allows(ctx.roles, CONSENTS, "change"):
        raise PermissionDenied()
    code = str(notice or "").strip()
    if not code or not code.replace("-", "").replace("_", "").isalnum() or not code.isascii() or len(code) > 40:
        raise ValidationFailed({"notice": [_("Use letters, digits, hyphens and underscores for the notice code.")]})
    cleaned = _clean_notice(data)
    previous = NoticeVersion.objects.select_for_update().filter(notice=code).order_by("-version").first()
    scope_keys = ("purposes", "categories", "recipients", "destination_countries")
    grown = rules.scope_growth({k: getattr(previous, k) for k in scope_keys} if previous else None, {k: cleaned[k] for k in scope_keys})
    version = NoticeVersion(
        notice=code,
        version=(previous.version + 1) if previous else 1,
        published_at=clock.now(),
        published_by=ctx.actor,
        **cleaned,
    )
    version.content_hash = rules.content_hash({**cleaned, "notice": code, "version": version.version})
    try:
        with transaction.atomic():
            version.save(force_insert=True)
    except IntegrityError:  # two first versions of one notice at once: the other one won
        raise Conflict(_("Someone published this notice at the same moment. Reload and try again.")) from None
    marked = 0
    if grown:
        marked = (
            Consent.objects.unrestricted(reason="a grown notice marks every consent given under it for renewal (PIPL-14)")
            .filter(record__notice__notice=code, action=Action.GIVEN, needs_renewal=False)
            .exclude(record__notice=version)
            .update(needs_renewal=True)
        )
    audit.record(
        ctx,
        "notice.published",
        obj=version,
        detail={"notice": code, "version": version.version, "grown": sorted(grown), "consents_needing_renewal": marked},
    )
    events.publish(ctx, "notice.published", {"notice": code, "version": version.version, "notice_id": str(version.pk)})
    return version


# --- Consent records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    filename: str
    content_type: str
    data: bytes


def _check_evidence(evidence: Evidence | None) -> None:
    if evidence is None:
        return
    limit = settings.CLIENTVAULT_CONSENT_EVIDENCE_MAX_BYTES
    magic = EVIDENCE_TYPES.get(evidence.content_type)
    if not evidence.data:
        raise ValidationFailed({"evidence": [_("The file is empty.")]})
    if len(evidence.data) > limit:
        raise ValidationFailed({"evidence": [_("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}]})
    if magic is None or not evidence.data.startswith(magic):
        raise ValidationFailed({"evidence": [_("Upload the scan as a PDF, PNG or JPEG file.")]})


_BOOKKEEPING = "the consent service keeps the history of a customer the caller already reached through acting_on"


def _next(customer: Customer, purpose: str) -> tuple[Consent | None, int]:
    consents = Consent.objects.unrestricted(reason=_BOOKKEEPING)
    current = consents.select_for_update().select_related("record").filter(customer=customer, purpose=purpose).first()
    records = ConsentRecord.objects.unrestricted(reason=_BOOKKEEPING)
    last = records.filter(customer=customer, purpose=purpose).order_by("-seq").values_list("seq", flat=True).first()
    return current, (last or 0) + 1


def _move(customer: Customer, purpose: str, current: Consent | None, record: ConsentRecord) -> None:
    values = {
        "record": record,
        "action": record.action,
        "consent_type": record.consent_type,
        "categories": list(record.categories),
        "expires_at": record.expires_at,
        "needs_renewal": False,
        "changed_at": record.occurred_at,
    }
    if current is None:
        Consent.objects.create(customer=customer, purpose=purpose, **values)
    else:
        Consent.objects.unrestricted(reason=_BOOKKEEPING).filter(pk=current.pk).update(**values)


def _detail(record: ConsentRecord) -> dict[str, Any]:
    return {
        "purpose": record.purpose,
        "consent_type": record.consent_type,
        "channel": record.channel,
        "seq": record.seq,
        "by_subject": record.by_subject,
        "notice_id": str(record.notice_id),
    }


def _publish(ctx: Context, record: ConsentRecord) -> None:
    events.publish(
        ctx,
        "consent.changed",
        {
            "customer_id": str(record.customer_id),
            "purpose": record.purpose,
            "action": record.action,
            "consent_type": record.consent_type,
            "seq": record.seq,
            "record_id": str(record.pk),
        },
    )


@transaction.atomic
def give_consent(
    *,
    ctx: Context,
    customer_id: uuid.UUID,
    notice_id: uuid.UUID,
    capture: rules.Capture,
    channel: str,
    evidence: Evidence | None = None,
) -> ConsentRecord:
    """Record that the customer (or their guardian) gave consent for one purpose, against the notice shown."""
    customer = preconditions.acting_on(ctx, customer_id, lock=True)
    if channel not in CaptureChannel.values:
        raise ValidationFailed({"channel": [_("Choose how the consent was given.")]})
    notice = NoticeVersion.objects.filter(pk=notice_id).first()
    if notice is None:
        raise ValidationFailed({"notice": [_("Choose the notice the customer was shown.")]})
    # The row publish_notice locks: a consent and a new version of its notice never cross unseen.
    latest = (
        NoticeVersion.objects.select_for_update().filter(notice=notice.notice).order_by("-version").values_list("pk", flat=True).first()
    )
    if latest != notice.pk:
        raise Conflict(_("A newer version of this notice has been published. Show the customer the current one."), code="notice_superseded")
    now, today = clock.now(), clock.today()
    if capture.expires_at is not None and timezone.is_naive(capture.expires_at):
        raise ValidationFailed({"expires_at": [_("Give the expiry with its time zone, e.g. 2027-12-31T23:59:59+08:00.")]})
    minor = rules.is_minor(customer.minor_until, today)
    sensitive = preconditions.sensitive_categories()
    errors = rules.check_capture(
        capture,
        preconditions.purpose_facts(capture.purpose),
        preconditions.notice_facts(notice),
        minor=minor,
        sensitive_categories=sensitive,
        now=now,
    )
    if errors:
        raise ValidationFailed(errors)
    _check_evidence(evidence)
    current, seq = _next(customer, capture.purpose)
    record = ConsentRecord(
        customer=customer,
        purpose=capture.purpose,
        seq=seq,
        action=Action.GIVEN,
        consent_type=capture.consent_type,
        notice=notice,
        categories=sorted(set(capture.categories)),
        recipients=sorted(set(capture.recipients)),
        destination_country=capture.destination_country,
        channel=channel,
        captured_by=ctx.actor,
        by_subject=bool(ctx.subject_ids),
        guardian_relation=capture.guardian_relation if capture.consent_type == ConsentType.GUARDIAN else "",
        not_preticked=capture.not_preticked,
        not_bundled=capture.not_bundled,
        occurred_at=now,
        expires_at=capture.expires_at,
        request_id=ctx.request_id,
    )
    if record.guardian_relation:
        record.guardian_name_ct = cipher.encrypt(customer.pk, "consents.consentrecord", "guardian_name", capture.guardian_name.strip())
    record.save(force_insert=True)
    if evidence is not None:
        _store_evidence(record, evidence)
    _move(customer, capture.purpose, current, record)
    audit.record(ctx, "consent.given", obj=record, customer_id=record.customer_id, detail=_detail(record))
    _publish(ctx, record)
    return record


def _store_evidence(record: ConsentRecord, evidence: Evidence) -> None:
    cid = record.customer_id
    ConsentEvidence.objects.create(
        record=record,
        content_type=evidence.content_type,
        size=len(evidence.data),
        sha256=hashlib.sha256(evidence.data).hexdigest(),
        filename_ct=cipher.encrypt(cid, "consents.consentevidence", "filename", evidence.filename[:200] or "scan"),
        data_ct=cipher.encrypt_bytes(cid, "consents.consentevidence", "data", evidence.data),
    )


@transaction.atomic
def withdraw_consent(*, ctx: Context, customer_id: uuid.UUID, purpose: str, channel: str) -> ConsentRecord:
    """Record the withdrawal of a consent (PIPL-15): it stops the processing from the next request on."""
    customer = preconditions.acting_on(ctx, customer_id, lock=True)
    if channel not in CaptureChannel.values:
        raise ValidationFailed({"channel": [_("Choose how the consent was withdrawn.")]})
    current, seq = _next(customer, purpose)
    if current is None or current.action != Action.GIVEN:
        raise Conflict(_("There is no consent for this purpose to withdraw."), code="nothing_to_withdraw")
    given = current.record
    record = ConsentRecord.objects.create(
        customer=customer,
        purpose=purpose,
        seq=seq,
        action=Action.WITHDRAWN,
        consent_type=given.consent_type,
        notice_id=given.notice_id,
        categories=list(given.categories),
        recipients=list(given.recipients),
        destination_country=given.destination_country,
        channel=channel,
        captured_by=ctx.actor,
        by_subject=bool(ctx.subject_ids),
        not_preticked=True,
        not_bundled=True,
        occurred_at=clock.now(),
        request_id=ctx.request_id,
    )
    _move(customer, purpose, current, record)
    audit.record(ctx, "consent.withdrawn", obj=record, customer_id=record.customer_id, detail=_detail(record))
    _publish(ctx, record)
    return record
