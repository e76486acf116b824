"""Every write of a credit file (issue #16; ARCHITECTURE.md rules 1, 2 and 8): opening it, scoring it, evaluating
its credit-control rules. Each records its audit event in its transaction; values (scores, amounts, tiers) never
enter the audit trail — the event names the fields, the sealed record keeps the values under the customer's key.

Who: a risk officer (policy ``risk-credit``: create and change on ``credit`` for credit assessment, their legal
entity) or the system (``ctx.actor is None``: the nightly run, a payment's re-evaluation, a checkpoint). A person
without the grant gets 403; a file or customer outside their scope answers like a missing one (404).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from clientvault.access import engine
from clientvault.access.policies import CHANGE, CREATE, CREDIT, VIEW
from clientvault.assets import fx
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.customers import permissions
from clientvault.risk import control, features, holds, scoring_setup, vault
from clientvault.risk.models import ControlRule, CreditFile, CreditScore, Trigger

_SYSTEM = "credit control and scoring act on every file (system context: no person's sight is widened)"


class CreditFileExists(Conflict):
    """One credit file per customer: a second open is refused (the existing file is the one to work on)."""

    code = "credit_file_exists"
    default_message = _("This customer already has a credit file.")


def _require(ctx: Context, action: str) -> None:
    """A person needs the ``credit`` grant for ``action`` under their purpose (403); the system always may."""
    if ctx.actor is None:
        return
    engine.require_purpose(ctx)
    if not engine.can(ctx, CREDIT, action):
        raise PermissionDenied()


def _locked_file(ctx: Context, file_id: uuid.UUID | str, action: str = CHANGE) -> CreditFile:
    """The file, locked, if the actor may ``action`` it: 404 out of sight, 403 seen but not allowed."""
    try:
        pk = file_id if isinstance(file_id, uuid.UUID) else uuid.UUID(str(file_id))
    except ValueError:
        raise NotFound() from None
    if ctx.actor is None:
        found = CreditFile.objects.unrestricted(reason=_SYSTEM).select_for_update().filter(pk=pk).first()
    else:
        found = CreditFile.objects.visible_to(ctx, action).select_for_update().filter(pk=pk).first()
        if found is None and CreditFile.objects.visible_to(ctx, VIEW).filter(pk=pk).exists():
            raise PermissionDenied()
    if found is None:
        raise NotFound()
    return found


@transaction.atomic
def open_credit_file(ctx: Context, *, customer_id: uuid.UUID, currency: str = "CNY") -> CreditFile:
    """Open the customer's credit file (one per customer: a second open is a 409 ``credit_file_exists``)."""
    _require(ctx, CREATE)
    if ctx.actor is None:
        raise PermissionDenied()  # a file is opened by a person who answers for it
    customer = permissions.locked_customer(ctx, customer_id, CREATE, resource=CREDIT)
    if not fx.valid_currency(currency):
        raise ValidationFailed({"currency": [_("Enter a three-letter ISO 4217 currency code.")]})
    if CreditFile.objects.unrestricted(reason="one credit file per customer").filter(customer_id=customer.pk).exists():
        raise CreditFileExists()
    credit_file = CreditFile(customer=customer, legal_entity_id=customer.legal_entity_id, currency=currency, created_at=clock.now())
    credit_file.save(force_insert=True)
    audit.record(ctx, "credit.file_opened", obj=credit_file, customer_id=customer.pk, detail={"currency": currency.lower()})
    return credit_file


