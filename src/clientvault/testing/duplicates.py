"""Generated Chinese customers with known duplicates, for the dedupe tests and benchmark.

People are drawn from Faker zh_CN's name lists (weighted surnames, compound surnames included) with valid
resident ID numbers; some live in households that share a mobile and an address (different people, NOT
duplicates); some are entered more than once, each extra record with one to three corruptions: a typo or a
homophone in the name, the name romanised (either order), traditional characters, a one-digit ID typo or two
digits transposed, day and month swapped, a changed mobile or e-mail, values missing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from faker import Faker
from faker.providers.person.zh_CN import Provider as PersonProvider
from pypinyin import Style, lazy_pinyin

TRADITIONAL = dict(
    zip(
        "张刘陈杨黄吴赵孙马罗郑谢冯邓许丽华军国东红兰凤龙云飞杰涛强宁静颖庆伟刚辉贤娟艳玲莉鹏欢宾贵乐欧阳诸葛司马",
        "張劉陳楊黃吳趙孫馬羅鄭謝馮鄧許麗華軍國東紅蘭鳳龍雲飛傑濤強寧靜穎慶偉剛輝賢娟艷玲莉鵬歡賓貴樂歐陽諸葛司馬",
        strict=True,
    )
)
COMPOUND = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "司徒", "夏侯", "令狐")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "gmail.com", "foxmail.com")


@dataclass
class Generated:
    rows: list[dict[str, Any]]  # unique_id, kind, entity, name, id_number, birth_date, sex, mobile, email, address
    truth: dict[str, int]  # unique_id -> person number: records of one person are duplicates
    households: list[list[str]] = field(default_factory=list)  # unique ids of people sharing a phone and address

    def true_pairs(self) -> set[tuple[str, str]]:
        by_person: dict[int, list[str]] = {}
        for uid, person in self.truth.items():
            by_person.setdefault(person, []).append(uid)
        return {(a, b) if a < b else (b, a) for ids in by_person.values() for i, a in enumerate(ids) for b in ids[i + 1 :]}


def _id_number(rng: random.Random, region: str, birth: dt.date, male: bool) -> str:
    seq = rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


class _Pools:
    def __init__(self, faker: Faker, rng: random.Random) -> None:
        names = list(PersonProvider.last_names.items())  # type: ignore[attr-defined]
        self.surnames = [s for s, _ in names] + list(COMPOUND)
        self.weights = [float(w) for _, w in names] + [0.05] * len(COMPOUND)
        self.given = list(PersonProvider.first_names)
        self.chars = sorted({c for g in self.given for c in g})
        by_sound: dict[str, list[str]] = {}
        for c in self.chars:
            by_sound.setdefault(lazy_pinyin(c, style=Style.NORMAL)[0], []).append(c)
        self.homophones = {c: [o for o in by_sound[lazy_pinyin(c, style=Style.NORMAL)[0]] if o != c] for c in self.chars}
        self.addresses = [faker.address().rsplit(" ", 1)[0] for _ in range(4000)]
        self.regions = [
            str(rng.choice([110101, 310104, 440305, 330106, 510104, 420102, 320106, 370102, 210102, 610113])) for _ in range(10)
        ]
        self.rng = rng

    def surname(self) -> str:
        return self.rng.choices(self.surnames, weights=self.weights)[0]

    def given_name(self) -> str:
        if self.rng.random() < 0.55:
            return self.rng.choice(self.chars) + self.rng.choice(self.chars)
        return self.rng.choice(self.given)


def _person(p: _Pools, rng: random.Random, *, surname: str | None = None) -> dict[str, Any]:
    surname = surname or p.surname()
    male = rng.random() < 0.5
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
    given = p.given_name()
    user = "".join(lazy_pinyin(surname + given, style=Style.NORMAL)) + str(rng.randrange(10, 9999))
    return {
        "name": surname + given,
        "surname": surname,
        "given": given,
        "id_number": _id_number(rng, rng.choice(p.regions) + "", birth, male),
        "birth_date": birth,
        "sex": "M" if male else "F",
        "mobile": f"1{rng.choice('3456789')}{rng.randrange(0, 10**9):09d}",
        "email": f"{user}@{rng.choice(_DOMAINS)}",
        "address": rng.choice(p.addresses) + f"{rng.randrange(1, 30)}栋{rng.randrange(101, 2999)}室",
    }


def _romanise(person: dict[str, Any], rng: random.Random) -> str:
    sur = "".join(lazy_pinyin(person["surname"], style=Style.NORMAL)).capitalize()
    giv = "".join(lazy_pinyin(person["given"], style=Style.NORMAL)).capitalize()
    return f"{giv} {sur}" if rng.random() < 0.5 else f"{sur.upper()} {giv}"


def _typo_digit(text: str, rng: random.Random) -> str:
    i = rng.randrange(0, len(text) - 1)
    if rng.random() < 0.5:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]  # two neighbours transposed
    return text[:i] + str((int(text[i]) + rng.randrange(1, 10)) % 10) + text[i + 1 :] if text[i].isdigit() else text


def _corrupt(record: dict[str, Any], person: dict[str, Any], p: _Pools, rng: random.Random) -> None:
    kinds = rng.sample(
        ["homophone", "typo_name", "romanised", "traditional", "id_typo", "swap_dm", "new_mobile", "new_email", "missing", "missing"],
        k=rng.choice((1, 1, 2, 2, 3)),
    )
    for kind in kinds:
        if kind == "homophone":
            chars = list(record["name"])
            options = [i for i in range(len(person["surname"]), len(chars)) if p.homophones.get(chars[i])]
            if options:
                i = rng.choice(options)
                chars[i] = rng.choice(p.homophones[chars[i]])
                record["name"] = "".join(chars)
        elif kind == "typo_name" and len(person["given"]) >= 2:
            record["name"] = person["surname"] + person["given"][0] + rng.choice(p.chars)
        elif kind == "romanised":
            record["name"] = _romanise(person, rng)
        elif kind == "traditional":
            record["name"] = "".join(TRADITIONAL.get(c, c) for c in record["name"])
        elif kind == "id_typo" and record["id_number"]:
            record["id_number"] = _typo_digit(record["id_number"], rng)
        elif kind == "swap_dm" and record["birth_date"] and record["birth_date"].day <= 12:
            b = record["birth_date"]
            record["birth_date"] = dt.date(b.year, b.day, b.month)
        elif kind == "new_mobile":
            record["mobile"] = f"1{rng.choice('3456789')}{rng.randrange(0, 10**9):09d}"
        elif kind == "new_email":
            record["email"] = ""
        elif kind == "missing":
            for key in rng.sample(["id_number", "mobile", "email", "birth_date", "address"], k=rng.choice((1, 2))):
                record[key] = None if key == "birth_date" else ""


def generate(n: int, *, seed: int = 14, duplicate_share: float = 0.12, household_share: float = 0.10, entity: str = "1") -> Generated:
    """About ``n`` customer records: people, households sharing a phone, and duplicates of some people."""
    rng = random.Random(seed)
    faker = Faker("zh_CN")
    faker.seed_instance(seed)
    pools = _Pools(faker, rng)
    rows: list[dict[str, Any]] = []
    truth: dict[str, int] = {}
    households: list[list[str]] = []
    person_no = 0

    def add(record: dict[str, Any], person: int) -> str:
        uid = f"{entity}-{len(rows):08d}"
        rows.append({"unique_id": uid, "kind": "individual", "entity": entity, **record})
        truth[uid] = person
        return uid

    while len(rows) < n:
        if rng.random() < household_share:
            head = _person(pools, rng)
            members = [head] + [
                _person(pools, rng, surname=head["surname"] if rng.random() < 0.6 else None) for _ in range(rng.choice((1, 1, 2, 3)))
            ]
            ids = []
            for member in members:
                member["mobile"], member["address"] = head["mobile"], head["address"]
                person_no += 1
                ids.append(add({k: v for k, v in member.items() if k not in ("surname", "given")}, person_no))
            households.append(ids)
            continue
        person = _person(pools, rng)
        person_no += 1
        base = {k: v for k, v in person.items() if k not in ("surname", "given")}
        add(dict(base), person_no)
        if rng.random() < duplicate_share:
            for _ in range(rng.choice((1, 1, 1, 2))):
                copy = dict(base)
                _corrupt(copy, person, pools, rng)
                add(copy, person_no)
    return Generated(rows=rows, truth=truth, households=households)
