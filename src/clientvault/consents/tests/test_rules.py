"""Pure consent rule tests (consents/rules.py): no database, one test per rule behaviour."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from clientvault.consents import rules
from clientvault.consents.choices import Action, ConsentType, State

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
SENSITIVE = frozenset({"financial_account", "credit"})

MARKETING = rules.PurposeFacts("marketing", needs_consent=True)
SHARING = rules.PurposeFacts("partner_sharing", needs_consent=True, third_party=True)
ABROAD = rules.PurposeFacts("cross_border_transfer", needs_consent=True, cross_border=True)
NOTICE = rules.NoticeFacts(
    purposes=("marketing", "partner_sharing", "cross_border_transfer"),
    categories=("identity", "contact", "financial_account", "credit"),
    recipients=("合作银行",),
    destination_countries=("SG",),
    audience="general",
    has_necessity_and_impact=True,
)
CHILD_NOTICE = dataclasses.replace(NOTICE, audience="child")


def capture(**overrides: Any) -> rules.Capture:
    """A capture that passes every rule for an adult and the marketing purpose, with ``overrides`` applied."""
    base: dict[str, Any] = {
        "purpose": "marketing",
        "consent_type": ConsentType.GENERAL,
        "categories": ["contact"],
        "not_preticked": True,
        "not_bundled": True,
    }
    return rules.Capture(**{**base, **overrides})


def check(
    c: rules.Capture,
    purpose: rules.PurposeFacts = MARKETING,
    notice: rules.NoticeFacts = NOTICE,
    *,
    minor: bool = False,
    sensitive: frozenset[str] = SENSITIVE,
) -> dict[str, list[str]]:
    """check_capture with the messages rendered to text."""
    errors = rules.check_capture(c, purpose, notice, minor=minor, sensitive_categories=sensitive, now=NOW)
    with translation.override("en"):
        return {field: [str(m) for m in messages] for field, messages in errors.items()}


def age(born: dt.date, today: dt.date) -> int:
    """Completed years, computed without rules.birthday (someone born 29 Feb turns a year older on 1 Mar)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


# --- PIPL-31: who is a child -------------------------------------------------------------------------


def test_birthday_is_the_same_day_years_later() -> None:
    assert rules.birthday(dt.date(2012, 6, 30), 14) == dt.date(2026, 6, 30)
    assert rules.birthday(dt.date(2012, 2, 28), 14) == dt.date(2026, 2, 28)


def test_birthday_of_29_february_is_1_march_in_common_years_and_29_february_in_leap_years() -> None:
    assert rules.birthday(dt.date(2012, 2, 29), 14) == dt.date(2026, 3, 1)
    assert rules.birthday(dt.date(2000, 2, 29), 16) == dt.date(2016, 2, 29)


def test_under_14_is_a_minor_until_the_14th_birthday() -> None:
    born = dt.date(2016, 5, 10)  # ten years old on TODAY
    until = rules.minor_until(born, TODAY)
    assert until == dt.date(2030, 5, 10)
    assert rules.is_minor(until, TODAY) is True
    assert rules.is_minor(until, dt.date(2030, 5, 9)) is True


def test_on_the_14th_birthday_exactly_one_is_no_longer_a_minor() -> None:
    born = dt.date(2012, 11, 23)
    assert rules.minor_until(born, dt.date(2026, 11, 22)) == TODAY  # the day before: still a child
    assert rules.minor_until(born, TODAY) is None  # the birthday itself: an adult for consent purposes
    assert rules.is_minor(dt.date(2026, 11, 23), TODAY) is False


def test_born_on_29_february_is_a_minor_through_28_february_of_a_common_year() -> None:
    born = dt.date(2012, 2, 29)
    assert rules.minor_until(born, dt.date(2026, 2, 28)) == dt.date(2026, 3, 1)
    assert rules.is_minor(rules.minor_until(born, dt.date(2026, 2, 28)), dt.date(2026, 2, 28)) is True
    assert rules.minor_until(born, dt.date(2026, 3, 1)) is None


def test_adults_and_unknown_birth_dates_are_not_minors() -> None:
    assert rules.minor_until(dt.date(1980, 1, 1), TODAY) is None
    assert rules.minor_until(None, TODAY) is None
    assert rules.is_minor(None, TODAY) is False


def test_child_age_is_configurable() -> None:
    born = dt.date(2010, 1, 1)  # 16 on TODAY
    assert rules.minor_until(born, TODAY) is None
    assert rules.minor_until(born, TODAY, child_age=18) == dt.date(2028, 1, 1)


