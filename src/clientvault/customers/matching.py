"""On-entry duplicate check (issue #14): match keys and the check ``create_customer``/``update_customer`` run.

Every customer has a set of ``MatchKey`` rows: keyed blind indexes (``crypto.cipher.blind_index``, one domain
per kind, no plaintext, nothing reversible) of normalised identifiers and of values derived from the profile.

- exact kinds — ID number (with its type), USCC, mobile (11-digit CN, +86 dropped), e-mail (trimmed,
  lower-cased): a match is the same identifier. What an exact match does is configuration,
  ``CLIENTVAULT_DUPLICATE_RULES`` {field: "block" | "warn"} (RULES.md PIPL-13 / AML-KYC: one customer, one
  due-diligence record; a second record for the same person splits their history and consents).
- likely kinds — full name, tone-less name pinyin (compound and polyphonic surnames read as surnames),
  birth date, name + birth year, the mobile's last 8 digits, the resident ID's first 17 digits (a mistyped
  check digit): found by key lookups, then scored with per-kind weights against a configured threshold.

``check`` reads key rows and customer ids only: it decrypts nobody, so it cannot leak a value to a caller who
may not see the customer. Showing matches is ``customers.selectors.duplicate_matches`` (scope, masking, audit).
Merged-away customers (``Customer.merged_into``) and crypto-shredded ones never match.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from clientvault.classification import validators as V
from clientvault.core import bulk
from clientvault.core.errors import Message, ValidationFailed
from clientvault.crypto import cipher
from clientvault.customers.choices import IdType, Kind
from clientvault.customers.choices import MatchKeyKind as K
from clientvault.customers.models import Customer, MatchKey

BLOCK, WARN = "block", "warn"
ACTIONS = (BLOCK, WARN)
# The identifiers an exact-match rule may name (CLIENTVAULT_DUPLICATE_RULES); the system check refuses others.
EXACT_FIELDS = ("id_number", "uscc", "mobile", "email")
# The database itself holds one record per ID number / credit code in a legal entity
# (customer_unique_id_number_v2, customer_unique_uscc_v2): for these the only honest action is "block".
DATABASE_UNIQUE = ("id_number", "uscc")
DEFAULT_RULES: dict[str, str] = {"id_number": BLOCK, "uscc": BLOCK, "mobile": WARN, "email": WARN}
# [M] Likely-match weights per key kind, and the score a candidate needs. Exact kinds weigh here only when no
# rule names them. ``name_pinyin`` counts only when the written name differs (张三 / 章三 / Zhang San).
DEFAULT_WEIGHTS: dict[str, float] = {
    K.ID_NUMBER: 1.0, K.USCC: 1.0, K.MOBILE: 0.5, K.EMAIL: 0.5,
    K.ID_NUMBER17: 0.6, K.NAME: 0.35, K.NAME_PINYIN: 0.25, K.BIRTH_DATE: 0.25, K.NAME_BIRTH_YEAR: 0.1, K.MOBILE_TAIL8: 0.3,
}  # fmt: skip
DEFAULT_THRESHOLD = 0.5
# Which profile fields each key kind stands for (the reasons a Match gives: field codes, never values).
REASONS: dict[str, tuple[str, ...]] = {
    K.ID_NUMBER: ("id_number",), K.USCC: ("uscc",), K.MOBILE: ("mobile",), K.EMAIL: ("email",),
    K.NAME: ("name",), K.NAME_PINYIN: ("name_pinyin",), K.BIRTH_DATE: ("birth_date",),
    K.NAME_BIRTH_YEAR: ("name", "birth_date"), K.MOBILE_TAIL8: ("mobile",), K.ID_NUMBER17: ("id_number",),
}  # fmt: skip
EXACT_KINDS = (K.ID_NUMBER, K.USCC, K.MOBILE, K.EMAIL)
# The profile fields keys are derived from: an update touching none of them keeps the keys as they are.
INPUT_FIELDS = frozenset({"name", "id_type", "id_number", "birth_date", "mobile", "email", "uscc"})


@dataclass(frozen=True)
class Match:
    """One existing customer that matches; nothing personal unless revealed by a selector."""

    customer_id: uuid.UUID
    reasons: tuple[str, ...]
    exact: bool
    score: float


@dataclass(frozen=True)
class MatchReport:
    blocking: tuple[Match, ...] = ()
    warnings: tuple[Match, ...] = ()
    likely: tuple[Match, ...] = ()

    @property
    def matches(self) -> tuple[Match, ...]:
        return self.blocking + self.warnings + self.likely

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.warnings or self.likely)

    def __bool__(self) -> bool:
        return bool(self.matches)

    def only(self, customer_ids: Iterable[uuid.UUID]) -> MatchReport:
        """The report with warnings and likely matches kept only on these customers (blocking ones always stay)."""
        keep = set(customer_ids)
        return MatchReport(
            blocking=self.blocking,
            warnings=tuple(m for m in self.warnings if m.customer_id in keep),
            likely=tuple(m for m in self.likely if m.customer_id in keep),
        )

    def without(self, customer_ids: Iterable[uuid.UUID]) -> MatchReport:
        """The report less warnings and likely matches on these customers (blocking ones always stay)."""
        known = set(customer_ids)
        return MatchReport(
            blocking=self.blocking,
            warnings=tuple(m for m in self.warnings if m.customer_id not in known),
            likely=tuple(m for m in self.likely if m.customer_id not in known),
        )


_BLOCK_MESSAGES: dict[str, Message] = {
    # Same words as the unique-constraint errors of customers/profiles.py (one message for one fact).
    "id_number": _("A customer with this ID number is already registered."),
    "uscc": _("A customer with this credit code is already registered."),
    "mobile": _("A customer with this mobile number is already registered."),
    "email": _("A customer with this e-mail address is already registered."),
}


class DuplicateFound(ValidationFailed):
    """Raised by create/update on a blocking match, or on warnings/likely matches not confirmed."""

    code = "duplicate_found"
    status = 409
    default_message = _("Possible duplicate customers were found.")

    def __init__(self, report: MatchReport) -> None:
        fields: dict[str, list[Message]] = {}
        for match in report.blocking:
            for reason in match.reasons:
                if reason in _BLOCK_MESSAGES and rule_for(reason) == BLOCK:
                    fields.setdefault(reason, [_BLOCK_MESSAGES[reason]])
        message = _("A customer with the same identifier is already registered.") if report.blocking else None
        super().__init__(fields, message)
        self.report = report


# --- Configuration ------------------------------------------------------------------------------


def rules() -> dict[str, str]:
    return dict(getattr(settings, "CLIENTVAULT_DUPLICATE_RULES", DEFAULT_RULES))


def rule_for(field_code: str) -> str | None:
    return rules().get(field_code)


def weights() -> dict[str, float]:
    return {**DEFAULT_WEIGHTS, **getattr(settings, "CLIENTVAULT_DUPLICATE_WEIGHTS", {})}


def threshold() -> float:
    return float(getattr(settings, "CLIENTVAULT_DUPLICATE_THRESHOLD", DEFAULT_THRESHOLD))


def config_errors() -> list[str]:
    """What is wrong with the duplicate-check settings (customers/checks.py turns these into system errors)."""
    problems = []
    for name, action in rules().items():
        if name not in EXACT_FIELDS:
            problems.append(f"CLIENTVAULT_DUPLICATE_RULES names {name!r}, not one of {', '.join(EXACT_FIELDS)}")
        elif action not in ACTIONS:
            problems.append(f"CLIENTVAULT_DUPLICATE_RULES[{name!r}] is {action!r}, not one of {', '.join(ACTIONS)}")
        elif name in DATABASE_UNIQUE and action != BLOCK:
            problems.append(f"CLIENTVAULT_DUPLICATE_RULES[{name!r}] must be 'block': the database holds one record per {name}")
    for name, weight in getattr(settings, "CLIENTVAULT_DUPLICATE_WEIGHTS", {}).items():
        if name not in K.values or not isinstance(weight, int | float) or not 0 <= weight <= 1:
            problems.append(f"CLIENTVAULT_DUPLICATE_WEIGHTS[{name!r}] must be a key kind weighted 0..1")
    if not 0 < threshold() <= 1:
        problems.append("CLIENTVAULT_DUPLICATE_THRESHOLD must be in (0, 1]")
    return problems


# --- Key derivation -----------------------------------------------------------------------------

# Compound surnames (复姓) and their readings as surnames: 欧阳修 is ouyang xiu, 单于 is chanyu, 尉迟 is yuchi.
COMPOUND_SURNAMES: dict[str, str] = {
    "欧阳": "ouyang", "司马": "sima", "诸葛": "zhuge", "上官": "shangguan", "东方": "dongfang", "皇甫": "huangfu",
    "尉迟": "yuchi", "公孙": "gongsun", "慕容": "murong", "长孙": "zhangsun", "宇文": "yuwen", "司徒": "situ",
    "令狐": "linghu", "夏侯": "xiahou", "轩辕": "xuanyuan", "端木": "duanmu", "独孤": "dugu", "南宫": "nangong",
    "西门": "ximen", "万俟": "moqi", "单于": "chanyu", "澹台": "tantai", "公冶": "gongye", "太史": "taishi",
    "申屠": "shentu", "呼延": "huyan", "闻人": "wenren", "东郭": "dongguo", "百里": "baili", "钟离": "zhongli",
    "司空": "sikong", "左丘": "zuoqiu", "濮阳": "puyang", "淳于": "chunyu", "赫连": "helian", "第五": "diwu",
    "拓跋": "tuoba", "宗政": "zongzheng", "公羊": "gongyang", "漆雕": "qidiao", "乐正": "yuezheng", "司寇": "sikou",
}  # fmt: skip
# Single-character surnames whose reading as a surname differs from the character's common reading.
SURNAME_READINGS: dict[str, str] = {
    "单": "shan", "曾": "zeng", "解": "xie", "区": "ou", "仇": "qiu", "朴": "piao", "查": "zha", "盖": "ge",
    "缪": "miao", "翟": "zhai", "尉": "wei", "乐": "yue", "员": "yun", "褚": "chu", "繁": "po", "覃": "qin",
    "召": "shao", "种": "chong", "秘": "bi", "句": "gou", "折": "she", "宿": "su", "洗": "xian", "冼": "xian",
    "隗": "wei", "能": "nai", "任": "ren", "华": "hua", "过": "guo", "应": "ying", "重": "chong", "薄": "bo",
    "牟": "mou", "都": "du", "朝": "chao", "长": "chang", "相": "xiang", "卜": "bu", "沈": "shen", "贾": "jia",
    "柏": "bai", "蔺": "lin", "莘": "shen", "訾": "zi", "阚": "kan", "藏": "zang", "车": "che", "石": "shi",
    "斗": "dou", "黑": "he", "纪": "ji", "蕃": "pi", "殷": "yin", "万": "wan", "曲": "qu", "佘": "she", "粘": "nian",
}  # fmt: skip
_SEPARATORS = str.maketrans("", "", " \t·•・．.-'’")


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\U00020000" <= ch <= "\U0002ebef"


def normalised_name(name: str) -> str:
    """The name as matched: NFKC, no spaces or name dots (阿依古丽·买买提), case-folded."""
    return unicodedata.normalize("NFKC", name).translate(_SEPARATORS).casefold()


def name_pinyin(name: str) -> str:
    """Tone-less pinyin of a name, the surname read as a surname ("单田芳" → "shantianfang", "欧阳修" →
    "ouyangxiu"); a name in Latin letters is its letters ("Zhang San" → "zhangsan"). Empty for neither."""
    from pypinyin import Style, lazy_pinyin

    text = normalised_name(name)
    if not text:
        return ""
    if not any(_is_han(ch) for ch in text):
        return "".join(ch for ch in text if ch.isascii() and ch.isalpha())
    if text[:2] in COMPOUND_SURNAMES:
        head, rest = COMPOUND_SURNAMES[text[:2]], text[2:]
    elif text[0] in SURNAME_READINGS:
        head, rest = SURNAME_READINGS[text[0]], text[1:]
    else:
        head, rest = "", text
    syllables = lazy_pinyin(rest, style=Style.NORMAL, errors="ignore", v_to_u=False)
    return head + "".join(s for s in syllables if s.isascii()).lower()


def _birth_date(values: Mapping[str, Any]) -> dt.date | None:
    value = values.get("birth_date")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def derived_values(values: Mapping[str, Any], kind: str, *, pinyin_of: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(key kind, normalised value) pairs of one profile — plaintext, never stored: ``keys_for`` digests them.
    ``pinyin_of``: a memo of ``name_pinyin`` the caller holds for one batch (names repeat; dropped with it)."""
    out: list[tuple[str, str]] = []
    name = normalised_name(str(values.get("name") or ""))
    if name:
        out.append((K.NAME, name))
    email = V.normalize_email(str(values.get("email") or ""))
    if email:
        out.append((K.EMAIL, email))
    if kind == Kind.ORGANISATION:
        uscc = V.normalize_uscc(str(values.get("uscc") or ""))
        if uscc:
            out.append((K.USCC, uscc))
        return out
    if pinyin_of is None:
        pinyin = name_pinyin(name)
    elif name in pinyin_of:
        pinyin = pinyin_of[name]
    else:
        pinyin = pinyin_of[name] = name_pinyin(name)
    if pinyin:
        out.append((K.NAME_PINYIN, pinyin))
    id_type = str(values.get("id_type") or IdType.RESIDENT_ID)
    number = V.normalize_resident_id(str(values.get("id_number") or ""))
    if number:
        out.append((K.ID_NUMBER, f"{id_type}:{number}"))
        if id_type == IdType.RESIDENT_ID and len(number) == 18:
            out.append((K.ID_NUMBER17, number[:17]))
    mobile = V.normalize_mobile(str(values.get("mobile") or ""))
    if mobile:
        out.append((K.MOBILE, mobile))
        digits = "".join(ch for ch in mobile if ch.isdigit())
        if len(digits) >= 8:
            out.append((K.MOBILE_TAIL8, digits[-8:]))
    born = _birth_date(values)
    if born is not None:
        out.append((K.BIRTH_DATE, born.isoformat()))
        if name:
            out.append((K.NAME_BIRTH_YEAR, f"{name}|{born.year}"))
    return out


