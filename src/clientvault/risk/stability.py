"""Score stability (issue #16): the population stability index (PSI) of a month's scores against a baseline.

The formula (Siddiqi, *Credit Risk Scorecards*, Wiley 2006, ch. 8 "system stability report"; studied in
Yurdakul, "Statistical properties of the population stability index", Western Michigan University 2018):

    PSI = Σ_i (a_i − e_i) · ln(a_i / e_i)

over the bins i, where e_i is the baseline's share of scores in bin i and a_i the month's share. The bins are the
baseline's deciles (10 bins; fewer when ties make deciles coincide); an empty bin's share is replaced by
``EPSILON`` so the logarithm is defined (the usual correction; the term stays large, as it should). Rules of thumb
(Siddiqi): < 0.1 stable, 0.1–0.25 watch, > 0.25 shifted — the issue's alert threshold, a setting here
(``CLIENTVAULT_RISK_STABILITY = {"threshold": 0.25}`` [M]).

The baseline is the scorecard's training distribution when the spec carries one (``metrics.score_distribution``:
``{"edges": [9 cut points], "shares": [10 shares]}``), else the first month the model scored. Only scores are
read — bin counts are stored, nothing personal — so the check needs no customer's key.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from clientvault.audit import recording as audit
from clientvault.core import clock, notifications
from clientvault.core import roles as R
from clientvault.core.context import Context
from clientvault.risk.models import CreditScore, StabilityCheck

EPSILON = 1e-4
BINS = 10
DEFAULT_THRESHOLD = 0.25
NOTIFICATION_KIND = "credit.stability_alert"
_SCORES = "score stability reads score totals only (bin counts are stored; no customer's data is shown)"


def threshold() -> float:
    raw = (getattr(settings, "CLIENTVAULT_RISK_STABILITY", None) or {}).get("threshold", DEFAULT_THRESHOLD)
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw <= 0:
        raise ImproperlyConfigured("CLIENTVAULT_RISK_STABILITY['threshold'] must be a positive number.")
    return float(raw)


def decile_edges(scores: Sequence[float], bins: int = BINS) -> list[float]:
    """The inner cut points at the baseline's quantiles 1/bins … (bins−1)/bins (nearest rank), duplicates dropped."""
    ordered = sorted(scores)
    if not ordered:
        raise ValueError("a baseline needs scores")
    n = len(ordered)
    edges: list[float] = []
    for k in range(1, bins):
        edge = ordered[min(n - 1, math.ceil(k * n / bins) - 1)]
        if not edges or edge > edges[-1]:
            edges.append(edge)
    return edges


def shares(scores: Sequence[float], edges: Sequence[float]) -> list[float]:
    """The share of ``scores`` in each bin (−∞, e1], (e1, e2], …, (e_last, +∞)."""
    counts = [0] * (len(edges) + 1)
    for value in scores:
        counts[bisect.bisect_left(edges, value)] += 1
    total = len(scores)
    return [c / total for c in counts] if total else [0.0] * len(counts)


def psi(expected: Sequence[float], actual: Sequence[float], epsilon: float = EPSILON) -> float:
    """Σ (a − e) · ln(a / e) over the bins, empty shares replaced by ``epsilon``."""
    if len(expected) != len(actual) or not expected:
        raise ValueError("expected and actual need the same, non-zero number of bins")
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, epsilon), max(a, epsilon)
        total += (a - e) * math.log(a / e)
    return total


@dataclass(frozen=True)
class Baseline:
    edges: list[float]
    shares: list[float]
    source: str  # "training" or "first_month"
    month: dt.date | None = None

    def as_json(self) -> dict[str, Any]:
        return {"edges": self.edges, "shares": self.shares, "source": self.source, "month": self.month.isoformat() if self.month else None}


def training_baseline(metrics: Mapping[str, Any] | None) -> Baseline | None:
    """The spec's training distribution, when it has a well-formed one."""
    dist = (metrics or {}).get("score_distribution")
    if not isinstance(dist, Mapping):
        return None
    edges, parts = dist.get("edges"), dist.get("shares")
    if not isinstance(edges, list) or not isinstance(parts, list) or len(parts) != len(edges) + 1 or not edges:
        return None
    if any(not isinstance(x, int | float) for x in [*edges, *parts]) or sorted(edges) != edges or abs(sum(parts) - 1) > 1e-6:
        return None
    return Baseline([float(x) for x in edges], [float(x) for x in parts], "training")


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


