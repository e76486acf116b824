"""What an actor sees of each customer field: plain, masked or withheld (ARCHITECTURE.md rule 3).

``present`` asks the policy engine for a decision per field (class from the field catalogue × the rules
for the actor's roles and declared purpose × the row's scope; core customers count as C3), decrypts only
the fields that will be shown (withheld ones are never decrypted), masks per the field's profile
(RULES.md §12, JRT0171-DISPLAY-mask) and sets the results as attributes of the instance, together with
``field_views`` so templates and schemas can show the lock, the eye or the em dash.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings

from clientvault.access import engine
from clientvault.access.policies import CUSTOMER, Decision, FieldView, RowFacts
from clientvault.classification.catalogue import MaskProfile
from clientvault.classification.masking import MaskSettings, mask
from clientvault.consents import enforcement as consent_enforcement
from clientvault.core.context import Context
from clientvault.crypto import keystore
from clientvault.customers import vault

# Plain (not encrypted) columns that are still personal data and follow the same decisions.
PLAIN_PERSONAL = ("id_type", "nationality", "residency")
DISCLOSED = tuple(f for f in vault.ENCRYPTED_FIELDS if f != "custom_data") + PLAIN_PERSONAL
CUSTOM_PREFIX = "custom."
TAGS = "tags"  # decided like a field (catalogue key customer.tags), stored in clear for filtering
_UNCLASSIFIED = ("C3", MaskProfile.HIDDEN, "other", True)  # fail closed: an unknown field is C3, hidden, sensitive


def row_facts(customer: Any) -> RowFacts:
    dept = customer.department if customer.department_id else None
    return RowFacts(customer.owner_id, dept.path if dept else None, customer.legal_entity_id, bool(customer.is_core))


def catalogue_key(field: str) -> str:
    if field.startswith(CUSTOM_PREFIX):
        return f"customer.custom.{field[len(CUSTOM_PREFIX) :]}"
    return f"customer.{field}"


def _mask_settings() -> MaskSettings:
    return MaskSettings.from_mapping(getattr(settings, "CLIENTVAULT_MASKING", None))


def shown_value(decision: Decision, profile: str, value: Any, mask_settings: MaskSettings | None = None) -> Any:
    """The value as displayed under ``decision``: itself, its masked form, or None (withheld)."""
    if decision is Decision.PLAIN:
        return value
    if decision is Decision.WITHHELD or value in (None, "", {}):
        return None if decision is Decision.WITHHELD else value
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    # A field classified "shown in full" that a rule masks is hidden, never shown in full.
    return mask(MaskProfile.HIDDEN if profile == MaskProfile.NONE else profile, text, mask_settings)


def masked_form(field: str, value: Any) -> str:
    """The masked display of ``value`` under the field's profile (what a revealed value fades back to)."""
    profile = engine.field_classes().get(catalogue_key(field), _UNCLASSIFIED)[1]
    return str(shown_value(Decision.MASKED, profile, value, _mask_settings()) or "")


def decisions(ctx: Context, customer: Any, fields: Iterable[str], custom_keys: Iterable[str] = ()) -> dict[str, FieldView]:
    """Field (``custom.<key>`` for custom fields) → decision for this actor on this customer."""
    classes = engine.field_classes(ctx)
    names = [*fields, *(CUSTOM_PREFIX + k for k in custom_keys)]
    meta = {f: classes.get(catalogue_key(f), _UNCLASSIFIED) for f in names}
    views = engine.decide(ctx, row_facts(customer), {f: m[0] for f, m in meta.items()}, CUSTOMER)
    # Rule 5: under a consent-based purpose, what the live consent does not cover is withheld too.
    return consent_enforcement.limit_views(ctx, customer, views, {f: (m[2], m[3]) for f, m in meta.items()})