def test_a_stored_minor_until_date_lapses_by_itself() -> None:
    until = dt.date(2027, 1, 1)
    assert rules.is_minor(until, dt.date(2026, 12, 31)) is True
    assert rules.is_minor(until, until) is False
    assert rules.is_minor(until, dt.date(2027, 6, 1)) is False


@given(
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    days=st.integers(min_value=0, max_value=40 * 366),
    child_age=st.integers(min_value=1, max_value=25),
)
def test_minor_until_and_is_minor_agree_with_the_age_in_completed_years(born: dt.date, days: int, child_age: int) -> None:
    today = born + dt.timedelta(days=days)
    until = rules.minor_until(born, today, child_age)
    assert rules.is_minor(until, today) == (age(born, today) < child_age)
    if until is not None:
        # The stored date is the first day the person is no longer a child.
        assert age(born, until) == child_age
        assert age(born, until - dt.timedelta(days=1)) == child_age - 1


# --- PIPL-15: state of a consent ---------------------------------------------------------------------


def test_state_none_given_expired_withdrawn() -> None:
    later = NOW + dt.timedelta(days=1)
    assert rules.state(None, None, NOW) is State.NONE
    assert rules.state(Action.GIVEN, None, NOW) is State.LIVE
    assert rules.state(Action.GIVEN, later, NOW) is State.LIVE
    assert rules.state(Action.GIVEN, NOW - dt.timedelta(seconds=1), NOW) is State.EXPIRED
    assert rules.state(Action.GIVEN, NOW, NOW) is State.EXPIRED  # the expiry instant itself is past
    assert rules.state(Action.WITHDRAWN, None, NOW) is State.WITHDRAWN
    assert rules.state(Action.WITHDRAWN, later, NOW) is State.WITHDRAWN


def test_is_live_only_for_a_given_unexpired_consent() -> None:
    assert rules.is_live(Action.GIVEN, ConsentType.GENERAL, None, NOW) is True
    assert rules.is_live(Action.GIVEN, ConsentType.SEPARATE, NOW + dt.timedelta(hours=1), NOW) is True
    assert rules.is_live(Action.GIVEN, ConsentType.SEPARATE, NOW - dt.timedelta(hours=1), NOW) is False
    assert rules.is_live(Action.WITHDRAWN, ConsentType.SEPARATE, None, NOW) is False
    assert rules.is_live(None, ConsentType.SEPARATE, None, NOW) is False


def test_is_live_for_a_minor_only_with_a_guardians_consent() -> None:
    for consent_type in (ConsentType.GENERAL, ConsentType.SEPARATE, ConsentType.WRITTEN):
        assert rules.is_live(Action.GIVEN, consent_type, None, NOW, minor=True) is False
    assert rules.is_live(Action.GIVEN, ConsentType.GUARDIAN, None, NOW, minor=True) is True
    assert rules.is_live(Action.WITHDRAWN, ConsentType.GUARDIAN, None, NOW, minor=True) is False
    assert rules.is_live(Action.GIVEN, ConsentType.GUARDIAN, NOW, NOW, minor=True) is False


# --- check_capture -----------------------------------------------------------------------------------


def test_a_proper_capture_passes() -> None:
    assert check(capture()) == {}
    assert check(capture(consent_type=ConsentType.SEPARATE, categories=["identity", "credit"])) == {}


def test_a_purpose_that_does_not_rest_on_consent_is_refused() -> None:
    errors = check(capture(purpose="sales_followup"), rules.PurposeFacts("sales_followup", needs_consent=False))
    assert "purpose" in errors


def test_an_unknown_consent_type_is_refused() -> None:
    assert "consent_type" in check(capture(consent_type="implied"))


def test_pipl14_pre_ticked_box_is_not_consent() -> None:
    errors = check(capture(not_preticked=False))
    assert set(errors) == {"not_preticked"}


def test_pipl14_bundled_consent_is_not_consent() -> None:
    errors = check(capture(not_bundled=False))
    assert set(errors) == {"not_bundled"}


def test_pipl17_the_notice_must_cover_the_purpose() -> None:
    notice = dataclasses.replace(NOTICE, purposes=("partner_sharing",))
    assert set(check(capture(), notice=notice)) == {"notice"}


def test_categories_are_required_and_must_be_in_the_notice() -> None:
    assert set(check(capture(categories=[]))) == {"categories"}
    errors = check(capture(categories=["contact", "location", "behaviour"]))
    assert set(errors) == {"categories"}
    # The message names the categories outside the notice (sorted), not the ones inside it.
    assert "behaviour, location" in errors["categories"][0]
    assert "contact" not in errors["categories"][0]


