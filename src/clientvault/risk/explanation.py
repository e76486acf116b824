"""Explaining an automated credit decision to the person it is about (PIPL-24, GDPR-22, GDPR-15(1)(h)).

Two readers ask here:

- the explanation of processing (``rights/explanation.py``, through ``core.automated_decisions``): does a scorecard
  decide about this customer, and in plain words what it weighs, what follows from it and how to ask for a person
  (``credit_decisions``, registered in ``risk/apps.py``);
- the customer signed in to the portal (``explain_score`` / ``explain_latest``): the tier of a score, the top
  reasons in plain language from its reason codes, the date, and the outcome of any human review beside it. Each
  response records ``credit.explanation_viewed`` with the fields shown, in the read's transaction.

What is shown, and what is not (decided for issue #16): the reasons are the scorecard's own text
(``scoring.reason_text``: the band the person fell in and how far below the best band of that characteristic it
scored), which tells the person what weighed against them and by how much relative to the others. The total score,
the raw points per characteristic and the tier thresholds are *not* shown: a number on an internal PDO scale means
nothing without the scale, invites gaming of the cut-offs, and the tier — not the number — is what has effects.
A risk officer sees those on the credit file.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from clientvault.audit import recording as audit
from clientvault.core.automated_decisions import AutomatedDecision
from clientvault.core.context import Context
from clientvault.core.errors import NotFound
from clientvault.risk import vault
from clientvault.risk.models import CreditReview, CreditScore, ReviewKind, ReviewOutcome, ReviewStatus, Tier, TierPolicy
from clientvault.risk.plain_bands import band_labels
from clientvault.risk.scorecard import spec as specs
from clientvault.risk.scorecard.scoring import ScoringError, reason_text

DECISION_CODE = "credit.scorecard"
DEMO_SPEC = Path(__file__).resolve().parent / "data" / "demo_scorecard.json"
TOP_REASONS = 4
_PROVIDER_REASON = "the explanation of processing asks whether a scorecard decides about the customer (PIPL-24)"


@functools.lru_cache(maxsize=4)
def _load(path: str) -> specs.ScorecardSpec:
    return specs.load(path)


def scorecard_spec() -> specs.ScorecardSpec:
    """The scorecard in use: ``CLIENTVAULT_RISK_SCORECARD`` (a spec file) or the shipped demo scorecard."""
    return _load(str(getattr(settings, "CLIENTVAULT_RISK_SCORECARD", "") or DEMO_SPEC))


def _lang(language: str) -> str:
    return "en" if (language or "").lower().startswith("en") else "zh"


def reason_line(spec: specs.ScorecardSpec, code: str, language: str) -> str:
    """One reason code in plain words in the language asked: the spec's own ``reason_text``; a code the spec in use
    no longer knows (the score came from an earlier scorecard) falls back to the characteristic's label."""
    key = _lang(language)
    try:
        text = reason_text(spec, code)
    except ScoringError:
        field_code = code.rpartition(":")[0]
        try:
            c = spec.characteristic(field_code)
        except KeyError:
            return _("A characteristic of an earlier scorecard scored below its best band.")
        label = c.label_en if key == "en" else c.label_zh
        return _("%(characteristic)s scored below its best band.") % {"characteristic": label}
    field_code, _sep, bin_id = code.rpartition(":")
    characteristic = spec.characteristic(field_code)
    band = characteristic.bin(bin_id)
    plain = band_labels(field_code, characteristic.label_zh, characteristic.label_en, band)
    if plain is None:
        return text[key]
    exact = band.label_en if key == "en" else band.label_zh
    return text[key].replace(exact, plain[1] if key == "en" else plain[0], 1)  # the band in words; the gap as the spec says


# --- The explanation of processing (core.automated_decisions provider) ---------------------------------------


def _review_months() -> tuple[int, int, int]:
    policy = TierPolicy.objects.filter(code="default").first()
    if policy is None:
        return 3, 6, 12  # the defaults; the seeded policy (risk/migrations/0002) normally answers
    return policy.review_months_high, policy.review_months_medium, policy.review_months_low


def credit_decisions(customer_id: uuid.UUID, language: str) -> list[AutomatedDecision]:
    """The credit scorecard, when it has scored the customer (a credit file with at least one score); else nothing."""
    scored = CreditScore.objects.unrestricted(reason=_PROVIDER_REASON).filter(credit_file__customer_id=customer_id).exists()
    if not scored:
        return []
    spec = scorecard_spec()
    key = _lang(language)
    high, medium, low = _review_months()
    with translation.override(language):
        separator = ", " if key == "en" else "、"
        characteristics = separator.join(c.label_en if key == "en" else c.label_zh for c in spec.characteristics)
        logic = _(
            "A points scorecard: each of these characteristics of your credit file gives points according to the band "
            "it falls in — %(characteristics)s — and the points are added up. A lower total means a higher risk of "
            "late payment; the total places you in the high, medium or low risk tier. Sex, age and nationality are "
            "not used."
        ) % {"characteristics": characteristics}
        effect = _(
            "The tier decides how often we review your credit file (high risk every %(high)d months, medium every "
            "%(medium)d, low every %(low)d) and is one of the facts our credit-control rules weigh for your credit "
            "limits, payment terms and credit holds."
        ) % {"high": high, "medium": medium, "low": low}
        review = _(
            "In the portal, under My credit decision, choose “Ask for a person to review” and, if you wish, "
            "add your view. A risk officer reviews the decision; the outcome is shown beside the automated one, within "
            "the time limit of a data-subject request."
        )
        return [AutomatedDecision(DECISION_CODE, _("Credit scoring"), logic, effect, review)]


