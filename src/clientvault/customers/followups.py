"""Follow-up records (跟进记录): their writes, and what a reader sees of them.

What was said with a customer is that customer's personal data (issue #11): ``summary`` and ``next_step``
are sealed under the customer's own key (``vault.seal_followup``, bound to the follow-up row), erased with
that key, and decided per field like the customer's own fields (ARCHITECTURE.md rule 3): the catalogue's
``followup.summary`` / ``followup.next_step`` class × the actor's follow-up rules for the declared purpose
× the row (a core customer counts as C3) × the live consent's scope. Withheld text is never decrypted.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.access import engine
from clientvault.access.plan import DisclosurePlan, disclosure_plan
from clientvault.access.policies import CHANGE, CREATE, DELETE, FOLLOWUP, Decision, FieldView, Scope
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied, ValidationFailed
from clientvault.core.text import clean_text
from clientvault.crypto import keystore
from clientvault.customers import disclosure, permissions, rules, vault
from clientvault.customers.choices import Channel
from clientvault.customers.models import Customer, FollowUp

TEXT_FIELDS = vault.FOLLOWUP_FIELDS
EDITABLE = ("occurred_at", "channel", "summary", "next_step", "next_step_due")
_UNCLASSIFIED = ("C3", "hidden", "other", True)  # fail closed, as for customer fields


def catalogue_key(field: str) -> str:
    return f"followup.{field}"


# --- What a reader sees -------------------------------------------------------------------------


def plan(ctx: Context, customer: Customer) -> DisclosurePlan:
    """The disclosure plan of the follow-ups of ``customer`` (the same for all of them), keyed by the
    catalogue key (``followup.summary`` …); consent state comes in as a fact (access.facts)."""
    fields = {catalogue_key(f): catalogue_key(f) for f in TEXT_FIELDS}
    return disclosure_plan(ctx, disclosure.rows_of([customer]), fields, FOLLOWUP)


def decisions(ctx: Context, customer: Customer) -> dict[str, FieldView]:
    """Text field → decision for this actor on the follow-ups of ``customer`` (same for all of them)."""
    row = plan(ctx, customer)[customer.pk]
    return {f: row[catalogue_key(f)].view for f in TEXT_FIELDS}


def audit_detail(ctx: Context, customer: Customer) -> dict[str, Any]:
    """What a follow-up read event records of its plan (codes, no values; consent gating)."""
    the_plan = plan(ctx, customer)
    detail: dict[str, Any] = {"disclosure": the_plan.audit_codes()}
    if the_plan.consent_gated:
        detail.update(consent_gated=True, withheld_for_consent=the_plan.withheld_for_consent())
    return detail


def present(ctx: Context, customer: Customer, followups: Sequence[FollowUp]) -> list[str]:
    """Decide, decrypt what is shown, mask, and set ``summary`` / ``next_step`` / ``field_views`` /
    ``erased`` on each follow-up. Returns the fields shown in any form (for the caller's audit event).

    Only selectors (and services answering with the record they wrote) call this; they record the event.
    """
    if not followups:
        return []
    views = decisions(ctx, customer)
    classes = engine.field_classes(ctx)
    mask_settings = disclosure._mask_settings()
    readable = [f for f in TEXT_FIELDS if views[f].decision is not Decision.WITHHELD]
    shown: set[str] = set()
    for followup in followups:
        try:
            raw = vault.unseal_followup(followup, readable)
            followup.erased = False
        except keystore.KeyDestroyed:  # the customer was crypto-shredded: their follow-ups went with the key
            raw = {}
            followup.erased = True
        for field in TEXT_FIELDS:
            value = raw.get(field, "")
            profile = classes.get(catalogue_key(field), _UNCLASSIFIED)[1]
            setattr(followup, field, disclosure.shown_value(views[field].decision, profile, value, mask_settings))
            if field in readable and value:
                shown.add(field)
        followup.field_views = dict(views)
    return sorted(shown)


def visible_customer(ctx: Context, customer_id: uuid.UUID) -> Customer:
    """The customer, if the actor may see it, with what the decisions need (department path)."""
    customer = Customer.objects.visible_to(ctx, "view").select_related("department").filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer


# --- Writes -------------------------------------------------------------------------------------


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[Any]] = {}
    out: dict[str, Any] = {}
    occurred = data.get("occurred_at")
    if not isinstance(occurred, dt.datetime):
        errors["occurred_at"] = [_("Enter a valid date and time.")]
    elif occurred > clock.now() + dt.timedelta(minutes=5):
        errors["occurred_at"] = [_("A follow-up cannot be in the future.")]
    else:
        try:
            # Stored as the same instant in UTC: PostgreSQL refuses offsets past ±15:59 that ISO 8601 allows.
            out["occurred_at"] = occurred.astimezone(dt.UTC) if occurred.tzinfo is not None else occurred
        except OverflowError:  # an instant before the year 1 in UTC
            errors["occurred_at"] = [_("Enter a valid date and time.")]
    channel = data.get("channel") or ""
    if channel not in Channel.values:
        errors["channel"] = [_("Choose a valid channel.")]
    out["channel"] = channel
    summary = clean_text(str(data.get("summary") or "")).strip()
    if not summary:
        errors["summary"] = [_("This field is required.")]
    elif len(summary) > 4000:
        errors["summary"] = [_("Use at most %(n)d characters.") % {"n": 4000}]
    out["summary"] = summary
    next_step = " ".join(clean_text(str(data.get("next_step") or "")).split())
    if len(next_step) > 500:
        errors["next_step"] = [_("Use at most %(n)d characters.") % {"n": 500}]
    out["next_step"] = next_step
    due = data.get("next_step_due")
    if due is not None and not isinstance(due, dt.date):
        errors["next_step_due"] = [_("Enter a valid date.")]
    out["next_step_due"] = due
    rules.raise_if(errors)
    return out


def clean_followup(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validated follow-up values (for the bulk import, which validates every row before writing)."""
    return _clean(data)


def build(customer_id: uuid.UUID, author: Any, cleaned: Mapping[str, Any]) -> FollowUp:
    """A new follow-up with its text sealed under the customer's key (the key must exist)."""
    plain = {k: v for k, v in cleaned.items() if k not in TEXT_FIELDS}
    followup = FollowUp(customer_id=customer_id, author=author, **plain)
    vault.seal_followup(followup, {f: cleaned.get(f, "") for f in TEXT_FIELDS})
    return followup


@transaction.atomic
def create_followup(*, ctx: Context, customer_id: uuid.UUID, data: Mapping[str, Any]) -> FollowUp:
    """Record an interaction with a customer the actor may follow up."""
    permissions.require(ctx, FOLLOWUP, CREATE)
    customer = permissions.locked_customer(ctx, customer_id, CREATE, resource=FOLLOWUP)
    assert ctx.actor is not None
    followup = build(customer.pk, ctx.actor, _clean(data))
    followup.save(force_insert=True)
    audit.record(ctx, "followup.created", obj=followup, customer_id=customer.pk, fields=list(TEXT_FIELDS))
    present(ctx, customer, [followup])  # the answer shows it as the policy decides
    return followup


def _locked_followup(ctx: Context, followup_id: uuid.UUID, action: str) -> FollowUp:
    if not FollowUp.objects.visible_to(ctx, "view").filter(pk=followup_id).exists():
        raise NotFound()
    followup = FollowUp.objects.visible_to(ctx, action).select_for_update().filter(pk=followup_id).first()
    if followup is None:
        raise PermissionDenied()
    # Reps correct only what they wrote; managers may correct their team's records.
    if engine.scope(ctx, FOLLOWUP, action) < Scope.SUBTREE and followup.author_id != ctx.actor_id:
        raise PermissionDenied(_("Only the author or a manager can change this follow-up."))
    return followup


@transaction.atomic
def update_followup(*, ctx: Context, followup_id: uuid.UUID, changes: Mapping[str, Any]) -> FollowUp:
    """Correct a follow-up record. Text the actor does not see in clear cannot be overwritten, and an
    answer that shows the record leaves its event even when nothing changed (then a ``followup.listed``)."""
    permissions.require(ctx, FOLLOWUP, CHANGE)
    followup = _locked_followup(ctx, followup_id, CHANGE)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed({f: [_("This field cannot be changed.")] for f in sorted(unknown)})
    customer = visible_customer(ctx, followup.customer_id)
    views = decisions(ctx, customer)
    blocked = sorted(f for f in TEXT_FIELDS if f in changes and views[f].decision is not Decision.PLAIN)
    if blocked:
        message = _("You cannot change a value you do not see in clear for this purpose.")
        raise ValidationFailed({f: [message] for f in blocked})
    try:
        current: dict[str, Any] = {**vault.unseal_followup(followup), **{f: getattr(followup, f) for f in EDITABLE if f not in TEXT_FIELDS}}
    except keystore.KeyDestroyed:
        raise NotFound() from None  # an erased customer's record is not corrected
    cleaned = _clean({**current, **changes})
    changed = [f for f, v in cleaned.items() if current.get(f) != v]
    if not changed:
        shown = present(ctx, customer, [followup])
        audit.record(
            ctx,
            "followup.listed",
            obj=followup,
            customer_id=customer.pk,
            fields=shown,
            detail={"result_count": 1, "page": 1, "unchanged": True},
        )
        return followup
    for field, value in cleaned.items():
        if field not in TEXT_FIELDS:
            setattr(followup, field, value)
    vault.seal_followup(followup, {f: cleaned[f] for f in TEXT_FIELDS})
    followup.save()
    audit.record(ctx, "followup.updated", obj=followup, customer_id=followup.customer_id, fields=changed)
    present(ctx, customer, [followup])
    return followup


@transaction.atomic
def delete_followup(*, ctx: Context, followup_id: uuid.UUID) -> None:
    """Delete a follow-up recorded in error."""
    permissions.require(ctx, FOLLOWUP, DELETE)
    followup = _locked_followup(ctx, followup_id, DELETE)
    audit.record(ctx, "followup.deleted", obj=followup, customer_id=followup.customer_id)
    followup.delete()
