"""The risk desk's aggregates (issue #16): the book by tier, tier migration month over month, overdue buckets, holds
in force, reviews due, and the monthly report's warning kinds and model stability.

Counts and sums over the files the actor may see (``visible_to(ctx)``: the same rows the file list shows), never one
customer's own value; ``risk.selectors.portfolio`` / ``monthly_report`` call these and record the aggregate event.
Exposure and overdue come from each file's last control evaluation (``CreditFile.evaluation``, written by
``risk.control``): a file not evaluated yet counts as such, never as "current".
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clientvault.access import engine
from clientvault.access.policies import CREDIT, VIEW, Decision
from clientvault.core.context import Context
from clientvault.risk.models import (
    CreditFile,
    CreditHold,
    CreditLimit,
    CreditReview,
    CreditScore,
    EarlyWarning,
    HoldKind,
    HoldStatus,
    LimitKind,
    ReviewStatus,
    Severity,
    StabilityCheck,
    Tier,
)

TIERS = (Tier.HIGH.value, Tier.MEDIUM.value, Tier.LOW.value)
NOT_SCORED = "none"
# Overdue buckets (days past the oldest unpaid due date): the usual 1-30 / 31-60 / 61-90 / 90+ of credit reporting.
BUCKETS: tuple[tuple[str, Any, int, int | None], ...] = (
    ("current", _("Not overdue"), 0, 0),
    ("1_30", _("1-30 days"), 1, 30),
    ("31_60", _("31-60 days"), 31, 60),
    ("61_90", _("61-90 days"), 61, 90),
    ("90_plus", _("Over 90 days"), 91, None),
)
DUE_SOON_DAYS = 30
TOP_WARNINGS = 10


def tier_label(code: str) -> str:
    return str(dict(Tier.choices).get(code, _("Not scored yet")))


# --- Reading an evaluation -----------------------------------------------------------------------------------


def figures_of(evaluation: Mapping[str, Any]) -> dict[str, Any]:
    """The measured figures of an evaluation: under ``figures`` (risk.control's record), else the top level."""
    inner = evaluation.get("figures")
    return dict(inner) if isinstance(inner, Mapping) else dict(evaluation)


def fired_of(evaluation: Mapping[str, Any]) -> list[str]:
    """The rule codes that fired at the evaluation (``fired``: codes, or objects with a ``code``)."""
    fired = evaluation.get("fired") or evaluation.get("rules") or []
    codes = [item.get("code") if isinstance(item, Mapping) else item for item in fired] if isinstance(fired, list) else []
    return [str(c) for c in codes if c]


def int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def bucket_of(days_overdue: int | None) -> str:
    days = max(0, days_overdue or 0)
    for code, _label, low, high in BUCKETS:
        if days >= low and (high is None or days <= high):
            return code
    return BUCKETS[-1][0]


# --- Sight of the tier (a filter on a column reveals it) -----------------------------------------------------


def _plain(ctx: Context, jrt_class: str) -> bool:
    rules = engine.policies(ctx)
    views = [rules.in_scope_view(role, ctx.purpose, jrt_class, CREDIT) for role in ctx.roles]
    return any(v is not None and v.decision is Decision.PLAIN for v in views)


def tier_filter(ctx: Context, qs: QuerySet[CreditFile], tier: str) -> QuerySet[CreditFile]:
    """Files of ``tier`` among those whose tier the actor sees in clear: filtering rows whose tier is hidden would
    tell it all the same (a core customer's credit data counts as C3, like its other fields)."""
    tier_class = engine.field_classes(ctx).get("creditfile.tier", ("C3",))[0]
    if not _plain(ctx, tier_class):
        return qs.none()
    qs = qs.filter(tier="" if tier == NOT_SCORED else tier)
    return qs if _plain(ctx, "C3") else qs.exclude(customer__is_core=True)


def tier_filter_offered(ctx: Context) -> bool:
    return _plain(ctx, engine.field_classes(ctx).get("creditfile.tier", ("C3",))[0])


def limits_in_force(ctx: Context, files: Iterable[CreditFile], on: dt.date) -> dict[uuid.UUID, int]:
    """Per file, the granted limit on ``on``: the permanent one in force, raised by a valid temporary one."""
    permanent: dict[uuid.UUID, int] = {}
    temporary: dict[uuid.UUID, int] = {}
    rows = (
        CreditLimit.objects.visible_to(ctx, VIEW)
        .filter(credit_file__in=list(files), ended_at__isnull=True, valid_from__lte=on)
        .order_by("valid_from", "created_at")
        .values_list("credit_file_id", "kind", "amount", "valid_until")
    )
    for file_id, kind, amount, until in rows:
        if kind == LimitKind.PERMANENT:
            permanent[file_id] = amount  # the latest permanent limit wins (ordered by valid_from)
        elif until is not None and on <= until:
            temporary[file_id] = max(temporary.get(file_id, 0), amount)
    return {k: max(permanent.get(k, 0), temporary.get(k, 0)) for k in {*permanent, *temporary}}


# --- The portfolio ---------------------------------------------------------------------------------------------


@dataclass
class TierRow:
    tier: str
    label: str
    files: int
    exposure: dict[str, int]  # currency → minor units


@dataclass
class Bucket:
    code: str
    label: str
    files: int
    overdue: dict[str, int]


@dataclass
class Migration:
    from_month: dt.date
    to_month: dt.date
    tiers: list[str]  # TIERS + NOT_SCORED, the rows' and columns' order
    counts: dict[tuple[str, str], int]

    def rows(self) -> list[tuple[str, list[int]]]:
        return [(tier_label(a), [self.counts.get((a, b), 0) for b in self.tiers]) for a in self.tiers]

    @property
    def moved(self) -> int:
        return sum(n for (a, b), n in self.counts.items() if a != b)


@dataclass
class Portfolio:
    as_of: dt.date
    files: int
    by_tier: list[TierRow]
    migration: Migration
    buckets: list[Bucket]
    not_evaluated: int
    holds_forced: int
    holds_rule: int
    reviews_overdue: int
    reviews_due_soon: int

    def chart(self) -> dict[str, Any]:
        """The chart data as JSON for the page (ECharts, from a json_script tag: no inline script)."""
        return {
            "tiers": {
                "labels": [r.label for r in self.by_tier],
                "values": [r.files for r in self.by_tier],
                "codes": [r.tier for r in self.by_tier],
            },
            "buckets": {
                "labels": [b.label for b in self.buckets],
                "values": [b.files for b in self.buckets],
                "codes": [b.code for b in self.buckets],
            },
        }


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month(first: dt.date) -> dt.date:
    return (first - dt.timedelta(days=1)).replace(day=1)


def next_month(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1)


def _tier_at(ctx: Context, file_ids: list[uuid.UUID], end: dt.datetime) -> dict[uuid.UUID, str]:
    """Each file's tier by its last score before ``end`` (files never scored by then are left out)."""
    tiers: dict[uuid.UUID, str] = {}
    rows = (
        CreditScore.objects.visible_to(ctx, VIEW)
        .filter(credit_file_id__in=file_ids, scored_at__lt=end)
        .order_by("scored_at", "id")
        .values_list("credit_file_id", "tier")
    )
    for file_id, tier in rows:
        tiers[file_id] = tier
    return tiers


def _month_end(first: dt.date) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(next_month(first), dt.time.min))


