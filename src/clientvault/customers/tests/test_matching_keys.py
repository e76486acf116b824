"""Duplicate-matching keys (issue #14): derivation, normalisation, domain separation, storage without plaintext,
maintenance on every write path, erasure on shredding and deletion, the rebuild command."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from clientvault.audit.models import AuditEvent
from clientvault.customers import matching, profiles, shredding
from clientvault.customers.choices import Kind, MatchKeyKind
from clientvault.customers.models import MatchKey
from clientvault.testing.actors import ctx
from clientvault.testing.customers import all_rows, customer
from clientvault.testing.identifiers import resident_id

K = MatchKeyKind


@pytest.mark.parametrize(
    ("name", "pinyin"),
    [
        ("欧阳修", "ouyangxiu"),  # compound surname
        ("司马光", "simaguang"),
        ("诸葛亮", "zhugeliang"),
        ("尉迟恭", "yuchigong"),  # 尉 alone reads wei; in 尉迟 it is yu
        ("万俟卨", "moqixie"),
        ("单于夫", "chanyufu"),  # 单于 the compound, not 单 shan
        ("单田芳", "shantianfang"),  # polyphonic surname: 单 is shan as a surname, not dan
        ("曾国藩", "zengguofan"),  # 曾 zeng, not ceng
        ("解缙", "xiejin"),  # 解 xie, not jie
        ("区家麟", "oujialin"),  # 区 ou, not qu
        ("仇英", "qiuying"),
        ("朴槿惠", "piaojinhui"),
        ("查良镛", "zhaliangyong"),
        ("张 三", "zhangsan"),  # spaces dropped
        ("Zhang San", "zhangsan"),  # a Latin-letter name is its letters
        ("ZHANG-SAN", "zhangsan"),
        ("阿依古丽·买买提", "ayigulimaimaiti"),  # the name dot of minority names
    ],
)
def test_name_pinyin_reads_surnames_as_surnames(name: str, pinyin: str) -> None:
    assert matching.name_pinyin(name) == pinyin


def test_pinyin_makes_homophones_meet_and_keeps_others_apart() -> None:
    assert matching.name_pinyin("张三") == matching.name_pinyin("章三") == matching.name_pinyin("Zhang San")
    assert matching.name_pinyin("张三") != matching.name_pinyin("张山峰")
    assert matching.name_pinyin("") == "" and matching.name_pinyin("  ") == ""


def test_derived_values_normalise_identifiers() -> None:
    number = resident_id(birth=dt.date(1990, 5, 17))
    values = dict(
        matching.derived_values(
            {
                "name": " 王  芳 ",
                "id_type": "resident_id",
                "id_number": number[:-1] + number[-1].lower(),
                "mobile": "+86 139-1234-5678",
                "email": "  Wang.Fang@Example.CN ",
                "birth_date": dt.date(1990, 5, 17),
            },
            Kind.INDIVIDUAL,
        )
    )
    assert values[K.NAME] == "王芳" and values[K.NAME_PINYIN] == "wangfang"
    assert values[K.ID_NUMBER] == f"resident_id:{number.upper()}" and values[K.ID_NUMBER17] == number[:17]
    assert values[K.MOBILE] == "13912345678" and values[K.MOBILE_TAIL8] == "12345678"
    assert values[K.EMAIL] == "wang.fang@example.cn"
    assert values[K.BIRTH_DATE] == "1990-05-17" and values[K.NAME_BIRTH_YEAR] == "王芳|1990"
    # full-width digits, 0086 prefix: the same mobile
    assert dict(matching.derived_values({"mobile": "0086１３９１２３４５６７８"}, Kind.INDIVIDUAL))[K.MOBILE] == "13912345678"


def test_organisations_get_credit_code_name_and_email_keys_only() -> None:
    kinds = {
        k
        for k, _v in matching.derived_values(
            {"name": "某某科技有限公司", "uscc": "91110105mA01abcd1x", "email": "a@b.cn"}, Kind.ORGANISATION
        )
    }
    assert kinds == {K.NAME, K.USCC, K.EMAIL}


def test_a_passport_number_gets_no_check_digit_variant() -> None:
    kinds = {k for k, _v in matching.derived_values({"id_type": "passport", "id_number": "E12345678"}, Kind.INDIVIDUAL)}
    assert K.ID_NUMBER in kinds and K.ID_NUMBER17 not in kinds


@pytest.mark.django_db
def test_digests_are_domain_separated_per_kind() -> None:
    # The same text under two kinds (a name, and the name as the name key of another kind) never collides,
    # and no match digest equals the customer's own blind index of the same value.
    from clientvault.crypto import cipher

    assert matching.digest(K.NAME, "13912345678") != matching.digest(K.MOBILE, "13912345678")
    assert matching.digest(K.MOBILE, "13912345678") != cipher.blind_index("mobile", "13912345678")
    assert len(matching.digest(K.NAME, "王芳")) == 16 and matching.digest(K.NAME, "") == b""


@pytest.mark.django_db
def test_keys_are_written_on_create_hold_no_plaintext_and_follow_updates(org) -> None:
    number = resident_id(birth=dt.date(1985, 3, 9))
    c = profiles.create_customer(
        ctx=ctx(org["rep_bj1"]),
        kind=Kind.INDIVIDUAL,
        data={"name": "欧阳娜娜", "id_type": "resident_id", "id_number": number, "mobile": "13800001111", "email": "n@x.cn"},
    )
    rows = list(all_rows(MatchKey).filter(customer_id=c.pk).values_list("kind", "digest_bidx", "legal_entity_id"))
    assert {k for k, _d, _e in rows} == {
        K.NAME, K.NAME_PINYIN, K.ID_NUMBER, K.ID_NUMBER17, K.MOBILE, K.MOBILE_TAIL8, K.EMAIL, K.BIRTH_DATE, K.NAME_BIRTH_YEAR,
    }  # fmt: skip
    assert {e for _k, _d, e in rows} == {org.entity.pk}
    blob = b"".join(bytes(d) for _k, d, _e in rows)
    for plain in ("欧阳娜娜", number, "13800001111", "ouyang", "1985"):
        assert plain.encode() not in blob
    before = {bytes(d) for k, d, _e in rows if k == K.MOBILE}
    profiles.update_customer(ctx=ctx(org["rep_bj1"]), customer_id=c.pk, changes={"mobile": "13800002222"})
    after = dict(all_rows(MatchKey).filter(customer_id=c.pk, kind=K.MOBILE).values_list("kind", "digest_bidx"))
    assert bytes(after[K.MOBILE]) not in before and bytes(after[K.MOBILE]) == matching.digest(K.MOBILE, "13800002222")
    # an update of a field no key derives from leaves the keys alone (same rows)
    ids = set(all_rows(MatchKey).filter(customer_id=c.pk).values_list("pk", flat=True))
    profiles.update_customer(ctx=ctx(org["rep_bj1"]), customer_id=c.pk, changes={"occupation": "教师"})
    assert set(all_rows(MatchKey).filter(customer_id=c.pk).values_list("pk", flat=True)) == ids


@pytest.mark.django_db
def test_shredding_and_deletion_remove_the_keys(org) -> None:
    a, b = customer(org["rep_bj1"]), customer(org["rep_bj1"], status="prospect")
    assert all_rows(MatchKey).filter(customer_id=a.pk).exists() and all_rows(MatchKey).filter(customer_id=b.pk).exists()
    shredding.shred_customer(ctx=ctx(org["compliance"]), customer_id=a.pk)
    assert not all_rows(MatchKey).filter(customer_id=a.pk).exists()
    report = matching.check(
        legal_entity_id=org.entity.pk, kind=Kind.INDIVIDUAL, values={"id_type": "resident_id", "id_number": a.id_number}
    )
    assert not report
    profiles.delete_customer(ctx=ctx(org["rep_bj1"]), customer_id=b.pk)
    assert not all_rows(MatchKey).filter(customer_id=b.pk).exists()


@pytest.mark.django_db
def test_rebuild_command_backfills_resumes_and_skips_shredded(org) -> None:
    people = [customer(org["rep_bj1"]) for _ in range(5)]
    shredding.shred_customer(ctx=ctx(org["compliance"]), customer_id=people[0].pk)
    all_rows(MatchKey).delete()  # a database from before issue #14
    out = io.StringIO()
    call_command("matchkeys", "rebuild", "--chunk", "2", "--missing-only", stdout=out)
    assert "match keys rebuilt for 5 customers" in out.getvalue() and out.getvalue().count("checkpoint") == 3
    assert not all_rows(MatchKey).filter(customer_id=people[0].pk).exists()  # shredded: nothing to derive from
    expected = {(k, d) for k, d in matching.keys_for({**vars_of(people[1])}, Kind.INDIVIDUAL)}
    assert {(k, bytes(d)) for k, d in all_rows(MatchKey).filter(customer_id=people[1].pk).values_list("kind", "digest_bidx")} == expected
    # Resume after the second-to-last customer: only the last one is redone (its rows replaced, not duplicated).
    ordered = sorted(p.pk for p in people)
    count = all_rows(MatchKey).count()
    out = io.StringIO()
    call_command("matchkeys", "rebuild", "--after", str(ordered[-2]), stdout=out)
    assert "rebuilt for 1 customers" in out.getvalue() and all_rows(MatchKey).count() == count
    event = AuditEvent.objects.filter(event_type="customer.match_keys_rebuilt").order_by("-id").first()
    assert event is not None and event.detail["customers"] == 1 and event.detail["resumed"] is True and event.channel == "cli"


def vars_of(c) -> dict[str, object]:
    return {f: getattr(c, f) for f in ("name", "id_type", "id_number", "birth_date", "mobile", "email")}
