"""Survivorship rules, pure (no database): each rule over N = 4 records, ties, empties, picks, followers."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from clientvault.merges.survivorship import Candidate, RuleSpec, choose, decide

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
IDS = [uuid.UUID(int=i + 1) for i in range(4)]
FIELDS = ("name", "mobile", "email", "address")


def _records() -> list[Candidate]:
    values = [
        {"name": "张伟", "mobile": "", "email": "a@x.cn", "address": ""},  # survivor, oldest
        {"name": "張偉", "mobile": "13800000001", "email": "", "address": "北京"},
        {"name": "", "mobile": "13800000002", "email": "c@x.cn", "address": "上海"},
        {"name": "zhang", "mobile": "13800000003", "email": "", "address": ""},
    ]
    sources = ["online", "branch", "other", "partner"]
    return [
        Candidate(
            IDS[i], values[i], updated_at=T0 + dt.timedelta(days=(0, 3, 1, 2)[i]), created_at=T0 + dt.timedelta(hours=i), source=sources[i]
        )
        for i in range(4)
    ]


@pytest.mark.parametrize(
    ("field", "rule", "order", "expected"),
    [
        ("mobile", "most_recent", [], 1),  # record 2 was updated last and has a mobile
        ("email", "most_recent", [], 2),  # record 2 has none: the next most recent with one (3)
        ("name", "most_trusted_source", ["branch", "partner", "online"], 1),
        ("name", "most_trusted_source", ["partner", "branch"], 3),
        ("address", "most_complete", [], 1),  # records 2 and 3 fill 3 fields; the older (2) wins the tie
        ("mobile", "non_null", [], 1),  # survivor has none: the oldest other that has one
        ("email", "non_null", [], 0),  # the survivor's own
        ("email", "manual", [], 0),  # manual without a pick: the survivor
    ],
)
def test_each_rule_over_four_records(field: str, rule: str, order: list[str], expected: int) -> None:
    chosen = choose(field, RuleSpec(rule, order), _records(), survivor=IDS[0], pick=None, fields=FIELDS)
    assert chosen == IDS[expected]


def test_a_pick_overrides_any_rule_but_only_for_a_merged_record() -> None:
    assert choose("mobile", RuleSpec("most_recent"), _records(), survivor=IDS[0], pick=IDS[3], fields=FIELDS) == IDS[3]
    stranger = uuid.UUID(int=99)
    assert choose("mobile", RuleSpec("most_recent"), _records(), survivor=IDS[0], pick=stranger, fields=FIELDS) == IDS[1]


def test_all_empty_keeps_the_survivor() -> None:
    records = [Candidate(i, {"occupation": ""}, T0, T0, "") for i in IDS]
    assert choose("occupation", RuleSpec("most_recent"), records, survivor=IDS[2], pick=None, fields=("occupation",)) == IDS[2]


def test_decide_id_type_follows_id_number() -> None:
    records = [
        Candidate(IDS[0], {"id_type": "passport", "id_number": ""}, T0, T0, ""),
        Candidate(IDS[1], {"id_type": "resident_id", "id_number": "110105194912310029"}, T0, T0, ""),
    ]
    sources, values = decide("individual", records, {}, survivor=IDS[0], picks={})
    assert sources["id_number"] == sources["id_type"] == IDS[1]
    assert values["id_type"] == "resident_id"