def test_pipl29_30_sensitive_categories_need_separate_or_written_consent() -> None:
    sensitive = capture(categories=["contact", "financial_account"])
    assert set(check(sensitive)) == {"consent_type"}  # general consent is not enough
    assert check(dataclasses.replace(sensitive, consent_type=ConsentType.SEPARATE)) == {}
    assert check(dataclasses.replace(sensitive, consent_type=ConsentType.WRITTEN)) == {}
    # The same categories are ordinary when the catalogue marks none of them sensitive.
    assert check(sensitive, sensitive=frozenset()) == {}


def test_pipl23_third_party_purpose_needs_recipients_named_in_the_notice() -> None:
    base = capture(purpose="partner_sharing", consent_type=ConsentType.SEPARATE)
    assert set(check(base, SHARING)) == {"recipients"}  # none named
    assert set(check(dataclasses.replace(base, recipients=["某保险公司"]), SHARING)) == {"recipients"}  # not in the notice
    assert check(dataclasses.replace(base, recipients=["合作银行"]), SHARING) == {}


def test_pipl23_third_party_purpose_needs_separate_consent() -> None:
    general = capture(purpose="partner_sharing", recipients=["合作银行"])
    assert set(check(general, SHARING)) == {"consent_type"}


def test_recipients_outside_the_notice_are_refused_for_any_purpose() -> None:
    assert set(check(capture(recipients=["某保险公司"]))) == {"recipients"}


def test_pipl39_cross_border_needs_a_destination_named_in_the_notice() -> None:
    base = capture(purpose="cross_border_transfer", consent_type=ConsentType.SEPARATE)
    assert set(check(base, ABROAD)) == {"destination_country"}
    assert set(check(dataclasses.replace(base, destination_country="US"), ABROAD)) == {"destination_country"}
    assert check(dataclasses.replace(base, destination_country="SG"), ABROAD) == {}


def test_pipl39_cross_border_needs_separate_consent() -> None:
    general = capture(purpose="cross_border_transfer", destination_country="SG")
    assert set(check(general, ABROAD)) == {"consent_type"}


@pytest.mark.parametrize(
    ("purpose", "extra"),
    [
        (MARKETING, {"categories": ["credit"]}),
        (SHARING, {"purpose": "partner_sharing", "recipients": ["合作银行"]}),
        (ABROAD, {"purpose": "cross_border_transfer", "destination_country": "SG"}),
    ],
)
def test_heightened_consent_needs_a_notice_with_necessity_and_impact(purpose: rules.PurposeFacts, extra: dict[str, Any]) -> None:
    c = capture(consent_type=ConsentType.SEPARATE, **extra)
    assert check(c, purpose) == {}
    thin = dataclasses.replace(NOTICE, has_necessity_and_impact=False)
    assert set(check(c, purpose, thin)) == {"notice"}


def test_ordinary_consent_does_not_need_necessity_and_impact() -> None:
    thin = dataclasses.replace(NOTICE, has_necessity_and_impact=False)
    assert check(capture(), notice=thin) == {}


def test_pipl31_a_minor_needs_a_guardians_consent_on_the_child_notice() -> None:
    errors = check(capture(consent_type=ConsentType.SEPARATE), minor=True)
    assert set(errors) == {"consent_type", "notice"}  # not a guardian, and the adults' notice
    guardian = capture(consent_type=ConsentType.GUARDIAN, guardian_relation="parent", guardian_name="王家长")
    assert set(check(guardian, minor=True)) == {"notice"}
    assert check(guardian, notice=CHILD_NOTICE, minor=True) == {}
    # A guardian's consent counts as separate consent for sensitive categories too.
    sensitive = dataclasses.replace(guardian, categories=["financial_account"])
    assert check(sensitive, notice=CHILD_NOTICE, minor=True) == {}


def test_pipl31_a_guardians_consent_names_the_guardian() -> None:
    bare = capture(consent_type=ConsentType.GUARDIAN, guardian_name="   ")
    assert set(check(bare, notice=CHILD_NOTICE, minor=True)) == {"guardian_relation", "guardian_name"}


def test_pipl31_a_guardians_consent_is_refused_for_an_adult() -> None:
    guardian = capture(consent_type=ConsentType.GUARDIAN, guardian_relation="parent", guardian_name="王家长")
    errors = check(guardian)
    assert set(errors) == {"consent_type"}
    assert "under 14" in errors["consent_type"][0]


def test_an_expiry_must_lie_in_the_future() -> None:
    assert set(check(capture(expires_at=NOW - dt.timedelta(days=1)))) == {"expires_at"}
    assert set(check(capture(expires_at=NOW))) == {"expires_at"}
    assert check(capture(expires_at=NOW + dt.timedelta(minutes=1))) == {}