def migration(ctx: Context, file_ids: list[uuid.UUID], month: dt.date) -> Migration:
    """From each file's tier at the end of the month before ``month`` to its tier at the end of ``month``."""
    before = _tier_at(ctx, file_ids, _month_end(previous_month(month)))
    after = _tier_at(ctx, file_ids, _month_end(month))
    counts: Counter[tuple[str, str]] = Counter()
    for file_id in file_ids:
        if file_id in before or file_id in after:
            counts[(before.get(file_id) or NOT_SCORED, after.get(file_id) or NOT_SCORED)] += 1
    return Migration(previous_month(month), month, [*TIERS, NOT_SCORED], dict(counts))


def portfolio(ctx: Context, today: dt.date, *, month: dt.date | None = None) -> Portfolio:
    files = list(CreditFile.objects.visible_to(ctx, VIEW).values_list("id", "tier", "currency", "evaluation"))
    ids = [f[0] for f in files]
    tier_files: Counter[str] = Counter()
    tier_exposure: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    bucket_files: Counter[str] = Counter()
    bucket_overdue: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    not_evaluated = 0
    for _id, tier, currency, evaluation in files:
        code = tier or NOT_SCORED
        tier_files[code] += 1
        if not evaluation:
            not_evaluated += 1
            continue
        figures = figures_of(evaluation)
        tier_exposure[code][currency] += int_or_none(figures.get("exposure")) or 0
        bucket = bucket_of(int_or_none(figures.get("days_overdue")))
        bucket_files[bucket] += 1
        bucket_overdue[bucket][currency] += int_or_none(figures.get("overdue_amount")) or 0
    holds = Counter(CreditHold.objects.visible_to(ctx, VIEW).filter(status=HoldStatus.ACTIVE).values_list("kind", flat=True))
    reviews = CreditReview.objects.visible_to(ctx, VIEW).filter(status=ReviewStatus.OPEN)
    return Portfolio(
        as_of=today,
        files=len(files),
        by_tier=[TierRow(t, tier_label(t), tier_files[t], dict(sorted(tier_exposure[t].items()))) for t in (*TIERS, NOT_SCORED)],
        migration=migration(ctx, ids, month or month_start(today)),
        buckets=[
            Bucket(code, str(label), bucket_files[code], dict(sorted(bucket_overdue[code].items()))) for code, label, _l, _h in BUCKETS
        ],
        not_evaluated=not_evaluated,
        holds_forced=holds[HoldKind.FORCED.value],
        holds_rule=holds[HoldKind.RULE.value],
        reviews_overdue=reviews.filter(due_on__lt=today).count(),
        reviews_due_soon=reviews.filter(due_on__gte=today, due_on__lte=today + dt.timedelta(days=DUE_SOON_DAYS)).count(),
    )