def digest(key_kind: str, normalised: str) -> bytes:
    return cipher.blind_index(cipher.MATCH_KIND_PREFIX + key_kind, normalised)


def keys_for(values: Mapping[str, Any], kind: str, *, pinyin_of: dict[str, str] | None = None) -> list[tuple[str, bytes]]:
    """(key kind, blind digest) of every match key these profile values give."""
    return [(k, d) for k, v in derived_values(values, kind, pinyin_of=pinyin_of) if (d := digest(k, v))]


# --- Maintenance --------------------------------------------------------------------------------

_WHY_WRITE = "match keys are rewritten with the profile they derive from (issue #14)"


def write_keys(
    customers: Iterable[Customer], values_by_id: Mapping[uuid.UUID, Mapping[str, Any]], *, batch_size: int = 2000, new: bool = False
) -> None:
    """Replace the match keys of these customers with keys of their values (full profile values, plaintext,
    as the service cleaned them). Bulk: one delete and batched inserts; customers absent from
    ``values_by_id`` are left alone. The caller holds the transaction. ``new``: customers inserted in this
    transaction (they have no keys yet: nothing to delete)."""
    rows: list[tuple[uuid.UUID, uuid.UUID, str, bytes]] = []
    ids: list[uuid.UUID] = []
    pinyin_of: dict[str, str] = {}
    for customer in customers:
        values = values_by_id.get(customer.pk)
        if values is None:
            continue
        ids.append(customer.pk)
        rows += [(customer.pk, customer.legal_entity_id, k, d) for k, d in keys_for(values, customer.kind, pinyin_of=pinyin_of)]
    for start in range(0, 0 if new else len(ids), 1000):
        MatchKey.objects.unrestricted(reason=_WHY_WRITE).filter(customer_id__in=ids[start : start + 1000]).delete()
    bulk.insert_values(MatchKey, ("customer_id", "legal_entity_id", "kind", "digest_bidx"), rows, batch_size=batch_size)


