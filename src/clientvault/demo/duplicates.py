"""A handful of realistic duplicates in the demo organisation, and a scan so the review queue is populated
(issue #14): the same person entered again by another rep with a homophone or traditional-character name,
a romanised name, without the ID number; and a household sharing a phone, which must not be flagged."""

from __future__ import annotations

import random
from typing import Any

from pypinyin import lazy_pinyin

from clientvault.customers.choices import Kind
from clientvault.customers.imports import ImportRow

TRADITIONAL = dict(
    zip(
        "张刘陈杨黄吴赵孙马罗郑谢冯邓许丽华军国东红兰凤龙云飞杰涛强宁静颖庆伟刚辉",
        "張劉陳楊黃吳趙孫馬羅鄭謝馮鄧許麗華軍國東紅蘭鳳龍雲飛傑濤強寧靜穎慶偉剛輝",
        strict=True,
    )
)
HOMOPHONES = dict(zip("伟明丽静杰军华芳敏磊强", "玮铭莉婧洁君桦方民蕾墙", strict=True))


def _copy(row: ImportRow, owner: Any, **changes: Any) -> ImportRow:
    data = {k: v for k, v in row.data.items() if k not in ("id_type", "id_number", "bank_card", "is_core")}
    data.update(changes)
    return ImportRow(kind=row.kind, data=data, owner=owner, custom=dict(row.custom), tags=[], followups=[])


def duplicate_rows(rows: list[ImportRow], *, seed: int = 14) -> list[ImportRow]:
    """Extra rows: five people entered a second time (by another owner) and one household member."""
    rng = random.Random(seed)
    people = [r for r in rows if r.kind == Kind.INDIVIDUAL and r.data.get("mobile") and len(str(r.data["name"])) >= 2]
    if len(people) < 8:
        return []
    owners = list({r.owner.pk: r.owner for r in rows}.values())
    picks = rng.sample(people, 6)
    extra: list[ImportRow] = []
    name0 = str(picks[0].data["name"])
    swapped = name0[:-1] + HOMOPHONES.get(name0[-1], name0[-1])
    extra.append(_copy(picks[0], rng.choice(owners), name=swapped))  # homophone in the given name, same mobile
    name1 = str(picks[1].data["name"])
    extra.append(_copy(picks[1], rng.choice(owners), name="".join(TRADITIONAL.get(c, c) for c in name1)))  # traditional characters
    name2 = str(picks[2].data["name"])
    syllables = [p.capitalize() for p in lazy_pinyin(name2)]
    roman = "".join(syllables[1:]) + " " + syllables[0].upper()  # "Xiaoming ZHANG": given name first
    extra.append(_copy(picks[2], rng.choice(owners), name=roman, mobile=picks[2].data["mobile"]))
    extra.append(_copy(picks[3], picks[3].owner, email=""))  # entered twice by the same rep, e-mail left out
    extra.append(_copy(picks[4], rng.choice(owners), address=""))
    # A household member: same surname and phone, another given name and address, no ID number (NOT a duplicate).
    head = picks[5]
    member = _copy(head, head.owner, name=str(head.data["name"])[0] + rng.choice("欣然子涵浩宇梓萱"), email="", address="")
    extra.append(member)
    return extra
