"""What scoring a credit file needs besides the file (issue #16): the scorecard spec in force, the tier policy in
force, and the plain record of an evaluation's figures.

The spec is the JSON file named by the setting ``CLIENTVAULT_RISK_SCORECARD`` (default: the demo scorecard shipped
in ``risk/data/demo_scorecard.json``); it is loaded and validated once per content (cached by its digest: the file's
bytes are re-read only when its size or modification time change), and scored in plain Python
(``risk.scorecard.scoring``). The tier policy is the "default" ``TierPolicy`` row (versioned data, rule 9): its
version names itself ``"default-v3"`` in the score's record.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings

from clientvault.risk import control
from clientvault.risk.figures import Figures
from clientvault.risk.models import Tier, TierPolicy
from clientvault.risk.scorecard import scoring
from clientvault.risk.scorecard import spec as specs

DEFAULT_SCORECARD = Path(__file__).resolve().parent / "data" / "demo_scorecard.json"
DEFAULT_POLICY = "default"

_by_file: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) -> digest
_by_digest: dict[str, specs.ScorecardSpec] = {}


def scorecard_path() -> Path:
    return Path(getattr(settings, "CLIENTVAULT_RISK_SCORECARD", "") or DEFAULT_SCORECARD)


def scorecard() -> specs.ScorecardSpec:
    """The scorecard in force (validated; a spec whose digest does not match its body is refused: SpecError)."""
    path = scorecard_path()
    stat = os.stat(path)
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    digest = _by_file.get(key)
    if digest is not None and digest in _by_digest:
        return _by_digest[digest]
    loaded = specs.load(path)
    if len(_by_digest) > 16:  # a handful of scorecards at most; never grow without bound
        _by_digest.clear()
        _by_file.clear()
    _by_digest[loaded.digest] = loaded
    _by_file[key] = loaded.digest
    return loaded


def tier_policy(code: str = DEFAULT_POLICY) -> tuple[TierPolicy, scoring.TierPolicy]:
    """The tier policy row in force and the scorer's view of it (version ``"{code}-v{version}"``)."""
    row = TierPolicy.objects.get(code=code)
    return row, scoring.TierPolicy(
        version=f"{row.code}-v{row.version}",
        high_risk_below=row.high_risk_below,
        low_risk_from=row.low_risk_from,
        model_id=row.model_id or None,
    )


def score(spec: specs.ScorecardSpec, inputs: dict[str, Any], tiers: scoring.TierPolicy) -> scoring.Score:
    return scoring.score(spec, inputs, tiers=tiers)


def review_months(row: TierPolicy, tier: str) -> int:
    """Months until the next periodic review for the tier (an unscored file: the high-risk interval)."""
    if tier == Tier.LOW:
        return int(row.review_months_low)
    if tier == Tier.MEDIUM:
        return int(row.review_months_medium)
    return int(row.review_months_high)


def figures_record(figures: Figures, outcome: control.Outcome) -> dict[str, Any]:
    """An evaluation's figures as JSON (amounts in minor units, days, ratios, codes) — no text, nothing sealed."""
    return {
        "currency": figures.currency,
        "exposure": figures.exposure,
        "limit": figures.limit,
        "effective_limit": outcome.effective_limit,
        "temporary_limit_until": figures.temporary_limit_until.isoformat() if figures.temporary_limit_until else None,
        "limit_expired": figures.limit_expired,
        "collateral": figures.collateral,
        "overdue_amount": figures.overdue_amount,
        "days_overdue": figures.days_overdue,
        "overdue_ratio": round(figures.overdue_ratio, 4) if figures.overdue_ratio is not None else None,
        "terms_days": figures.terms_days,
        "tier": figures.tier,
        "next_review_on": figures.next_review_on.isoformat() if figures.next_review_on else None,
        "holds": list(figures.active_holds),
        "forced_hold": figures.forced_hold,
        "missing_rates": list(figures.missing_rates),
    }


def previous_figures(evaluation: Mapping[str, Any]) -> Figures | None:
    """The figures a stored evaluation recorded (``figures_record``), for comparing with today's; None if never evaluated."""
    record, as_of = evaluation.get("figures"), evaluation.get("as_of")
    if not record or not as_of:
        return None
    return Figures(
        currency=str(record.get("currency") or ""),
        as_of=dt.date.fromisoformat(str(as_of)),
        exposure=int(record.get("exposure") or 0),
        permanent_limit=record.get("limit"),
        collateral=int(record.get("collateral") or 0),
        overdue_amount=int(record.get("overdue_amount") or 0),
        days_overdue=int(record.get("days_overdue") or 0),
        terms_days=int(record.get("terms_days") or 0),
        tier=str(record.get("tier") or ""),
    )
