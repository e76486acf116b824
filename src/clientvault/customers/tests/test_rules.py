"""Pure rule tests: no database."""

from __future__ import annotations

import datetime as dt

from clientvault.customers import rules
from clientvault.customers.choices import Kind

TODAY = dt.date(2026, 11, 23)


def clean(kind: str = Kind.INDIVIDUAL, **data):
    return rules.clean_customer(data, kind=kind, today=TODAY)


def test_name_is_required_and_whitespace_folded():
    out, errors = clean(name="  张   三 ")
    assert out["name"] == "张 三" and not errors
    _out, errors = clean(name="   ")
    assert "name" in errors


def test_resident_id_fills_birth_date_and_sex():
    out, errors = clean(name="x", id_type="resident_id", id_number="11010519491231002x")
    assert not errors
    assert out["id_number"] == "11010519491231002X"
    assert out["birth_date"] == dt.date(1949, 12, 31) and out["sex"] == "F"


def test_conflicting_birth_date_is_an_error():
    _out, errors = clean(name="x", id_type="resident_id", id_number="11010519491231002X", birth_date=dt.date(1950, 1, 1))
    assert "birth_date" in errors


def test_id_number_needs_a_type_and_vice_versa():
    assert "id_type" in clean(name="x", id_number="E12345678")[1]
    assert "id_number" in clean(name="x", id_type="passport")[1]
    out, errors = clean(name="x", id_type="passport", id_number=" e1234 5678 ")
    assert not errors and out["id_number"] == "E12345678"


def test_foreign_permanent_residence_number_must_match_its_type():
    from clientvault.classification.validators import resident_id_check_char

    first17 = "91000019800101001"  # foreign permanent residence IDs start with 9
    number = first17 + resident_id_check_char(first17)
    assert not clean(name="x", id_type="foreign_permanent_residence", id_number=number)[1]
    assert "id_number" in clean(name="x", id_type="resident_id", id_number=number)[1]


def test_fields_of_the_other_kind_are_rejected():
    _out, errors = clean(name="x", uscc="91350100M000100Y43")
    assert "uscc" in errors
    _out, errors = clean(Kind.ORGANISATION, name="x", uscc="91350100M000100Y43", mobile="13800138000")
    assert "mobile" in errors


def test_organisation_needs_a_valid_credit_code():
    assert "uscc" in clean(Kind.ORGANISATION, name="x")[1]
    out, errors = clean(Kind.ORGANISATION, name="x", uscc=" 91350100m000100y43 ")
    assert not errors and out["uscc"] == "91350100M000100Y43" and out["uscc_needs_review"] is False
    assert "uscc" in clean(Kind.ORGANISATION, name="x", uscc="91350100M000100Y4A")[1]
    out, errors = rules.clean_customer(
        {"name": "x", "uscc": "91350100M000100Y4A"}, kind=Kind.ORGANISATION, today=TODAY, accept_uscc_checksum_failure=True
    )
    assert not errors and out["uscc_needs_review"] is True
    # A format error can never be accepted.
    assert (
        "uscc"
        in rules.clean_customer({"name": "x", "uscc": "IOZ"}, kind=Kind.ORGANISATION, today=TODAY, accept_uscc_checksum_failure=True)[1]
    )


def test_choices_lengths_and_country_codes():
    _out, errors = clean(name="x" * 201, status="gone", source="spam", nationality="china", residency="mars", sex="X")
    assert {"name", "status", "source", "nationality", "residency", "sex"} <= set(errors)


def test_messages_never_echo_the_input():
    _out, errors = clean(name="x", id_type="resident_id", id_number="340524198001010013", mobile="12345", email="no-at-sign")
    text = " ".join(str(m) for messages in errors.values() for m in messages)
    assert "340524198001010013" not in text and "12345" not in text and "no-at-sign" not in text


DEFS = [
    rules.FieldDefinition("level", "choice", True, "individual", ("a", "b")),
    rules.FieldDefinition("count", "integer", False, "both"),
    rules.FieldDefinition("ratio", "decimal", False, "both"),
    rules.FieldDefinition("since", "date", False, "both"),
    rules.FieldDefinition("flag", "boolean", False, "both"),
    rules.FieldDefinition("note", "text", False, "organisation"),
]


def test_custom_values_are_coerced_to_json_values():
    out, errors = rules.clean_custom_values(
        {"level": "a", "count": "12", "ratio": "0.50", "since": "2024-02-29", "flag": "yes"}, DEFS, kind=Kind.INDIVIDUAL
    )
    assert not errors
    assert out == {"level": "a", "count": 12, "ratio": "0.50", "since": "2024-02-29", "flag": True}


def test_custom_value_errors():
    _out, errors = rules.clean_custom_values(
        {"count": "12.5", "ratio": "NaN", "since": "2023-02-29", "flag": "maybe", "note": "n/a", "ghost": 1}, DEFS, kind=Kind.INDIVIDUAL
    )
    assert set(errors) == {"custom.level", "custom.count", "custom.ratio", "custom.since", "custom.flag", "custom.note", "custom.ghost"}
    assert "custom.count" in rules.clean_custom_values({"level": "a", "count": True}, DEFS, kind=Kind.INDIVIDUAL)[1]


def test_choice_definitions_are_validated():
    assert rules.validate_choices("choice", [])[1]
    assert rules.validate_choices("choice", [{"value": "a"}, {"value": "a"}])[1]
    out, errors = rules.validate_choices("choice", [{"value": " a ", "label_zh": "甲"}])
    assert not errors and out == [{"value": "a", "label_zh": "甲", "label_en": "a"}]
    assert rules.validate_choices("text", [{"value": "ignored"}]) == ([], [])