def erase_keys(customer_id: uuid.UUID) -> None:
    """Crypto-shredding: the keys are derived from values that must no longer be findable (customers/shredding.py)."""
    MatchKey.objects.unrestricted(reason="crypto-shredding erases the customer's match keys").filter(customer_id=customer_id).delete()


def erase_keys_of(customer_ids: list[uuid.UUID]) -> None:
    """``erase_keys`` for a chunk of customers (one DELETE)."""
    MatchKey.objects.unrestricted(reason="crypto-shredding erases the customers' match keys").filter(customer_id__in=customer_ids).delete()


# --- Lookup -------------------------------------------------------------------------------------


def _lookup(legal_entity_id: Any, keys: Sequence[tuple[str, bytes]], exclude: Iterable[uuid.UUID] = ()) -> dict[uuid.UUID, set[str]]:
    """customer id → the key kinds it shares with ``keys``, for live customers of the legal entity."""
    if not keys:
        return {}
    wanted = {(k, bytes(d)) for k, d in keys}
    rows = (
        MatchKey.objects.unrestricted(reason="duplicate check: which customers share a match key (ids only, nothing decrypted)")
        .filter(legal_entity_id=legal_entity_id, kind__in={k for k, _d in wanted}, digest_bidx__in=[d for _k, d in wanted])
        .values_list("customer_id", "kind", "digest_bidx")
    )
    hits: dict[uuid.UUID, set[str]] = defaultdict(set)
    skip = set(exclude)
    for customer_id, kind, value in rows:
        if customer_id not in skip and (kind, bytes(value)) in wanted:
            hits[customer_id].add(kind)
    if hits:
        live = set(_live(list(hits)))
        hits = defaultdict(set, {c: k for c, k in hits.items() if c in live})
    return hits