def present(ctx: Context, customers: Sequence[Any], fields: Sequence[str] = DISCLOSED, *, with_custom: bool = False) -> list[str]:
    """Decide, decrypt what is shown, mask, and set attributes on each customer. Returns the fields that
    were shown to the actor in any form (for the audit event)."""
    classes = engine.field_classes(ctx)
    mask_settings = _mask_settings()
    shown: set[str] = set()
    consent_enforcement.prefetch(ctx, [c.pk for c in customers])
    for customer in customers:
        # Which custom keys exist is only known after decrypting the blob; the blob is decrypted when any
        # custom field could be shown (the decision per key is taken below).
        views = decisions(ctx, customer, fields)
        encrypted = [f for f in fields if f in vault.ENCRYPTED_FIELDS and views[f].decision is not Decision.WITHHELD]
        custom_shown = with_custom and _any_custom_shown(ctx, customer, classes)
        if custom_shown:
            encrypted.append("custom_data")
        vault.reveal(customer, encrypted)
        for f in fields:
            view = views[f]
            raw = getattr(customer, f, None)
            profile = classes.get(catalogue_key(f), _UNCLASSIFIED)[1]
            setattr(customer, f, shown_value(view.decision, profile, raw, mask_settings))
            if view.decision is not Decision.WITHHELD and raw not in (None, "", {}):
                shown.add(f)
        if with_custom:
            # Sealed custom data is not opened; every classified custom field shows as withheld.
            raw_custom = dict(getattr(customer, "custom_data", None) or {}) if custom_shown else _classified_custom(classes)
            custom_views = decisions(ctx, customer, (), raw_custom.keys())
            out: dict[str, Any] = {}
            for key, value in raw_custom.items():
                view = custom_views[CUSTOM_PREFIX + key]
                profile = classes.get(catalogue_key(CUSTOM_PREFIX + key), _UNCLASSIFIED)[1]
                out[key] = shown_value(view.decision, profile, value, mask_settings)
                if view.decision is not Decision.WITHHELD:
                    shown.add(CUSTOM_PREFIX + key)
            customer.custom_data = out
            views = {**views, **custom_views}
        tag_view = decisions(ctx, customer, (TAGS,))[TAGS]
        customer.shown_tags = shown_tags(tag_view.decision, customer)
        if customer.shown_tags:
            shown.add(TAGS)
        customer.field_views = {**views, TAGS: tag_view}
    return sorted(shown)


def shown_tags(decision: Decision, customer: Any) -> list[str] | None:
    """The customer's tags as ``decision`` shows them: the names, one masked mark, or None (withheld).

    Tags are free text staff attach to a person ("VIP", "病患", "欠款"): they describe the customer, so they
    are decided like any other field of the customer (catalogue key ``customer.tags``; a core customer's
    count as C3; consent scope applies). An erased customer's tags are not shown either.
    """
    if decision is Decision.WITHHELD:
        return None
    if getattr(customer, "erased", False):
        return []
    names = [t.name for t in customer.tags.all()]
    if decision is Decision.PLAIN or not names:
        return names
    return [str(mask(MaskProfile.HIDDEN, "*", None))]


def _classified_custom(classes: Any) -> dict[str, Any]:
    prefix = "customer.custom."
    return dict.fromkeys(k[len(prefix) :] for k in classes if k.startswith(prefix))


def _any_custom_shown(ctx: Context, customer: Any, classes: Any) -> bool:
    """Whether any classified custom field could be shown to the actor on this row (else the blob stays sealed).
    An unclassified custom key is C3: covered by asking about the strictest class too."""
    prefix = "customer.custom."
    keys = [k[len(prefix) :] for k in classes if k.startswith(prefix)]
    probe = decisions(ctx, customer, (), keys) if keys else {}
    strict = decisions(ctx, customer, (), ("?",))  # an unclassified key: C3, and narrowed by consent too
    return any(v.decision is not Decision.WITHHELD for v in [*probe.values(), *strict.values()])


def reveal_plain(ctx: Context, customer: Any, field: str) -> Any:
    """The clear value of one field the policy lets the actor reveal; PermissionDenied otherwise, and
    NotFound for a custom field that does not exist.

    Called by the reveal selector only, which audits it.
    """
    from clientvault.core.errors import NotFound, PermissionDenied

    if field.startswith(CUSTOM_PREFIX):
        if catalogue_key(field) not in engine.field_classes(ctx):
            # No such custom field (every defined one is classified): it names nothing, so it answers like
            # a missing record — 404, recorded as a denied access — and is never recorded as a reveal.
            raise NotFound()
        key = field[len(CUSTOM_PREFIX) :]
        view = decisions(ctx, customer, (), (key,))[field]
    elif field in DISCLOSED:
        view = decisions(ctx, customer, (field,))[field]
    else:
        raise PermissionDenied()
    if not view.revealable:
        raise PermissionDenied()
    if field.startswith(CUSTOM_PREFIX):
        vault.reveal(customer, ("custom_data",))
        return (customer.custom_data or {}).get(field[len(CUSTOM_PREFIX) :])
    if field not in vault.ENCRYPTED_FIELDS:
        return getattr(customer, field)
    try:
        return vault.unseal(customer, (field,))[field]
    except keystore.KeyDestroyed:
        return None
