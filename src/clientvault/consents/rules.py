"""Consent rules as pure functions of plain values (no database), each citing the rule it implements.

The queryset twin of ``is_live`` is ``consents.enforcement.live_q``; a test holds the two together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from clientvault.consents.choices import Action, ConsentType, State
from clientvault.core.errors import Message
from clientvault.customers.minors import (  # re-exported: consent rules speak of children
    CHILD_AGE as CHILD_AGE,
)
from clientvault.customers.minors import (
    birthday as birthday,
)
from clientvault.customers.minors import (
    is_minor as is_minor,
)
from clientvault.customers.minors import (
    minor_until as minor_until,
)
from clientvault.customers.minors import (
    stored_minor_until as stored_minor_until,
)

# PIPL-29-30: sensitive data for a consent-based purpose needs separate (or written) consent; a guardian's
# consent for a child is given on the child-specific notice and counts as separate.
HEIGHTENED = frozenset({ConsentType.SEPARATE, ConsentType.WRITTEN, ConsentType.GUARDIAN})


def state(action: str | None, expires_at: dt.datetime | None, now: dt.datetime) -> State:
    """PIPL-15: a withdrawn consent is not live; an expired one is not live either."""
    if action is None:
        return State.NONE
    if action == Action.WITHDRAWN:
        return State.WITHDRAWN
    if expires_at is not None and expires_at <= now:
        return State.EXPIRED
    return State.LIVE


def is_live(action: str | None, consent_type: str, expires_at: dt.datetime | None, now: dt.datetime, *, minor: bool = False) -> bool:
    """Live: given, not withdrawn, not expired — and for a child, given by a guardian (PIPL-31)."""
    if state(action, expires_at, now) is not State.LIVE:
        return False
    return not minor or consent_type == ConsentType.GUARDIAN


@dataclass(frozen=True)
class Capture:
    """What a person asks to record when consent is given (plain values, already parsed)."""

    purpose: str
    consent_type: str
    categories: Sequence[str]
    recipients: Sequence[str] = ()
    destination_country: str = ""
    not_preticked: bool = False
    not_bundled: bool = False
    guardian_relation: str = ""
    guardian_name: str = ""
    expires_at: dt.datetime | None = None


@dataclass(frozen=True)
class PurposeFacts:
    code: str
    needs_consent: bool
    cross_border: bool = False
    third_party: bool = False


@dataclass(frozen=True)
class NoticeFacts:
    purposes: Sequence[str]
    categories: Sequence[str]
    recipients: Sequence[str]
    destination_countries: Sequence[str]
    audience: str
    has_necessity_and_impact: bool


def check_capture(
    capture: Capture,
    purpose: PurposeFacts,
    notice: NoticeFacts,
    *,
    minor: bool,
    sensitive_categories: Iterable[str],
    now: dt.datetime,
) -> dict[str, list[Message]]:
    """Every reason a consent may not be recorded as asked, by form field (empty: it may be)."""
    errors: dict[str, list[Message]] = {}

    def err(field: str, message: Message) -> None:
        errors.setdefault(field, []).append(message)

    if not purpose.needs_consent:
        err("purpose", _("This purpose does not rest on consent; there is nothing to consent to."))
    if capture.consent_type not in ConsentType.values:
        err("consent_type", _("Choose a type of consent."))
    # PIPL-14 / GDPR-7: consent is an affirmative act — never a pre-ticked box, never bundled with other matters.
    if not capture.not_preticked:
        err("not_preticked", _("Consent from a pre-ticked box is not consent. Confirm the box was empty when shown."))
    if not capture.not_bundled:
        err("not_bundled", _("Consent bundled with other matters is not consent. Confirm it was asked for on its own."))
    # PIPL-17: a consent is valid only against a notice that covers its purpose and scope.
    if capture.purpose not in notice.purposes:
        err("notice", _("The notice shown does not cover this purpose."))
    outside = sorted(set(capture.categories) - set(notice.categories))
    if not capture.categories:
        err("categories", _("Choose the data categories the customer consents to."))
    elif outside:
        err("categories", _("The notice shown does not cover these categories: %(names)s.") % {"names": ", ".join(outside)})
    extra_recipients = sorted(set(capture.recipients) - set(notice.recipients))
    if extra_recipients:
        err("recipients", _("The notice shown does not name these recipients."))
    # PIPL-23: provision to another processor is consented recipient by recipient, separately.
    if purpose.third_party and not capture.recipients:
        err("recipients", _("Name the recipients the customer consents to (PIPL Art. 23)."))
    # PIPL-38-39-40: a cross-border transfer is consented per destination, separately.
    if purpose.cross_border:
        if not capture.destination_country:
            err("destination_country", _("Name the destination country (PIPL Art. 39)."))
        elif capture.destination_country not in notice.destination_countries:
            err("destination_country", _("The notice shown does not name this destination country."))
    heightened = purpose.cross_border or purpose.third_party or bool(set(capture.categories) & set(sensitive_categories))
    if minor:
        # PIPL-31: a child's consent is given by a parent or guardian, on the child-specific notice.
        if capture.consent_type != ConsentType.GUARDIAN:
            err("consent_type", _("The customer is under 14: only a parent's or guardian's consent counts."))
        if notice.audience != "child":
            err("notice", _("A child's consent needs the notice written for children and their guardians."))
    elif capture.consent_type == ConsentType.GUARDIAN:
        err("consent_type", _("A guardian's consent is only for customers under 14."))
    elif heightened and capture.consent_type not in HEIGHTENED:
        # PIPL-29-30 (sensitive data), PIPL-23 (third parties), PIPL-39 (cross-border): separate consent.
        err("consent_type", _("Sensitive data, third parties and cross-border transfer need separate consent."))
    if heightened and not notice.has_necessity_and_impact:
        err("notice", _("The notice must explain why the sensitive data is necessary and how it affects the customer."))
    if capture.consent_type == ConsentType.GUARDIAN:
        if not capture.guardian_relation:
            err("guardian_relation", _("Say who gave consent for the child."))
        if not capture.guardian_name.strip():
            err("guardian_name", _("Enter the guardian's name."))
    if capture.expires_at is not None and capture.expires_at <= now:
        err("expires_at", _("The expiry must be in the future."))
    return errors


def field_allowed(consent_type: str, categories: Iterable[str], field_category: str, sensitive: bool, *, minor: bool) -> bool:
    """Whether a live consent covers one field: its category is in scope, and sensitive data (everything
    about a child, PIPL-31) has heightened consent (PIPL-29-30). PIPL-14: outside the scope is withheld."""
    if field_category not in set(categories):
        return False
    if sensitive or minor:
        return consent_type in HEIGHTENED
    return True


def scope_growth(previous: Mapping[str, Sequence[str]] | None, current: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """What a new notice version covers that the previous one did not (PIPL-14: growth needs fresh consent)."""
    if previous is None:
        return {}
    grown = {key: sorted(set(current.get(key, ())) - set(previous.get(key, ()))) for key in current}
    return {k: v for k, v in grown.items() if v}


def content_hash(document: Mapping[str, object]) -> str:
    """SHA-256 over the notice's canonical JSON (sorted keys, no spaces): what a consent points at."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
