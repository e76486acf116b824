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
from clientvault.access.plan import DisclosurePlan, PlanRow, disclosure_plan
from clientvault.access.policies import CUSTOMER, Decision, FieldView, RowFacts
from clientvault.classification.catalogue import MaskProfile
from clientvault.classification.masking import MaskSettings, mask
from clientvault.core.context import Context
from clientvault.crypto import keystore
from clientvault.customers import vault

# Plain (not encrypted) columns that are still personal data and follow the same decisions.
PLAIN_PERSONAL = ("id_type", "nationality", "residency")
DISCLOSED = tuple(f for f in vault.ENCRYPTED_FIELDS if f != "custom_data") + PLAIN_PERSONAL
CUSTOM_PREFIX = "custom."
UNCLASSIFIED_CUSTOM = CUSTOM_PREFIX + "?"  # how a custom key the catalogue does not know is shown (C3, hidden)
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


def _plan_fields(fields: Iterable[str]) -> dict[str, str]:
    return {f: catalogue_key(f) for f in fields}


def rows_of(customers: Iterable[Any]) -> list[PlanRow]:
    return [PlanRow(c.pk, row_facts(c), c) for c in customers]


def decisions(ctx: Context, customer: Any, fields: Iterable[str], custom_keys: Iterable[str] = ()) -> dict[str, FieldView]:
    """Field (``custom.<key>`` for custom fields) → decision for this actor on this customer."""
    names = [*fields, *(CUSTOM_PREFIX + k for k in custom_keys)]
    plan = disclosure_plan(ctx, rows_of([customer]), _plan_fields(names), CUSTOMER)
    return plan[customer.pk].views(names)


def plan(ctx: Context, customers: Sequence[Any], fields: Sequence[str] = DISCLOSED, *, with_custom: bool = False) -> DisclosurePlan:
    """The disclosure plan of a read, in one step: ``fields`` and the tags of every customer, and with
    ``with_custom`` every classified custom field plus ``custom.?`` (how an unclassified key is shown)."""
    names = [*fields, TAGS]
    if with_custom:
        names += [CUSTOM_PREFIX + k for k in _classified_custom(engine.field_classes(ctx))] + [UNCLASSIFIED_CUSTOM]
    return disclosure_plan(ctx, rows_of(customers), _plan_fields(names), CUSTOMER)


def present(ctx: Context, customers: Sequence[Any], fields: Sequence[str] = DISCLOSED, *, with_custom: bool = False) -> list[str]:
    """Decide, decrypt what is shown, mask, and set attributes on each customer. Returns the fields that
    were shown to the actor in any form (for the audit event)."""
    return disclose(ctx, customers, fields, with_custom=with_custom)[0]


def disclose(
    ctx: Context, customers: Sequence[Any], fields: Sequence[str] = DISCLOSED, *, with_custom: bool = False
) -> tuple[list[str], DisclosurePlan]:
    """``present``, also returning the plan it carried out (for the read's audit event).

    The plan is computed once for every row and field (access.plan); then each customer's keys are
    fetched and exactly the fields the plan shows are decrypted (withheld ones never are), masked per
    the plan, and set as attributes together with ``field_views`` (the plan per field)."""
    the_plan = plan(ctx, customers, fields, with_custom=with_custom)
    mask_settings = _mask_settings()
    shown: set[str] = set()
    for customer in customers:
        row = the_plan[customer.pk]
        encrypted = [f for f in row.shown(fields) if f in vault.ENCRYPTED_FIELDS]
        # Which custom keys exist is only known after decrypting the blob: it is decrypted when the plan
        # shows some custom field (a classified one, or an unclassified key).
        custom_names = [n for n in row.fields if n.startswith(CUSTOM_PREFIX)]
        custom_shown = with_custom and any(row[n].shown for n in custom_names)
        if custom_shown:
            encrypted.append("custom_data")
        vault.reveal(customer, encrypted)
        views = row.views(fields)
        for f in fields:
            planned = row[f]
            raw = getattr(customer, f, None)
            setattr(customer, f, shown_value(planned.decision, planned.profile, raw, mask_settings))
            if planned.shown and raw not in (None, "", {}):
                shown.add(f)
        if with_custom:
            # Sealed custom data is not opened; every classified custom field shows as withheld.
            classified = [n[len(CUSTOM_PREFIX) :] for n in custom_names if n != UNCLASSIFIED_CUSTOM]
            raw_custom = dict(getattr(customer, "custom_data", None) or {}) if custom_shown else dict.fromkeys(classified)
            out: dict[str, Any] = {}
            custom_views: dict[str, FieldView] = {}
            for key, value in raw_custom.items():
                planned = row.fields.get(CUSTOM_PREFIX + key) or row[UNCLASSIFIED_CUSTOM]
                out[key] = shown_value(planned.decision, planned.profile, value, mask_settings)
                custom_views[CUSTOM_PREFIX + key] = planned.view
                if planned.shown:
                    shown.add(CUSTOM_PREFIX + key)
            customer.custom_data = out
            views = {**views, **custom_views}
        customer.shown_tags = shown_tags(row[TAGS].decision, customer)
        if customer.shown_tags:
            shown.add(TAGS)
        customer.field_views = {**views, TAGS: row[TAGS].view}
    return sorted(shown), the_plan


def audit_detail(customers: Sequence[Any], the_plan: DisclosurePlan) -> dict[str, Any]:
    """What a read event records of the plan it carried out: ``disclosure``, one ``field:decision[:why]``
    code per field served (no values), and under a consent-based purpose ``consent_gated`` and
    ``withheld_for_consent``."""
    codes: set[str] = set()
    for customer in customers:
        row = the_plan[customer.pk]
        for name in getattr(customer, "field_views", {}):
            codes.add((row.fields.get(name) or row[UNCLASSIFIED_CUSTOM]).code(name))
    detail: dict[str, Any] = {"disclosure": sorted(codes)}
    if the_plan.consent_gated:
        detail.update(consent_gated=True, withheld_for_consent=the_plan.withheld_for_consent([c.pk for c in customers]))
    return detail


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
