"""Which columns of a training table are sensitive attributes, excluded from models by default (PIPL-24:
results must be fair; PIPL-28/29: sensitive personal information needs its own basis).

A column is sensitive when its normalised name is one of the protected attributes below (sex, age, birth
date, nationality, ethnicity, religion, in English and Chinese), or matches a field the field catalogue
marks PIPL-sensitive — either the whole key (``customer.id_number``) or its field name (``id_number``). The
catalogue is asked in the database (the compliance team edits it); where no database is at hand the
catalogue's shipped defaults (classification/catalogue.py DEFAULTS) stand in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Protected attributes a credit model must not use as features by default (documented list).
PROTECTED = frozenset(
    {
        "sex", "gender", "age", "age_years", "birth_date", "date_of_birth", "dob", "birthday", "birth_year",
        "nationality", "citizenship", "ethnicity", "race", "religion", "marital_status",
        "性别", "年龄", "出生日期", "出生年份", "生日", "国籍", "民族", "宗教", "婚姻状况",
    }
)  # fmt: skip
AGE_LIKE = frozenset({"age", "age_years", "年龄"})
BIRTH_LIKE = frozenset({"birth_date", "date_of_birth", "dob", "birthday", "birth_year", "出生日期", "出生年份", "生日"})


def normalise(column: str) -> str:
    return re.sub(r"[\s\-]+", "_", column.replace("\ufeff", "").strip().lower())


def catalogue_fields() -> tuple[frozenset[str], str]:
    """The keys the field catalogue marks PIPL-sensitive, and where they came from ("catalogue" or "defaults")."""
    from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
    from django.db import DatabaseError

    try:
        from clientvault.classification.models import FieldClassification

        keys = frozenset(FieldClassification.objects.filter(pipl_sensitive=True).values_list("key", flat=True))
        return keys, "catalogue"
    except (AppRegistryNotReady, ImproperlyConfigured, DatabaseError):
        from clientvault.classification.catalogue import DEFAULTS

        return frozenset(d.key for d in DEFAULTS if d.pipl_sensitive), "defaults"


def sensitive_columns(columns: Iterable[str], catalogue_keys: Iterable[str]) -> dict[str, str]:
    """Each sensitive column of ``columns`` with the reason (``protected attribute`` or the catalogue key)."""
    names: dict[str, str] = {}
    for key in catalogue_keys:
        names.setdefault(normalise(key), key)
        names.setdefault(normalise(key.rsplit(".", 1)[-1]), key)
    found: dict[str, str] = {}
    for column in columns:
        name = normalise(column)
        if name in PROTECTED:
            found[column] = "protected attribute"
        elif name in names:
            found[column] = f"PIPL-sensitive in the field catalogue ({names[name]})"
    return found