def _live(customer_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The customers among these that can still match: not merged away (slice E's ``merged_into``; absent
    before it lands) and not crypto-shredded (no key-destruction intent)."""
    from clientvault.crypto.models import KeyDestruction

    qs = Customer.objects.unrestricted(reason="duplicate check: drop merged-away and shredded candidates (ids only)")
    qs = qs.filter(pk__in=customer_ids).filter(~Exists(KeyDestruction.objects.filter(customer_id=OuterRef("pk"))))
    if any(f.name == "merged_into" for f in Customer._meta.get_fields()):
        qs = qs.filter(**{"merged_into__isnull": True})  # a dict until slice E lands the field (typed lookups)
    return list(qs.values_list("pk", flat=True))


def _reasons(kinds: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({r for k in kinds for r in REASONS[k]}))


def score(kinds: Iterable[str]) -> float:
    """The likeness of a candidate sharing these key kinds (0..1)."""
    shared = set(kinds)
    w = weights()
    if K.NAME in shared:
        shared.discard(K.NAME_PINYIN)  # the same written name says it already
    return min(1.0, round(sum(w.get(k, 0.0) for k in shared), 4))


def _report(hits: Mapping[uuid.UUID, set[str]]) -> MatchReport:
    configured = rules()
    blocking: list[Match] = []
    warnings: list[Match] = []
    likely: list[Match] = []
    cut = threshold()
    for customer_id, kinds in hits.items():
        actions = {configured.get(REASONS[k][0]) for k in kinds if k in EXACT_KINDS} - {None}
        if actions:
            exact_kinds = [k for k in kinds if k in EXACT_KINDS and configured.get(REASONS[k][0])]
            match = Match(customer_id, _reasons(exact_kinds), exact=True, score=1.0)
            (blocking if BLOCK in actions else warnings).append(match)
            continue
        likeness = score(kinds)
        if likeness >= cut:
            likely.append(Match(customer_id, _reasons(kinds), exact=False, score=likeness))

    def order(matches: list[Match]) -> tuple[Match, ...]:
        return tuple(sorted(matches, key=lambda m: (-m.score, str(m.customer_id))))

    return MatchReport(order(blocking), order(warnings), order(likely))


def check(*, legal_entity_id: Any, kind: str, values: Mapping[str, Any], exclude: uuid.UUID | None = None) -> MatchReport:
    """The existing customers of the legal entity that these profile values duplicate (ids and field codes)."""
    return _report(_lookup(legal_entity_id, keys_for(values, kind), exclude=[exclude] if exclude else []))


def exact_matches_bulk(*, legal_entity_id: Any, rows: Sequence[Mapping[str, Any]]) -> list[tuple[int, Match]]:
    """(row index, match) for every stored customer sharing an exact identifier (ID number, USCC, mobile,
    e-mail) with a row, whatever the configured action (the importer decides with ``rule_for``). A row's
    kind is its ``kind`` value (individual by default). Chunked lookups, nothing decrypted."""
    per_row: list[list[tuple[str, bytes]]] = [
        [(k, d) for k, d in keys_for(row, str(row.get("kind") or Kind.INDIVIDUAL)) if k in EXACT_KINDS] for row in rows
    ]
    owners: dict[tuple[str, bytes], list[int]] = defaultdict(list)
    for index, keys in enumerate(per_row):
        for key in keys:
            owners[key].append(index)
    found: dict[tuple[int, uuid.UUID], set[str]] = defaultdict(set)
    distinct = list(owners)
    held = MatchKey.objects.unrestricted(reason="bulk duplicate check of an import (ids only, nothing decrypted)")
    for start in range(0, len(distinct), 500):
        chunk = distinct[start : start + 500]
        stored = held.filter(
            legal_entity_id=legal_entity_id, kind__in={k for k, _d in chunk}, digest_bidx__in=[d for _k, d in chunk]
        ).values_list("customer_id", "kind", "digest_bidx")
        for customer_id, kind, value in stored:
            for index in owners.get((kind, bytes(value)), []):
                found[(index, customer_id)].add(kind)
    live = set(_live(list({cid for _i, cid in found})))
    ordered = sorted(((i, cid) for i, cid in found if cid in live), key=lambda pair: (pair[0], str(pair[1])))
    return [(i, Match(cid, _reasons(found[(i, cid)]), exact=True, score=1.0)) for i, cid in ordered]


# --- Rebuild ------------------------------------------------------------------------------------

_SEALED_INPUTS = ("name", "id_number", "birth_date", "mobile", "email", "uscc")


def rebuild(
    *, after: uuid.UUID | None = None, chunk: int = 2000, missing_only: bool = False, progress: Any = None
) -> tuple[int, uuid.UUID | None]:
    """(Re)write the match keys of every customer, in primary-key order, one transaction per chunk: resumable
    from the last customer id a run reported (``after``), or, with ``missing_only``, by doing only customers
    that have no key (a backfill after upgrade; the existing customers are not decrypted again).
    Shredded customers get no keys. Returns (customers done, last customer id)."""
    from django.db import transaction

    from clientvault.crypto import keystore
    from clientvault.customers import vault

    held = Customer.objects.unrestricted(reason="rebuilding duplicate-matching keys decrypts each customer's identifying fields (system)")
    done, last = 0, after
    while True:
        qs = held.order_by("pk")
        if last is not None:
            qs = qs.filter(pk__gt=last)
        if missing_only:
            qs = qs.filter(
                ~Exists(MatchKey.objects.unrestricted(reason="which customers lack match keys").filter(customer_id=OuterRef("pk")))
            )
        rows = list(vault.with_key_state(qs.only("pk", "kind", "legal_entity_id", "id_type", *map(vault.column, _SEALED_INPUTS)))[:chunk])
        if not rows:
            return done, last
        vault.load_keys(rows)
        values: dict[uuid.UUID, dict[str, Any]] = {}
        for customer in rows:
            try:
                values[customer.pk] = {**vault.unseal(customer, _SEALED_INPUTS), "id_type": customer.id_type}
            except keystore.KeyDestroyed:
                values[customer.pk] = {}  # shredded: no keys
        with transaction.atomic():
            write_keys(rows, values)
        done += len(rows)
        last = rows[-1].pk
        if progress is not None:
            progress(done, last)
