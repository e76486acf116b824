"""The credit-control engine (信用控制, issue #16): PURE — figures and rules in, an outcome out; no database.

A rule is a row of the versioned catalogue ``ControlRule`` (rule 9: data, not code): a ``measure`` this engine
knows, its thresholds (``params``), an ``action`` (warn / hold / block) and the ``checkpoints`` it acts at. The
engine evaluates the active rules that act at the checkpoint and reports which fired, with what they measured.

Measures (thresholds are params; the catalogue seeded by migration 0003 gives the defaults):

=========================  =====================================================================================
``exposure_over_limit``    (proposed) exposure > effective limit × ``ratio`` (1.0); no limit at all counts as 0
``utilisation``            (proposed) exposure / effective limit ≥ ``at`` (0.8)
``days_overdue``           days since the oldest unpaid instalment ≥ ``at`` (30)
``overdue_ratio``          overdue amount / exposure ≥ ``at`` (0.1)
``limit_expired``          a limit lapsed, none valid replaced it, and exposure remains
``review_overdue``         the file's next review date has passed
``hold_in_force``          a hold is in force (``forced_only``: only a forced one); at a terms change only when the
                           proposed terms are longer than the current ones
``terms_over_tier_max``    proposed payment terms (days) > ``max_days[tier]`` (an unscored file: ``max_days[""]``)
``tier_policy``            the file's tier is one of ``tiers`` (["high"])
``temporary_limit_expiring``  a temporary limit in force ends within ``days`` (14)
``collateral_advance``     never fires: it raises the effective limit by collateral × ``advance_rate`` (0.5)
=========================  =====================================================================================

``proposed`` is, at a new loan or a drawdown, the amount (minor units of the file's currency) the exposure would
grow by; at a payment-terms change, the proposed terms in days. At evaluation it is None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from clientvault.risk.figures import Figures

WARN, HOLD, BLOCK = "warn", "hold", "block"
NEW_CREDIT, DRAWDOWN, TERMS_CHANGE, EVALUATION = "new_credit", "drawdown", "terms_change", "evaluation"
GROWING = frozenset({NEW_CREDIT, DRAWDOWN})  # checkpoints at which ``proposed`` adds to the exposure


class RuleLike(Protocol):
    """What the engine reads of a rule (a ``ControlRule`` row or a ``Rule``)."""

    @property
    def code(self) -> str: ...
    @property
    def measure(self) -> str: ...
    @property
    def params(self) -> Any: ...
    @property
    def action(self) -> str: ...
    @property
    def checkpoints(self) -> Any: ...
    @property
    def active(self) -> bool: ...


@dataclass(frozen=True)
class Rule:
    """A rule as plain values (tests, and rows copied out of the database)."""

    code: str
    measure: str
    action: str
    checkpoints: tuple[str, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    active: bool = True


@dataclass(frozen=True)
class Fired:
    code: str
    measure: str
    action: str
    measured: Mapping[str, Any]  # the figures the rule compared (amounts, days, ratios) — never text

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "measure": self.measure, "action": self.action, "measured": dict(self.measured)}


@dataclass(frozen=True)
class Outcome:
    checkpoint: str
    fired: tuple[Fired, ...]
    effective_limit: int | None
    exposure: int  # the exposure the rules compared (with ``proposed`` added at a new loan or drawdown)

    def _codes(self, action: str) -> tuple[str, ...]:
        return tuple(f.code for f in self.fired if f.action == action)

    @property
    def blocks(self) -> tuple[str, ...]:
        return self._codes(BLOCK)

    @property
    def holds(self) -> tuple[str, ...]:
        return self._codes(HOLD)

    @property
    def warnings(self) -> tuple[str, ...]:
        return self._codes(WARN)

    @property
    def blocked(self) -> bool:
        return bool(self.blocks)


class UnknownMeasure(ValueError):
    """A rule names a measure this engine does not know (a catalogue edit ahead of the code)."""


def _number(params: Mapping[str, Any], key: str, default: float) -> float:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value)


def effective_limit(figures: Figures, rules: Iterable[RuleLike], checkpoint: str) -> int | None:
    """The granted limit raised by collateral (``collateral_advance`` rules acting at the checkpoint); None: neither."""
    limit = figures.limit
    advancing = [r for r in rules if r.active and r.measure == "collateral_advance" and checkpoint in r.checkpoints]
    rate = sum(_number(_params(r), "advance_rate", 0.0) for r in advancing)
    if rate <= 0 or figures.collateral <= 0:
        return limit
    return (limit or 0) + int(figures.collateral * rate)


def _params(rule: RuleLike) -> Mapping[str, Any]:
    return rule.params if isinstance(rule.params, Mapping) else {}


def _measure(rule: RuleLike, f: Figures, checkpoint: str, exposure: int, limit: int | None, proposed: int | None) -> dict[str, Any] | None:
    """What the rule measured if it fires, else None."""
    p = _params(rule)
    m = rule.measure
    if m == "exposure_over_limit":
        allowed = (limit or 0) * _number(p, "ratio", 1.0)
        return {"exposure": exposure, "effective_limit": limit} if exposure > 0 and exposure > allowed else None
    if m == "utilisation":
        if not limit or limit <= 0:
            return None
        ratio = exposure / limit
        return {"utilisation": round(ratio, 4)} if ratio >= _number(p, "at", 0.8) else None
    if m == "days_overdue":
        return {"days_overdue": f.days_overdue} if f.days_overdue >= _number(p, "at", 30) else None
    if m == "overdue_ratio":
        share = f.overdue_ratio
        return {"overdue_ratio": round(share, 4)} if share is not None and share >= _number(p, "at", 0.1) else None
    if m == "limit_expired":
        return {"exposure": f.exposure} if f.limit_expired else None
    if m == "review_overdue":
        return {"next_review_on": f.next_review_on.isoformat()} if f.review_overdue and f.next_review_on else None
    if m == "hold_in_force":
        if checkpoint == TERMS_CHANGE and (proposed is None or proposed <= f.terms_days):
            return None  # a hold blocks longer terms, not shorter or equal ones
        in_force = f.forced_hold if p.get("forced_only") else bool(f.active_holds)
        return {"holds": list(f.active_holds)} if in_force else None
    if m == "terms_over_tier_max":
        if proposed is None:
            return None
        table = p.get("max_days") if isinstance(p.get("max_days"), Mapping) else {}
        maximum = table.get(f.tier, table.get("")) if table else None
        if isinstance(maximum, bool) or not isinstance(maximum, int | float):
            return None
        return {"terms_days": proposed, "max_days": maximum} if proposed > maximum else None
    if m == "tier_policy":
        tiers = p.get("tiers", ["high"])
        return {"tier": f.tier} if f.tier and isinstance(tiers, list) and f.tier in tiers else None
    if m == "temporary_limit_expiring":
        if f.temporary_limit is None or f.temporary_limit_until is None:
            return None
        left = (f.temporary_limit_until - f.as_of).days
        return {"days_left": left} if 0 <= left <= _number(p, "days", 14) else None
    if m == "collateral_advance":
        return None
    raise UnknownMeasure(m)


def evaluate(figures: Figures, rules: Iterable[RuleLike], checkpoint: str, *, proposed: int | None = None) -> Outcome:
    """Evaluate the active rules acting at ``checkpoint`` against ``figures`` (see the module doc for ``proposed``)."""
    acting = [r for r in rules if r.active and checkpoint in (r.checkpoints or ())]
    limit = effective_limit(figures, acting, checkpoint)
    exposure = figures.exposure + ((proposed or 0) if checkpoint in GROWING else 0)
    fired = []
    for rule in sorted(acting, key=lambda r: r.code):
        measured = _measure(rule, figures, checkpoint, exposure, limit, proposed)
        if measured is not None:
            fired.append(Fired(rule.code, rule.measure, rule.action, measured))
    return Outcome(checkpoint, tuple(fired), limit, exposure)
