"""Internal early-warning indicators (风险预警, issue #16): pure functions of plain values returning :class:`Signal`.

Nothing here touches the database: ``risk.warning_facts`` gathers the facts (figures, ledger balances, the
customer's recorded changes, follow-ups, consents) and ``risk.warnings.raise_warnings`` turns signals into
``EarlyWarning`` rows. A signal's ``reference`` names the *fact* — never a personal value — so that the same fact
found on the next run is the same warning (``earlywarning_fact_once``).

Thresholds and severities are settings (``CLIENTVAULT_RISK_INDICATORS``, a dictionary; every key optional). They
are [M] values — no rule text fixes them — so an institution sets its own; the defaults:

    {
        "overdue_days": [[1, "warning"], [30, "warning"], [90, "critical"]],  # days overdue reached → severity
        "utilisation_rise_points": 20,       # exposure/limit up by ≥ 20 percentage points since the last evaluation
        "utilisation_severity": "warning",
        "balance_fall_percent": 30,          # deposit balances down ≥ 30 % …
        "balance_fall_months": 3,            # … against their level 3 months ago
        "balance_fall_severity": "warning",
        "contact_change_days": 30,           # mobile / e-mail / address changed within the last 30 days
        "contact_change_fields": ["mobile", "email", "address", "registered_address"],
        "contact_change_severity": "warning",
        "contact_decay_days": 90,            # no follow-up for 90 days while the customer owes us
        "contact_decay_severity": "info",
        "consent_purposes": ["credit_assessment"],  # consent withdrawn for these purposes
        "consent_severity": "warning",
        "review_due_working_days": 5,        # a critical warning's review task is due in 5 working days
    }

Consent and credit assessment: the default purpose catalogue (``access/purposes.py``) bases ``credit_assessment``
on the contract (PIPL-13 (2)), not on consent, and no default consent-based purpose relates to it; an institution
that asks for consent to credit checks (征信授权) adds such a purpose and lists its code in ``consent_purposes``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clientvault.risk.figures import Figures

INFO, WARNING, CRITICAL = "info", "warning", "critical"
SEVERITIES = (INFO, WARNING, CRITICAL)
RANK = {INFO: 0, WARNING: 1, CRITICAL: 2}

# Internal indicator kinds (the EarlyWarning ``kind`` column).
OVERDUE = "overdue"
UTILISATION_RISING = "utilisation_rising"
BALANCES_FALLING = "balances_falling"
CONTACT_CHANGED = "contact_changed"
CONTACT_DECAY = "contact_decay"
CONSENT_WITHDRAWN = "consent_withdrawn"

# Every kind a warning may carry, with its name in the user's language (external kinds: risk/connectors).
KIND_LABELS: Mapping[str, Promise] = {
    OVERDUE: _("Overdue"),
    UTILISATION_RISING: _("Rising utilisation"),
    BALANCES_FALLING: _("Falling balances"),
    CONTACT_CHANGED: _("Sudden change of contact details"),
    CONTACT_DECAY: _("Contact decay"),
    CONSENT_WITHDRAWN: _("Consent withdrawn for credit assessment"),
    "judgement": _("Court judgement"),
    "enforcement": _("Enforcement list"),
    "dishonest_debtor": _("Dishonest judgement debtor"),
    "business_anomaly": _("Business operation anomaly"),
    "legal_rep_change": _("Change of legal representative"),
}


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


@dataclass(frozen=True)
class Signal:
    """One indicator found: what (``kind``), how bad (``severity``), which fact (``reference``, never personal),
    and the evidence (sealed under the customer's key when the warning is raised). ``source`` is "internal" or the
    provider's code."""

    kind: str
    severity: str
    reference: str
    evidence: dict[str, Any] = field(default_factory=dict)
    source: str = "internal"


@dataclass(frozen=True)
class IndicatorSettings:
    overdue_days: tuple[tuple[int, str], ...] = ((1, WARNING), (30, WARNING), (90, CRITICAL))
    utilisation_rise_points: float = 20.0
    utilisation_severity: str = WARNING
    balance_fall_percent: float = 30.0
    balance_fall_months: int = 3
    balance_fall_severity: str = WARNING
    contact_change_days: int = 30
    contact_change_fields: tuple[str, ...] = ("mobile", "email", "address", "registered_address")
    contact_change_severity: str = WARNING
    contact_decay_days: int = 90
    contact_decay_severity: str = INFO
    consent_purposes: tuple[str, ...] = ("credit_assessment",)
    consent_severity: str = WARNING
    review_due_working_days: int = 5


SETTING = "CLIENTVAULT_RISK_INDICATORS"


def _severity(value: Any, key: str) -> str:
    if value not in SEVERITIES:
        raise ImproperlyConfigured(f"{SETTING}[{key!r}] must be info, warning or critical.")
    return str(value)


def _number(value: Any, key: str, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ImproperlyConfigured(f"{SETTING}[{key!r}] must be a number ≥ {minimum:g}.")
    return float(value)


def _codes(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable) or not all(isinstance(v, str) for v in value):
        raise ImproperlyConfigured(f"{SETTING}[{key!r}] must be a list of codes.")
    return tuple(value)


def parse_settings(raw: Mapping[str, Any] | None) -> IndicatorSettings:
    """The indicator settings from a dictionary (unknown keys and bad values refuse to start, never guessed)."""
    raw = dict(raw or {})
    base = IndicatorSettings()
    unknown = sorted(set(raw) - set(IndicatorSettings.__dataclass_fields__))
    if unknown:
        raise ImproperlyConfigured(f"{SETTING} has unknown keys: {', '.join(unknown)}.")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "overdue_days":
            try:
                steps = tuple((int(days), _severity(sev, key)) for days, sev in value)
            except (TypeError, ValueError):
                raise ImproperlyConfigured(f"{SETTING}['overdue_days'] must be a list of [days, severity] pairs.") from None
            if not steps or any(days < 1 for days, _sev in steps):
                raise ImproperlyConfigured(f"{SETTING}['overdue_days'] needs at least one step of 1 day or more.")
            values[key] = tuple(sorted(steps))
        elif key.endswith("_severity"):
            values[key] = _severity(value, key)
        elif key in ("contact_change_fields", "consent_purposes"):
            values[key] = _codes(value, key)
        elif key in ("balance_fall_months", "contact_change_days", "contact_decay_days", "review_due_working_days"):
            values[key] = int(_number(value, key, minimum=1))
        else:
            values[key] = _number(value, key)
    if "balance_fall_percent" in values and not 0 < values["balance_fall_percent"] <= 100:
        raise ImproperlyConfigured(f"{SETTING}['balance_fall_percent'] must be between 0 and 100.")
    return IndicatorSettings(**{**base.__dict__, **values})


def configured() -> IndicatorSettings:
    """The settings in force (``CLIENTVAULT_RISK_INDICATORS``)."""
    raw = getattr(settings, SETTING, None)
    if raw is not None and not isinstance(raw, Mapping):
        raise ImproperlyConfigured(f"{SETTING} must be a dictionary.")
    return parse_settings(raw)


# --- From two evaluations' figures -------------------------------------------------------------------------


def overdue(now: Figures, cfg: IndicatorSettings) -> Signal | None:
    """The highest overdue step reached. The reference is the episode (the day it fell overdue) and the step, so a
    step crossed is one warning however often it is seen, and a new episode after repayment is a new warning."""
    reached = [(days, sev) for days, sev in cfg.overdue_days if now.days_overdue >= days]
    if not reached:
        return None
    days, severity = reached[-1]
    since = now.as_of - dt.timedelta(days=now.days_overdue)
    return Signal(
        OVERDUE,
        severity,
        f"overdue:{since.isoformat()}:{days}",
        {
            "days_overdue": now.days_overdue,
            "threshold_days": days,
            "overdue_amount": now.overdue_amount,
            "currency": now.currency,
            "overdue_since": since.isoformat(),
            "as_of": now.as_of.isoformat(),
        },
    )


def utilisation(figures: Figures) -> float | None:
    """Exposure as a percentage of the granted limit; None without a positive limit."""
    limit = figures.limit
    if not limit or limit <= 0:
        return None
    return figures.exposure * 100.0 / limit


def rising_utilisation(prev: Figures | None, now: Figures, cfg: IndicatorSettings) -> Signal | None:
    """Utilisation up by at least the configured points since the previous evaluation (one warning per month)."""
    before, after = (utilisation(prev) if prev is not None else None), utilisation(now)
    if before is None or after is None or after - before < cfg.utilisation_rise_points:
        return None
    return Signal(
        UTILISATION_RISING,
        cfg.utilisation_severity,
        f"utilisation:{now.as_of:%Y-%m}",
        {
            "utilisation_before": round(before, 2),
            "utilisation_now": round(after, 2),
            "rise_points": round(after - before, 2),
            "threshold_points": cfg.utilisation_rise_points,
            "previous_as_of": prev.as_of.isoformat() if prev is not None else None,
            "as_of": now.as_of.isoformat(),
            "exposure": now.exposure,
            "limit": now.limit,
            "currency": now.currency,
        },
    )


def from_figures(prev: Figures | None, now: Figures, cfg: IndicatorSettings | None = None) -> list[Signal]:
    """The signals two successive evaluations of a file give: overdue and rising utilisation."""
    cfg = cfg or configured()
    found = [overdue(now, cfg), rising_utilisation(prev, now, cfg)]
    return [s for s in found if s is not None]


# --- From the ledger and the customer record ------------------------------------------------------------------


def falling_balances(then: int, now: int, *, as_of: dt.date, currency: str, cfg: IndicatorSettings) -> Signal | None:
    """Deposit balances down by at least the configured share against ``balance_fall_months`` ago (one a month)."""
    if then <= 0 or now >= then:
        return None
    fall = (then - now) * 100.0 / then
    if fall < cfg.balance_fall_percent:
        return None
    return Signal(
        BALANCES_FALLING,
        cfg.balance_fall_severity,
        f"balances:{as_of:%Y-%m}",
        {
            "balance_then": then,
            "balance_now": now,
            "fall_percent": round(fall, 2),
            "threshold_percent": cfg.balance_fall_percent,
            "months": cfg.balance_fall_months,
            "currency": currency,
            "as_of": as_of.isoformat(),
        },
    )


@dataclass(frozen=True)
class RecordedChange:
    """A change to the customer's record: when, and the names of the fields changed (never their values)."""

    at: dt.datetime
    fields: tuple[str, ...]


def contact_changed(changes: Sequence[RecordedChange], *, now: dt.datetime, cfg: IndicatorSettings) -> Signal | None:
    """Contact details (mobile, e-mail, address…) changed within the configured window; the reference is the day of
    the latest such change, so a further change later is a new fact."""
    since = now - dt.timedelta(days=cfg.contact_change_days)
    wanted = set(cfg.contact_change_fields)
    recent = sorted((c for c in changes if c.at >= since and wanted.intersection(c.fields)), key=lambda c: c.at)
    if not recent:
        return None
    fields = sorted({f for c in recent for f in c.fields if f in wanted})
    latest = recent[-1].at
    return Signal(
        CONTACT_CHANGED,
        cfg.contact_change_severity,
        f"contact:{latest.date().isoformat()}",
        {
            "fields": fields,
            "changes": len(recent),
            "first_changed_at": recent[0].at.isoformat(),
            "last_changed_at": latest.isoformat(),
            "window_days": cfg.contact_change_days,
        },
    )


def contact_decay(last_followup: dt.date | None, *, exposure: int, as_of: dt.date, cfg: IndicatorSettings) -> Signal | None:
    """No follow-up for the configured number of days while the customer owes us; the reference is the last
    follow-up's day ("never" without one), so a follow-up ends the fact."""
    if exposure <= 0:
        return None
    if last_followup is not None and (as_of - last_followup).days < cfg.contact_decay_days:
        return None
    return Signal(
        CONTACT_DECAY,
        cfg.contact_decay_severity,
        f"decay:{last_followup.isoformat() if last_followup else 'never'}",
        {
            "last_followup_on": last_followup.isoformat() if last_followup else None,
            "days_without_contact": (as_of - last_followup).days if last_followup else None,
            "threshold_days": cfg.contact_decay_days,
            "exposure": exposure,
            "as_of": as_of.isoformat(),
        },
    )


@dataclass(frozen=True)
class ConsentState:
    """A customer's current consent for one purpose: its action ("given" / "withdrawn") and since when."""

    purpose: str
    action: str
    changed_at: dt.datetime


def consent_withdrawn(states: Iterable[ConsentState], cfg: IndicatorSettings) -> list[Signal]:
    """One signal per configured purpose whose current consent is withdrawn (reference: purpose and day)."""
    wanted = set(cfg.consent_purposes)
    return [
        Signal(
            CONSENT_WITHDRAWN,
            cfg.consent_severity,
            f"consent:{s.purpose}:{s.changed_at.date().isoformat()}",
            {"purpose": s.purpose, "withdrawn_at": s.changed_at.isoformat()},
        )
        for s in sorted(states, key=lambda s: s.purpose)
        if s.purpose in wanted and s.action == "withdrawn"
    ]