# --- The monthly report ----------------------------------------------------------------------------------------


@dataclass
class WarningKindRow:
    kind: str
    critical: int
    warning: int
    info: int

    @property
    def total(self) -> int:
        return self.critical + self.warning + self.info


@dataclass
class StabilityRow:
    month: dt.date
    model_id: str
    psi: float
    threshold: float
    alert: bool
    population: int


@dataclass
class Report:
    month: dt.date
    generated_on: dt.date
    portfolio: Portfolio
    warnings: list[WarningKindRow]
    warnings_total: int
    stability: list[StabilityRow] = field(default_factory=list)


def report(ctx: Context, month: dt.date, today: dt.date) -> Report:
    """The month's report: tier migration into ``month``, today's buckets and holds (the last evaluations), the
    warning kinds detected in the month (most frequent first) and the scorecards' stability over six months."""
    first = month_start(month)
    book = portfolio(ctx, today, month=first)
    start, end = _month_end(previous_month(first)), _month_end(first)
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    rows = EarlyWarning.objects.visible_to(ctx, VIEW).filter(detected_at__gte=start, detected_at__lt=end).values_list("kind", "severity")
    for kind, severity in rows:
        kinds[kind][severity] += 1
    warnings = sorted(
        (WarningKindRow(k, c[Severity.CRITICAL.value], c[Severity.WARNING.value], c[Severity.INFO.value]) for k, c in kinds.items()),
        key=lambda r: (-r.critical, -r.total, r.kind),
    )
    oldest = first
    for _i in range(5):
        oldest = previous_month(oldest)
    stability = [
        StabilityRow(s.month, s.model_id, s.psi, s.threshold, s.alert, s.population)
        for s in StabilityCheck.objects.filter(month__gte=oldest, month__lte=first).order_by("model_id", "month")
    ]
    return Report(first, today, book, warnings[:TOP_WARNINGS], sum(r.total for r in warnings), stability)
