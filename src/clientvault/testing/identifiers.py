"""Checksum-valid identifiers for tests: resident ID numbers, credit codes, mobiles, bank cards; unique per seed."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from clientvault.classification import validators as V

counter = itertools.count(1)


def resident_id(seed: int | None = None, *, birth: dt.date | None = None, sex: str = "M") -> str:
    """A checksum-valid resident ID number (GB 11643-1999), unique per ``seed``."""
    n = next(counter) if seed is None else seed
    birth = birth or dt.date(1980, 1, 1) + dt.timedelta(days=n % 9000)
    seq = (n * 2) % 1000
    seq = seq + (1 if (sex == "M") != (seq % 2 == 1) else 0)
    first17 = f"110105{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + V.resident_id_check_char(first17)


def uscc(seed: int | None = None) -> str:
    n = next(counter) if seed is None else seed
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    body = f"{n:08d}"[-8:]
    check = 11 - sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11
    first17 = "91110105" + body + ("X" if check == 10 else "0" if check == 11 else str(check))
    return first17 + V.uscc_check_char(first17)


def mobile(seed: int | None = None) -> str:
    n = next(counter) if seed is None else seed
    return f"139{n:08d}"[-11:]


def bank_card(seed: int | None = None) -> str:
    """A Luhn-valid 16-digit UnionPay-style card number (RULES.md §11.3), unique per ``seed``."""
    n = next(counter) if seed is None else seed
    partial = f"622202{n:09d}"[-15:]
    return partial + V.luhn_check_digit(partial)


def rng(seed: int = 0) -> random.Random:
    return random.Random(seed)