def _scores(model_id: str, month: dt.date) -> list[float]:
    start = timezone.make_aware(dt.datetime.combine(month, dt.time.min))  # months in the project's time zone
    end = timezone.make_aware(dt.datetime.combine(_next_month(month), dt.time.min))
    qs = CreditScore.objects.unrestricted(reason=_SCORES).filter(model_id=model_id, scored_at__gte=start, scored_at__lt=end)
    return [float(s) for s in qs.values_list("score", flat=True)]


def first_month_baseline(model_id: str) -> Baseline | None:
    """The first month the model scored, binned on its own deciles."""
    first = CreditScore.objects.unrestricted(reason=_SCORES).filter(model_id=model_id).aggregate(first=Min("scored_at"))["first"]
    if first is None:
        return None
    month = _month_start(timezone.localdate(first))
    scores = _scores(model_id, month)
    edges = decile_edges(scores)
    return Baseline(edges, shares(scores, edges), "first_month", month)


def _risk_officers() -> list[int]:
    User = get_user_model()
    return list(User.objects.filter(is_active=True, roles__code=R.RISK_OFFICER).values_list("pk", flat=True).distinct())


@transaction.atomic
def check_month(ctx: Context, *, model_id: str, month: dt.date, metrics: Mapping[str, Any] | None = None) -> StabilityCheck | None:
    """Compute and store the month's PSI for ``model_id`` (once: a re-run returns the stored check); alert above the
    threshold with an audit event and a notification to the risk officers. None when the month has no scores."""
    month = _month_start(month)
    stored = StabilityCheck.objects.filter(month=month, model_id=model_id).first()
    if stored is not None:
        return stored
    scores = _scores(model_id, month)
    baseline = training_baseline(metrics) or first_month_baseline(model_id)
    if not scores or baseline is None:
        return None
    actual = shares(scores, baseline.edges)
    value = psi(baseline.shares, actual)
    limit = threshold()
    check = StabilityCheck(
        month=month,
        model_id=model_id,
        baseline=baseline.as_json(),
        actual={"edges": baseline.edges, "shares": actual},
        psi=value,
        threshold=limit,
        alert=value > limit,
        population=len(scores),
        computed_at=clock.now(),
    )
    check.save(force_insert=True)
    detail = {"model": model_id, "psi": round(value, 6), "threshold": limit, "population": len(scores), "baseline": baseline.source}
    audit.record(ctx, "credit.stability_checked", obj=check, detail=detail)
    if check.alert:
        audit.record(ctx, "credit.stability_alert", obj=check, detail=detail)
        values = {"model": model_id, "month": month.strftime("%Y-%m"), "psi": value, "threshold": limit}
        # Lazy: rendered in each recipient's language by ``notify``.
        text = lazy(
            lambda: str(_("Score stability alert: model %(model)s, %(month)s, PSI %(psi).3f is above %(threshold).2f.")) % values, str
        )()
        notifications.notify(
            _risk_officers(), NOTIFICATION_KIND, text, "/risk/warnings/", dedupe_key=f"{NOTIFICATION_KIND}:{model_id}:{month:%Y-%m}"
        )
    return check


def check_previous_month(
    ctx: Context, *, today: dt.date | None = None, metrics: Mapping[str, Mapping[str, Any]] | None = None
) -> list[StabilityCheck]:
    """The monthly job: every model that scored last month is checked (``metrics``: a spec's metrics per model)."""
    last = _month_start(_month_start(today or clock.today()) - dt.timedelta(days=1))
    start = timezone.make_aware(dt.datetime.combine(last, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(_next_month(last), dt.time.min))
    models = CreditScore.objects.unrestricted(reason=_SCORES).filter(scored_at__gte=start, scored_at__lt=end)
    found = []
    for model_id in sorted(set(models.values_list("model_id", flat=True))):
        check = check_month(ctx, model_id=model_id, month=last, metrics=(metrics or {}).get(model_id))
        if check is not None:
            found.append(check)
    return found