# --- The customer's own explanation in the portal ---------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    code: str
    text: str


@dataclass(frozen=True)
class HumanReview:
    """A person's review of an automated score, as the customer sees it."""

    id: uuid.UUID
    open: bool
    opened_at: dt.datetime
    due_on: dt.date
    outcome: str  # "" while open; confirmed | changed
    outcome_label: str
    tier: str  # the tier after the review ("" while open)
    tier_label: str
    note: str  # the reviewer's reasons, given to the customer
    completed_at: dt.datetime | None
    rights_request_id: uuid.UUID | None


@dataclass(frozen=True)
class CreditExplanation:
    customer_id: uuid.UUID
    score_id: uuid.UUID
    scored_at: dt.datetime
    tier: str  # the automated decision's tier
    tier_label: str
    current_tier: str  # the file's tier now (a person's review may have changed it)
    current_tier_label: str
    reasons: tuple[Reason, ...]
    reviews: tuple[HumanReview, ...]

    @property
    def open_review(self) -> HumanReview | None:
        return next((r for r in self.reviews if r.open), None)


def _tier_label(tier: str) -> str:
    return str(Tier(tier).label) if tier in Tier.values else ""


def _require_subject(ctx: Context) -> None:
    """The portal's signed-in person reads their own explanation; staff read the credit file (other pages)."""
    if ctx.actor is not None or not ctx.subject_ids:
        raise NotFound()


def _reviews(score: CreditScore) -> tuple[HumanReview, ...]:
    rows = (
        CreditReview.objects.unrestricted(reason="the reviews of a score the signed-in customer sees (PIPL-24)")
        .filter(score=score, kind=ReviewKind.HUMAN)
        .order_by("-opened_at")
    )
    out = []
    for r in rows:
        done = r.status == ReviewStatus.DONE
        note = (vault.open_text(r, "note", customer_id=score.credit_file.customer_id) or "") if done else ""
        out.append(
            HumanReview(
                id=r.pk,
                open=not done,
                opened_at=r.opened_at,
                due_on=r.due_on,
                outcome=r.outcome,
                outcome_label=str(ReviewOutcome(r.outcome).label) if r.outcome else "",
                tier=r.outcome_tier,
                tier_label=_tier_label(r.outcome_tier),
                note=note,
                completed_at=r.completed_at,
                rights_request_id=r.rights_request_id,
            )
        )
    return tuple(out)


def _explain(ctx: Context, score: CreditScore, language: str) -> CreditExplanation:
    customer_id = score.credit_file.customer_id
    record = vault.open_json(score, "record", customer_id=customer_id) or {}
    codes = [str(c) for c in record.get("reason_codes") or []][:TOP_REASONS]
    spec = scorecard_spec()
    with translation.override(language):
        reasons = tuple(Reason(code, reason_line(spec, code, language)) for code in codes)
        reviews = _reviews(score)
        found = CreditExplanation(
            customer_id=customer_id,
            score_id=score.pk,
            scored_at=score.scored_at,
            tier=score.tier,
            tier_label=_tier_label(score.tier),
            current_tier=score.credit_file.tier,
            current_tier_label=_tier_label(score.credit_file.tier),
            reasons=reasons,
            reviews=reviews,
        )
    shown = ["creditscore.tier", "creditscore.scored_at", "creditfile.tier"] + (["creditscore.record"] if reasons else [])
    if any(not r.open for r in reviews):
        shown += ["creditreview.outcome", "creditreview.outcome_tier", "creditreview.note"]
    detail = {"score": str(score.pk), "reasons": len(reasons), "reviews": len(reviews), "language": _lang(language)}
    audit.record(ctx, "credit.explanation_viewed", obj=score, customer_id=customer_id, fields=shown, detail=detail)
    return found


@transaction.atomic
def explain_score(ctx: Context, score_id: uuid.UUID, language: str) -> CreditExplanation:
    """One of the signed-in customer's own scores explained (another's, or none: 404 like missing)."""
    _require_subject(ctx)
    score = CreditScore.objects.visible_to(ctx).select_related("credit_file").filter(pk=score_id).first()
    if score is None:
        raise NotFound()
    return _explain(ctx, score, language)


@transaction.atomic
def explain_latest(ctx: Context, language: str) -> list[CreditExplanation]:
    """The latest score of each of the signed-in customer's records, explained; empty when no scorecard decided
    about them (the page says so). One ``credit.explanation_viewed`` per record looked at, also when none."""
    _require_subject(ctx)
    found: list[CreditExplanation] = []
    scores = CreditScore.objects.visible_to(ctx).select_related("credit_file").order_by("credit_file__customer_id", "-scored_at")
    latest: dict[uuid.UUID, CreditScore] = {}
    for score in scores:
        latest.setdefault(score.credit_file.customer_id, score)
    for customer_id in sorted(ctx.subject_ids):
        score = latest.get(customer_id)
        if score is None:
            detail = {"score": None, "reasons": 0, "reviews": 0, "language": _lang(language)}
            audit.record(ctx, "credit.explanation_viewed", object_type="risk.creditscore", customer_id=customer_id, detail=detail)
            continue
        found.append(_explain(ctx, score, language))
    return found
