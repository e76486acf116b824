"""Pure rules for customer records: clean and validate input, derive what the ID number says.

One validation path for the UI, the API and imports. No database access: definitions and the
current record come in as plain values. Messages never echo the input (no personal data).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from clientvault.classification import validators as V
from clientvault.core import countries
from clientvault.core.errors import Message, ValidationFailed
from clientvault.core.text import clean_value
from clientvault.customers.choices import AppliesTo, FieldType, IdType, Industry, Kind, Residency, Sex, Source, Status

INDIVIDUAL_FIELDS = ("id_type", "id_number", "birth_date", "sex", "mobile", "email", "address", "nationality", "residency", "occupation")
ORGANISATION_FIELDS = ("uscc", "legal_representative", "registered_address", "industry")
COMMON_FIELDS = ("name", "status", "source", "is_core", "bank_card")
EDITABLE_FIELDS = COMMON_FIELDS + INDIVIDUAL_FIELDS + ORGANISATION_FIELDS
MAX_LENGTHS = {
    "name": 200,
    "id_number": 40,
    "mobile": 20,
    "email": 254,
    "address": 300,
    "occupation": 100,
    "legal_representative": 100,
    "registered_address": 300,
}
# Resident-ID-style numbers carry the birth date and sex; RULES.md §11.1 (GB 11643-1999).
CHECKSUMMED_ID_TYPES = {IdType.RESIDENT_ID, IdType.FOREIGN_PERMANENT_RESIDENCE}
_OTHER_ID = re.compile(r"^[A-Z0-9]{5,40}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# ``TextChoices.values`` builds a new list on every access: the sets are built once (a bulk import checks every row).
_VALUES: dict[type, frozenset[str]] = {c: frozenset(c.values) for c in (Kind, Status, Source, IdType, Sex, Residency, Industry)}


@dataclass(frozen=True)
class FieldDefinition:
    """A custom field definition as plain values (from ``CustomFieldDefinition``)."""

    key: str
    field_type: str
    required: bool
    applies_to: str
    choices: tuple[str, ...] = ()


def _text(value: Any) -> str:
    """Strip and fold white space: every standard field is a single line."""
    return "" if value is None else " ".join(str(value).split())


def clean_customer(
    data: Mapping[str, Any],
    *,
    kind: str,
    today: dt.date,
    accept_uscc_checksum_failure: bool = False,
) -> tuple[dict[str, Any], dict[str, list[Message]]]:
    """Return the cleaned standard fields of a whole record and the errors per field."""
    data = clean_value(dict(data))  # zero-width / bidi controls out before validation, whatever the entry path
    errors: dict[str, list[Message]] = {}
    out: dict[str, Any] = {}

    def err(field: str, message: Message) -> None:
        errors.setdefault(field, []).append(message)

    if kind not in _VALUES[Kind]:
        err("kind", _("Choose individual or organisation."))
        return out, errors

    for field in EDITABLE_FIELDS:
        value = data.get(field)
        if field == "is_core":
            out[field] = bool(value)
            continue
        if field != "birth_date":
            value = _text(value)
        out[field] = value
        limit = MAX_LENGTHS.get(field)
        if limit and isinstance(value, str) and len(value) > limit:
            err(field, _("Use at most %(n)d characters.") % {"n": limit})

    if not out["name"]:
        err("name", _("This field is required."))
    if out["status"] == "":
        out["status"] = Status.PROSPECT
    elif out["status"] not in _VALUES[Status]:
        err("status", _("Choose a valid status."))
    if out["source"] and out["source"] not in _VALUES[Source]:
        err("source", _("Choose a valid source."))

    other = ORGANISATION_FIELDS if kind == Kind.INDIVIDUAL else INDIVIDUAL_FIELDS
    for field in other:
        if out[field] not in ("", None):
            err(field, _("This field does not apply to this customer type."))
        out[field] = None if field == "birth_date" else ""

    if kind == Kind.INDIVIDUAL:
        _clean_individual(out, err, today)
    else:
        _clean_organisation(out, err, accept_uscc_checksum_failure)
    if out["bank_card"]:
        _clean_bank_card(out, err)
    return out, errors


def _clean_bank_card(out: dict[str, Any], err: Any) -> None:
    # RULES.md §11.3: spaces and hyphens dropped, 12-19 digits, Luhn (ISO/IEC 7812-1). Only the account
    # number is kept: CVV, expiry, track data and PIN are C3 and never stored (JRT0171-STORE-C3-no-retain).
    try:
        out["bank_card"] = V.validate_bank_card(out["bank_card"])
    except V.InvalidIdentifier as exc:
        err("bank_card", exc.message)


def _clean_individual(out: dict[str, Any], err: Any, today: dt.date) -> None:
    id_type, id_number = out["id_type"], out["id_number"]
    if id_type and id_type not in _VALUES[IdType]:
        err("id_type", _("Choose a valid ID type."))
    elif id_number and not id_type:
        err("id_type", _("Choose the type of the ID document."))
    elif id_type and not id_number:
        err("id_number", _("Enter the ID number, or clear the ID type."))
    elif id_number and id_type in CHECKSUMMED_ID_TYPES:
        try:
            info = V.parse_resident_id(id_number, today=today)
        except V.InvalidIdentifier as exc:
            err("id_number", exc.message)
        else:
            foreign = info.number.startswith("9")
            if foreign != (id_type == IdType.FOREIGN_PERMANENT_RESIDENCE):
                err("id_number", _("The number does not match the chosen ID type."))
            given = out["birth_date"]
            if given and given != info.birth_date:
                err("birth_date", _("The date of birth differs from the one in the ID number."))
            out.update(id_number=info.number, birth_date=info.birth_date, sex=info.sex)
    elif id_number:
        number = V.normalize_digits(id_number).upper()
        if not _OTHER_ID.match(number):
            err("id_number", _("Use 5 to 40 letters and digits."))
        out["id_number"] = number

    birth = out["birth_date"]
    if birth is not None and not isinstance(birth, dt.date):
        err("birth_date", _("Enter a valid date."))
    elif birth is not None and (birth > today or birth.year < 1900):
        err("birth_date", _("Enter a date of birth between 1900 and today."))
    if out["sex"] and out["sex"] not in _VALUES[Sex]:
        err("sex", _("Choose a valid sex."))
    if out["mobile"]:
        try:
            out["mobile"] = V.validate_mobile(out["mobile"])
        except V.InvalidIdentifier as exc:
            err("mobile", exc.message)
    if out["email"]:
        try:
            out["email"] = V.validate_email(out["email"])
        except V.InvalidIdentifier as exc:
            err("email", exc.message)
    if out["nationality"]:
        out["nationality"] = out["nationality"].upper()
        if not _COUNTRY.match(out["nationality"]) or not countries.is_known(out["nationality"]):
            err("nationality", _("Choose a country or region from the list (ISO 3166-1 code, such as CN)."))
    if out["residency"] and out["residency"] not in _VALUES[Residency]:
        err("residency", _("Choose a valid residency."))


def _clean_organisation(out: dict[str, Any], err: Any, accept_checksum_failure: bool) -> None:
    out["uscc_needs_review"] = False
    if not out["uscc"]:
        err("uscc", _("This field is required."))
    else:
        try:
            out["uscc"] = V.validate_uscc(out["uscc"])
        except V.InvalidIdentifier as exc:
            # RULES.md §11.2: early pilot-area codes are valid yet fail the check digit, so a
            # checksum failure can be accepted explicitly; it is flagged for review.
            normalised = V.normalize_uscc(out["uscc"])
            if exc.code == "checksum" and accept_checksum_failure:
                out["uscc"], out["uscc_needs_review"] = normalised, True
            else:
                err("uscc", exc.message)
    if out["industry"] and out["industry"] not in _VALUES[Industry]:
        err("industry", _("Choose a valid industry."))


def clean_custom_values(
    values: Mapping[str, Any], definitions: Sequence[FieldDefinition], *, kind: str
) -> tuple[dict[str, Any], dict[str, list[Message]]]:
    """Validate custom field values against their definitions; return JSON-ready values and errors."""
    values = clean_value(dict(values))
    errors: dict[str, list[Message]] = {}
    out: dict[str, Any] = {}
    applicable = {d.key: d for d in definitions if d.applies_to in (AppliesTo.BOTH, kind)}
    for key in values:
        if key not in applicable:
            errors.setdefault(f"custom.{key}", []).append(_("This custom field does not exist for this customer type."))
    for key, d in applicable.items():
        raw = values.get(key)
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            if d.required:
                errors.setdefault(f"custom.{key}", []).append(_("This field is required."))
            continue
        try:
            out[key] = _coerce(raw, d)
        except ValueError as exc:
            errors.setdefault(f"custom.{key}", []).append(exc.args[0])
    return out, errors


def _coerce(raw: Any, d: FieldDefinition) -> Any:
    if d.field_type == FieldType.TEXT:
        text = str(raw).strip()
        if len(text) > 500:
            raise ValueError(_("Use at most %(n)d characters.") % {"n": 500})
        return text
    if d.field_type == FieldType.INTEGER:
        if isinstance(raw, bool):
            raise ValueError(_("Enter a whole number."))
        try:
            return int(str(raw).strip())
        except ValueError:
            raise ValueError(_("Enter a whole number.")) from None
    if d.field_type == FieldType.DECIMAL:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        return str(number)
    if d.field_type == FieldType.DATE:
        if isinstance(raw, dt.date):
            return raw.isoformat()
        try:
            return dt.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValueError(_("Enter a valid date.")) from None
    if d.field_type == FieldType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"true", "1", "yes", "on"}:
            return True
        if text in {"false", "0", "no", "off"}:
            return False
        raise ValueError(_("Choose yes or no."))
    if d.field_type == FieldType.CHOICE:
        value = str(raw).strip()
        if value not in d.choices:
            raise ValueError(_("Choose one of the listed values."))
        return value
    raise ValueError(_("Unknown field type."))


def validate_choices(field_type: str, choices: Any) -> tuple[list[dict[str, str]], list[Message]]:
    """Validate the choices of a custom field definition: [{value, label_zh, label_en}, …]."""
    if field_type != FieldType.CHOICE:
        return [], []
    if not isinstance(choices, list) or not choices:
        return [], [_("A choice field needs at least one choice.")]
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in choices:
        if not isinstance(item, Mapping) or not str(item.get("value", "")).strip():
            return [], [_("Every choice needs a value and labels.")]
        value = str(item["value"]).strip()
        if value in seen:
            return [], [_("Choice values must be unique.")]
        seen.add(value)
        out.append({"value": value, "label_zh": str(item.get("label_zh") or value), "label_en": str(item.get("label_en") or value)})
    return out, []


def raise_if(errors: Mapping[str, Sequence[Message]]) -> None:
    if errors:
        raise ValidationFailed(errors)


HIGH, LOW = "high", "low"


def entry_risk(*, is_core: bool, kind: str, residency: str, nationality: str, uscc_needs_review: bool) -> str:
    """A customer's risk at entry, as approval rules and the review mode read it ("high" or "low").

    High: a core customer (the strictest protection), a non-resident or foreign individual (enhanced
    due diligence on entry, AML customer identification), an organisation whose credit code failed its
    check digit (RULES.md §11.2 caveat). The risk work (credit files, scores) refines this later.
    """
    if is_core or uscc_needs_review:
        return HIGH
    if kind == Kind.INDIVIDUAL and (residency == Residency.NON_RESIDENT or nationality not in ("", "CN")):
        return HIGH
    return LOW


def needs_entry_review(mode: str, *, is_core: bool, risk: str) -> bool:
    """Whether a new customer enters as pending compliance review under ``mode`` (CLIENTVAULT_ENTRY_REVIEW).

    An unknown mode reviews everything (fail closed; the system check refuses it at start)."""
    if mode == "none":
        return False
    if mode == "core":
        return is_core
    if mode == "high_risk":
        return risk == HIGH
    return True