@transaction.atomic
def score_file(ctx: Context, *, file_id: uuid.UUID, trigger: str) -> CreditScore:
    """Score the file with the configured scorecard and the "default" tier policy; keep the sealed record (PIPL-24)."""
    _require(ctx, CHANGE)
    if trigger not in Trigger.values:
        raise ValidationFailed({"trigger": [_("Choose a valid trigger.")]})
    credit_file = _locked_file(ctx, file_id)
    spec = scoring_setup.scorecard()
    policy_row, tiers = scoring_setup.tier_policy()
    figures = features.figures_for(credit_file)
    inputs = features.scorecard_inputs(credit_file, figures)
    result = scoring_setup.score(spec, inputs, tiers)
    now = clock.now()
    row = CreditScore(
        credit_file=credit_file,
        scored_at=now,
        trigger=trigger,
        model_id=result.model_id,
        model_version=result.model_version,
        spec_digest=result.spec_digest.removeprefix("sha256:"),  # the column holds 64 characters: the hex digest
        tier_policy_version=policy_row.version,
        score=result.total,
        tier=result.tier or "",
    )
    record: dict[str, Any] = {**result.as_record(), "trigger": trigger, "input_fields": sorted(inputs)}
    vault.seal(row, "record", record, customer_id=credit_file.customer_id)
    row.save(force_insert=True)
    credit_file.tier = result.tier or ""
    if credit_file.next_review_on is None:
        credit_file.next_review_on = features.add_months(now.date(), scoring_setup.review_months(policy_row, credit_file.tier))
    CreditFile.objects.unrestricted(reason=_SYSTEM).filter(pk=credit_file.pk).update(
        tier=credit_file.tier, next_review_on=credit_file.next_review_on, version=F("version") + 1
    )
    credit_file.version += 1
    audit.record(
        ctx,
        "credit.scored",
        obj=row,
        customer_id=credit_file.customer_id,
        fields=["score", "record", "tier"],
        detail={
            "credit_file": str(credit_file.pk),
            "trigger": trigger,
            "model_id": _code(result.model_id),
            "model_version": _code("v" + result.model_version),
            "tier_policy": tiers.version,
            "inputs_used": list(result.inputs_used),
        },
    )
    return row


def _code(text: str) -> str:
    """An identifier as an audit code (lower case, no spaces, at most 64 characters)."""
    cleaned = re.sub(r"[^a-z0-9_.:-]", "-", text.lower())
    return (cleaned if cleaned[:1].isalpha() or cleaned[:1] == "_" else "m-" + cleaned)[:64]


def _rules() -> list[ControlRule]:
    return list(ControlRule.objects.filter(active=True).order_by("code"))


@transaction.atomic
def evaluate_file(ctx: Context, *, file_id: uuid.UUID, checkpoint: str = control.EVALUATION) -> control.Outcome:
    """Evaluate the control rules on the file's figures; place the holds that fire, release those that no longer do
    (rule holds only: a forced hold is never released here), and keep the evaluation (figures and codes, no text)."""
    _require(ctx, CHANGE)
    credit_file = _locked_file(ctx, file_id)
    figures = features.figures_for(credit_file)
    outcome = control.evaluate(figures, _rules(), checkpoint)
    placed: list[str] = []
    released: list[str] = []
    if checkpoint == control.EVALUATION:
        for code in outcome.holds:
            if holds.ensure_rule_hold(ctx, credit_file, code) is not None:
                placed.append(code)
        released = [h.reason_code for h in holds.release_rule_holds(ctx, credit_file, still_firing=set(outcome.holds))]
    now = clock.now()
    evaluation = {
        "checkpoint": checkpoint,
        "as_of": figures.as_of.isoformat(),
        "fired": [f.as_dict() for f in outcome.fired],
        "figures": scoring_setup.figures_record(figures, outcome),
    }
    CreditFile.objects.unrestricted(reason=_SYSTEM).filter(pk=credit_file.pk).update(
        evaluation=evaluation, evaluated_at=now, version=F("version") + 1
    )
    credit_file.evaluation, credit_file.evaluated_at = evaluation, now
    credit_file.version += 1
    audit.record(
        ctx,
        "credit.evaluated",
        obj=credit_file,
        customer_id=credit_file.customer_id,
        fields=["evaluation"],
        detail={
            "checkpoint": checkpoint,
            "fired": [f.code for f in outcome.fired],
            "holds_placed": placed,
            "holds_released": released,
        },
    )
    return outcome
