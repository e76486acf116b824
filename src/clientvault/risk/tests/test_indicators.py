"""Internal early-warning indicators: pure functions of figures and recorded facts (issue #16; no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from clientvault.risk import indicators as I
from clientvault.risk.figures import Figures

DAY = dt.date(2026, 11, 20)
CFG = I.IndicatorSettings()


def figures(**kw: object) -> Figures:
    return Figures(currency="CNY", as_of=kw.pop("as_of", DAY), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0, None),
        (1, ("warning", 1)),
        (29, ("warning", 1)),
        (30, ("warning", 30)),
        (89, ("warning", 30)),
        (90, ("critical", 90)),
        (400, ("critical", 90)),
    ],
)
def test_overdue_reports_the_highest_step_reached(days: int, expected: tuple[str, int] | None) -> None:
    signal = I.overdue(figures(days_overdue=days, overdue_amount=5_000), CFG)
    if expected is None:
        assert signal is None
        return
    assert signal is not None and (signal.severity, signal.evidence["threshold_days"]) == expected
    assert signal.kind == I.OVERDUE and signal.evidence["days_overdue"] == days


def test_one_overdue_episode_keeps_its_reference_day_after_day_and_a_new_episode_gets_a_new_one() -> None:
    a = I.overdue(figures(days_overdue=31), CFG)
    b = I.overdue(figures(days_overdue=32, as_of=DAY + dt.timedelta(days=1)), CFG)
    later = I.overdue(figures(days_overdue=31, as_of=DAY + dt.timedelta(days=200)), CFG)
    assert a is not None and b is not None and later is not None
    assert a.reference == b.reference == "overdue:2026-10-20:30"
    assert later.reference != a.reference


def test_rising_utilisation_needs_the_configured_rise() -> None:
    prev = figures(exposure=40_000, permanent_limit=100_000, as_of=DAY - dt.timedelta(days=30))
    assert I.rising_utilisation(prev, figures(exposure=59_000, permanent_limit=100_000), CFG) is None
    signal = I.rising_utilisation(prev, figures(exposure=60_000, permanent_limit=100_000), CFG)
    assert signal is not None and signal.reference == "utilisation:2026-11" and signal.evidence["rise_points"] == 20.0
    assert I.rising_utilisation(None, figures(exposure=60_000, permanent_limit=100_000), CFG) is None
    assert I.rising_utilisation(prev, figures(exposure=60_000), CFG) is None  # no limit: no utilisation


def test_a_temporary_limit_counts_while_valid() -> None:
    prev = figures(exposure=50_000, permanent_limit=100_000)
    now = figures(exposure=90_000, permanent_limit=100_000, temporary_limit=200_000)
    assert I.rising_utilisation(prev, now, CFG) is None  # 50 % → 45 %


def test_from_figures_combines_and_reads_the_settings(settings: object) -> None:
    settings.CLIENTVAULT_RISK_INDICATORS = {"overdue_days": [[10, "critical"]], "utilisation_rise_points": 5}  # type: ignore[attr-defined]
    prev = figures(exposure=10_000, permanent_limit=100_000)
    now = figures(exposure=16_000, permanent_limit=100_000, days_overdue=12)
    found = {s.kind: s for s in I.from_figures(prev, now)}
    assert set(found) == {I.OVERDUE, I.UTILISATION_RISING}
    assert found[I.OVERDUE].severity == "critical"
    assert I.from_figures(None, figures()) == []


def test_falling_balances() -> None:
    assert I.falling_balances(100_000, 71_000, as_of=DAY, currency="CNY", cfg=CFG) is None
    signal = I.falling_balances(100_000, 70_000, as_of=DAY, currency="CNY", cfg=CFG)
    assert signal is not None and signal.evidence["fall_percent"] == 30.0 and signal.reference == "balances:2026-11"
    assert I.falling_balances(0, 0, as_of=DAY, currency="CNY", cfg=CFG) is None
    assert I.falling_balances(100, 500, as_of=DAY, currency="CNY", cfg=CFG) is None


def test_contact_change_within_the_window_names_fields_never_values() -> None:
    now = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
    changes = [
        I.RecordedChange(now - dt.timedelta(days=40), ("mobile",)),  # outside the window
        I.RecordedChange(now - dt.timedelta(days=3), ("occupation",)),  # not a contact detail
        I.RecordedChange(now - dt.timedelta(days=2), ("email", "occupation")),
        I.RecordedChange(now - dt.timedelta(days=1), ("address",)),
    ]
    signal = I.contact_changed(changes, now=now, cfg=CFG)
    assert signal is not None and signal.evidence["fields"] == ["address", "email"] and signal.evidence["changes"] == 2
    assert signal.reference == "contact:2026-11-19"
    assert I.contact_changed(changes[:2], now=now, cfg=CFG) is None


def test_contact_decay_only_for_customers_who_owe() -> None:
    assert I.contact_decay(None, exposure=0, as_of=DAY, cfg=CFG) is None
    assert I.contact_decay(DAY - dt.timedelta(days=89), exposure=1, as_of=DAY, cfg=CFG) is None
    signal = I.contact_decay(DAY - dt.timedelta(days=90), exposure=1, as_of=DAY, cfg=CFG)
    assert signal is not None and signal.severity == "info" and signal.reference == "decay:2026-08-22"
    never = I.contact_decay(None, exposure=1, as_of=DAY, cfg=CFG)
    assert never is not None and never.reference == "decay:never"


def test_consent_withdrawn_for_listed_purposes_only() -> None:
    at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    states = [
        I.ConsentState("credit_assessment", "withdrawn", at),
        I.ConsentState("marketing", "withdrawn", at),
        I.ConsentState("credit_bureau", "given", at),
    ]
    [signal] = I.consent_withdrawn(states, CFG)
    assert signal.reference == "consent:credit_assessment:2026-11-01"
    cfg = I.parse_settings({"consent_purposes": ["credit_bureau", "marketing"]})
    assert [s.evidence["purpose"] for s in I.consent_withdrawn(states, cfg)] == ["marketing"]


@pytest.mark.parametrize(
    "raw",
    [
        {"nonsense": 1},
        {"overdue_days": [[0, "warning"]]},
        {"overdue_days": [[10, "severe"]]},
        {"overdue_days": "90"},
        {"utilisation_severity": "loud"},
        {"balance_fall_percent": 150},
        {"contact_change_fields": "mobile"},
        {"contact_decay_days": 0},
        {"utilisation_rise_points": True},
    ],
)
def test_bad_settings_refuse_to_start(raw: dict[str, object]) -> None:
    with pytest.raises(ImproperlyConfigured):
        I.parse_settings(raw)


def test_every_kind_has_a_label_in_both_languages() -> None:
    from django.utils import translation

    from clientvault.risk.connectors.indicators import IndicatorKind
    from clientvault.risk.warning_api import WarningKind

    assert set(WarningKind) == set(I.KIND_LABELS)  # the API's enum names every kind
    internal = {I.OVERDUE, I.UTILISATION_RISING, I.BALANCES_FALLING, I.CONTACT_CHANGED, I.CONTACT_DECAY, I.CONSENT_WITHDRAWN}
    assert internal | {str(k) for k in IndicatorKind} == set(I.KIND_LABELS)
    with translation.override("en"):
        assert I.kind_label(I.OVERDUE) == "Overdue"
    assert I.kind_label("unknown_kind") == "unknown_kind"


# --- The daily internal scan: facts read from the ledger, the audit trail, follow-ups and consents -------------


@pytest.mark.django_db
def test_the_internal_scan_reads_the_facts_and_raises_each_once(org: object, settings: object, audit_events: object) -> None:
    from django.utils import timezone

    from clientvault.audit import recording
    from clientvault.consents import services as consent_services
    from clientvault.core import clock
    from clientvault.core.context import system_context
    from clientvault.risk import vault, warning_tasks, warnings
    from clientvault.risk.models import EarlyWarning
    from clientvault.testing import assets
    from clientvault.testing.actors import ctx, subject_ctx
    from clientvault.testing.consents import consent
    from clientvault.testing.credit import credit_file
    from clientvault.testing.customers import customer

    settings.CLIENTVAULT_RISK_INDICATORS = {"consent_purposes": ["marketing"]}  # type: ignore[attr-defined]
    rep = org["rep_bj1"]  # type: ignore[index]
    c = customer(rep)
    f = credit_file(c)
    four_months_ago = clock.now() - dt.timedelta(days=125)
    with clock.travel(four_months_ago):
        deposit = assets.asset(c, balance=100_000)
        assets.asset(c, kind="loan", balance=-250_000)  # what the customer owes: exposure for contact decay
    assets.fund(deposit, -60_000)
    from django.db import transaction

    # The customer's mobile changed two days ago, as customers.profiles records it.
    with transaction.atomic(), clock.travel(clock.now() - dt.timedelta(days=2)):
        recording.record(ctx(rep), "customer.updated", obj=c, customer_id=c.pk, fields=["mobile", "occupation"])
    consent(c, "marketing")
    consent_services.withdraw_consent(ctx=subject_ctx(c), customer_id=c.pk, purpose="marketing", channel="web")

    result = warnings.scan_internal(system_context(channel="task"))
    assert (result.files, result.failed) == (1, 0)
    found = {w.kind: w for w in EarlyWarning.objects.unrestricted(reason="test").filter(credit_file=f)}
    assert set(found) == {I.BALANCES_FALLING, I.CONTACT_CHANGED, I.CONTACT_DECAY, I.CONSENT_WITHDRAWN}
    balances = vault.open_json(found[I.BALANCES_FALLING], "evidence", customer_id=c.pk)["facts"]
    assert (balances["balance_then"], balances["balance_now"], balances["fall_percent"]) == (100_000, 40_000, 60.0)
    changed = vault.open_json(found[I.CONTACT_CHANGED], "evidence", customer_id=c.pk)["facts"]
    assert changed["fields"] == ["mobile"]
    decay = vault.open_json(found[I.CONTACT_DECAY], "evidence", customer_id=c.pk)["facts"]
    assert decay["exposure"] == 250_000 and found[I.CONTACT_DECAY].reference == "decay:never"
    assert timezone.is_aware(found[I.CONSENT_WITHDRAWN].detected_at)
    # Re-run (as the worker would after a crash or the next day): nothing new.
    assert warning_tasks.scan_internal_indicators.call() == 0
    assert EarlyWarning.objects.unrestricted(reason="test").filter(credit_file=f).count() == 4


def test_the_jobs_are_on_the_worker_schedule() -> None:
    from clientvault.core.schedule import SCHEDULE

    paths = {e.task_path for e in SCHEDULE}
    assert {
        "clientvault.risk.warning_tasks.scan_internal_indicators",
        "clientvault.risk.warning_tasks.scan_external_indicators",
        "clientvault.risk.warning_tasks.check_score_stability",
    } <= paths