def test_every_problem_is_reported_at_once() -> None:
    bad = capture(
        consent_type=ConsentType.GENERAL,
        categories=["credit", "location"],
        not_preticked=False,
        not_bundled=False,
        expires_at=NOW,
    )
    errors = check(bad)
    assert {"not_preticked", "not_bundled", "categories", "consent_type", "expires_at"} <= set(errors)


# --- field_allowed -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("consent_type", "field_category", "sensitive", "minor", "allowed"),
    [
        # PIPL-14: a field outside the consented categories is withheld, whatever the consent.
        (ConsentType.SEPARATE, "location", False, False, False),
        (ConsentType.GUARDIAN, "location", True, True, False),
        # Ordinary data in scope: any consent covers it.
        (ConsentType.GENERAL, "contact", False, False, True),
        (ConsentType.SEPARATE, "contact", False, False, True),
        # PIPL-29-30: sensitive data needs heightened consent.
        (ConsentType.GENERAL, "financial_account", True, False, False),
        (ConsentType.SEPARATE, "financial_account", True, False, True),
        (ConsentType.WRITTEN, "financial_account", True, False, True),
        # PIPL-31: everything about a child is treated as sensitive.
        (ConsentType.GENERAL, "contact", False, True, False),
        (ConsentType.GUARDIAN, "contact", False, True, True),
        (ConsentType.GUARDIAN, "financial_account", True, True, True),
    ],
)
def test_field_allowed_matrix(consent_type: str, field_category: str, sensitive: bool, minor: bool, allowed: bool) -> None:
    categories = ["contact", "financial_account"]
    assert rules.field_allowed(consent_type, categories, field_category, sensitive, minor=minor) is allowed


def test_field_allowed_accepts_any_iterable_of_categories() -> None:
    assert rules.field_allowed(ConsentType.GENERAL, (c for c in ["contact"]), "contact", False, minor=False) is True


# --- scope_growth (PIPL-14: a wider notice needs fresh consent) --------------------------------------


def test_scope_growth_of_a_first_version_is_nothing() -> None:
    assert rules.scope_growth(None, {"purposes": ["marketing"], "categories": ["contact"]}) == {}


def test_scope_growth_lists_only_what_was_added_sorted() -> None:
    previous = {"purposes": ["marketing"], "categories": ["contact", "identity"], "recipients": ["A"], "destination_countries": []}
    current = {
        "purposes": ["marketing"],
        "categories": ["identity", "location", "credit"],
        "recipients": [],
        "destination_countries": ["SG"],
    }
    assert rules.scope_growth(previous, current) == {"categories": ["credit", "location"], "destination_countries": ["SG"]}


def test_narrowing_or_reordering_is_not_growth() -> None:
    previous = {"purposes": ["marketing", "partner_sharing"], "categories": ["contact", "identity"]}
    assert rules.scope_growth(previous, {"purposes": ["marketing"], "categories": ["identity", "contact"]}) == {}


def test_scope_growth_counts_a_key_new_to_the_notice() -> None:
    assert rules.scope_growth({"purposes": ["marketing"]}, {"purposes": ["marketing"], "recipients": ["合作银行"]}) == {
        "recipients": ["合作银行"]
    }


# --- content_hash ------------------------------------------------------------------------------------


def test_content_hash_is_stable_under_key_order() -> None:
    one = {"notice": "privacy", "version": 2, "purposes": ["marketing"], "nested": {"b": 1, "a": "隐私"}}
    two = {"nested": {"a": "隐私", "b": 1}, "purposes": ["marketing"], "version": 2, "notice": "privacy"}
    assert rules.content_hash(one) == rules.content_hash(two)
    assert len(rules.content_hash(one)) == 64
    assert all(ch in "0123456789abcdef" for ch in rules.content_hash(one))


def test_content_hash_changes_with_any_value() -> None:
    doc: dict[str, object] = {"notice": "privacy", "version": 1, "purposes": ["marketing"]}
    assert rules.content_hash(doc) != rules.content_hash({**doc, "version": 2})
    assert rules.content_hash(doc) != rules.content_hash({**doc, "purposes": ["marketing", "partner_sharing"]})


@given(st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=8), st.booleans()), max_size=8))
def test_content_hash_ignores_insertion_order(doc: dict[str, object]) -> None:
    reversed_doc = dict(reversed(list(doc.items())))
    assert rules.content_hash(doc) == rules.content_hash(reversed_doc)
