"""Score a customer with a scorecard spec, in plain Python (stdlib only): points, reason codes and a tier.

The web process and the worker score here; they never load the trainer (ARCHITECTURE.md: optbinning pulls
ortools). Points equal the trainer's own ``Scorecard.score`` exactly: a numeric value falls in the bin
``bisect_right(upper bounds, x)`` (``numpy.digitize(..., right=False)``), a missing value (None, NaN, "")
takes the missing bin, an unseen category the bin the spec names (the trainer's: the missing bin), and the
total is summed in the spec's order as the trainer sums it.

PIPL-24: every score carries the model version and digest, the inputs used (field codes, never values),
the points per characteristic and the reason codes, so the decision can be explained and reviewed.
"""

from __future__ import annotations

import math
import numbers
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from clientvault.risk.scorecard.spec import MISSING, ScorecardSpec, SpecError, format_bound

HIGH, MEDIUM, LOW = "high", "medium", "low"


class ScoringError(ValueError):
    """An input the spec cannot score (``code`` is stable: ``score.*``)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


@dataclass(frozen=True)
class TierPolicy:
    """Versioned tier thresholds on the score (lower score = higher risk); data, not constants.

    ``score < high_risk_below`` is high risk, ``score >= low_risk_from`` low risk, anything between medium.
    ``model_id``, when set, binds the thresholds to the scorecard whose scaling they were set for.
    """

    version: str
    high_risk_below: float
    low_risk_from: float
    model_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.version, str) or not self.version.strip():
            raise SpecError("tier.version", "a tier policy needs a version")
        for name in ("high_risk_below", "low_risk_from"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise SpecError("tier.threshold", f"{name} must be a finite number, got {value!r}")
        if self.high_risk_below > self.low_risk_from:
            raise SpecError("tier.order", "high_risk_below must not exceed low_risk_from")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TierPolicy:
        unknown = sorted(set(data) - {"version", "high_risk_below", "low_risk_from", "model_id"})
        if unknown:
            raise SpecError("tier.unknown_key", f"unknown key(s) {', '.join(unknown)}")
        try:
            return cls(
                version=data["version"],
                high_risk_below=data["high_risk_below"],
                low_risk_from=data["low_risk_from"],
                model_id=data.get("model_id"),
            )
        except KeyError as exc:
            raise SpecError("tier.missing_key", f"a tier policy needs {exc.args[0]}") from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "high_risk_below": self.high_risk_below,
            "low_risk_from": self.low_risk_from,
            "model_id": self.model_id,
        }

    def tier(self, total: float) -> str:
        if total < self.high_risk_below:
            return HIGH
        return LOW if total >= self.low_risk_from else MEDIUM


class Reason(NamedTuple):
    """One characteristic that scored below its best bin: ``code`` is ``"{field}:{bin_id}"``."""

    code: str
    field: str
    bin_id: str
    shortfall: float  # best points of the characteristic minus the points given


class Score(NamedTuple):
    """An immutable scoring result (a named tuple: cheap to build, the hot path builds one per customer)."""

    model_id: str
    model_version: str
    spec_digest: str
    total: float
    points: Mapping[str, float]  # per characteristic (field code)
    bins: Mapping[str, str]  # the bin id each characteristic fell in
    inputs_used: tuple[str, ...]  # field codes read (never their values)
    missing: tuple[str, ...]  # field codes that were missing or unseen
    reasons: tuple[Reason, ...]
    tier: str | None
    tier_policy_version: str | None

    def as_record(self) -> dict[str, Any]:
        """A JSON-ready record of the decision (what a score row stores), values excluded."""
        return {
            "model_id": self.model_id,
            "model_version": self.model_version,
            "spec_digest": self.spec_digest,
            "total": self.total,
            "points": dict(self.points),
            "bins": dict(self.bins),
            "inputs_used": list(self.inputs_used),
            "missing": list(self.missing),
            "reason_codes": [r.code for r in self.reasons],
            "tier": self.tier,
            "tier_policy_version": self.tier_policy_version,
        }


# Per characteristic: field, numeric?, upper bounds, bin ids, bin points, category -> index, missing/unseen
# index, best points. Index len(ids) - 1 is the missing bin (ids and points end with it).
_Plan = tuple[str, bool, list[float], list[str], list[float], dict[str, int], int, float]
_PLANS: dict[str, tuple[tuple[_Plan, ...], tuple[str, ...]]] = {}


def _plan(spec: ScorecardSpec) -> tuple[tuple[_Plan, ...], tuple[str, ...]]:
    cached = _PLANS.get(spec.digest)
    if cached is not None:
        return cached
    plans: list[_Plan] = []
    for c in spec.characteristics:
        ids = [b.id for b in c.bins] + [MISSING]
        points = [b.points for b in c.bins] + [c.missing.points]
        missing_index = len(ids) - 1
        uppers = [b.upper for b in c.bins[:-1]]
        categories = {cat: i for i, b in enumerate(c.bins) for cat in b.categories}
        unseen = missing_index if c.unseen in (None, MISSING) else ids.index(c.unseen)  # type: ignore[arg-type]
        plans.append((c.field, c.kind == "numeric", uppers, ids, points, categories, unseen, c.best_points))  # type: ignore[arg-type]
    result = (tuple(plans), spec.fields)
    if len(_PLANS) > 64:  # a handful of live scorecards at most; never grow without bound
        _PLANS.clear()
    _PLANS[spec.digest] = result
    return result


def _index(plan: _Plan, value: Any) -> tuple[int, bool]:
    """The bin index of ``value`` and whether it counts as missing."""
    _field, numeric, uppers, ids, _points, categories, unseen, _best = plan
    if value is None or value == "":
        return len(ids) - 1, True
    if numeric:
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ScoringError("score.not_numeric", f"{_field} must be a number, got {value!r}") from None
        elif isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ScoringError("score.not_numeric", f"{_field} must be a number, got {type(value).__name__}")
        if value != value:  # NaN
            return len(ids) - 1, True
        return bisect_right(uppers, value), False
    if value != value:  # NaN from a data frame
        return len(ids) - 1, True
    index = categories.get(value.strip() if isinstance(value, str) else str(value))  # the trainer strips text too
    if index is None:
        return unseen, True
    return index, False


def score(spec: ScorecardSpec, inputs: Mapping[str, Any], *, tiers: TierPolicy | None = None, top: int = 4) -> Score:
    """Score one customer: total and per-characteristic points, the top ``top`` reason codes, and a tier."""
    if tiers is not None and tiers.model_id is not None and tiers.model_id != spec.model_id:
        raise ScoringError("score.tier_policy_model", f"tier policy {tiers.version} is for model {tiers.model_id}, not {spec.model_id}")
    total = 0.0
    points: dict[str, float] = {}
    bins: dict[str, str] = {}
    missing: list[str] = []
    shortfalls: list[tuple[float, int, str, str]] = []
    get = inputs.get
    plans, fields = _plan(spec)
    for order, plan in enumerate(plans):
        field_code, numeric, uppers, ids, bin_points, categories, _unseen, best = plan
        value: Any = get(field_code)
        kind = value.__class__
        # The common cases inline (this runs per customer per characteristic); the rest in _index.
        if numeric and (kind is int or (kind is float and value == value)):
            index = bisect_right(uppers, value)
        elif kind is str and not numeric and value in categories:
            index = categories[value]
        else:
            index, absent = _index(plan, value)
            if absent:
                missing.append(field_code)
        p = bin_points[index]
        bin_id = ids[index]
        total += p
        points[field_code] = p
        bins[field_code] = bin_id
        gap = best - p
        if gap > 1e-9:
            shortfalls.append((-gap, order, field_code, bin_id))
    total += spec.intercept
    shortfalls.sort()
    new = tuple.__new__  # Reason(...) goes through a Python-level __new__: too slow for the hot path
    reasons = tuple([new(Reason, (f"{f}:{b}", f, b, -g)) for g, _o, f, b in shortfalls[:top]])
    if tiers is None:
        tier = version = None
    else:
        tier, version = tiers.tier(total), tiers.version
    return new(Score, (spec.model_id, spec.version, spec.digest, total, points, bins, fields, tuple(missing), reasons, tier, version))


def reason_text(spec: ScorecardSpec, code: str) -> dict[str, str]:
    """Plain-language Chinese and English text for a reason code, from the labels stored in the spec (PIPL-24)."""
    field_code, sep, bin_id = code.rpartition(":")
    if not sep:
        raise ScoringError("score.reason_code", f"not a reason code: {code!r}")
    try:
        characteristic = spec.characteristic(field_code)
        chosen = characteristic.bin(bin_id)
    except KeyError:
        raise ScoringError("score.reason_code", f"{code!r} is not a bin of scorecard {spec.model_id} {spec.version}") from None
    gap = format_bound(round(characteristic.best_points - chosen.points, 1))
    return {
        "zh": f"{chosen.label_zh}（“{characteristic.label_zh}”一项比最好的情况少 {gap} 分）",
        "en": f"{chosen.label_en} ({gap} points below the best band for {characteristic.label_en})",
    }


def explain(spec: ScorecardSpec, result: Score) -> list[dict[str, str]]:
    """The reasons of a score as plain-language text, most important first."""
    return [{"code": r.code, **reason_text(spec, r.code)} for r in result.reasons]
