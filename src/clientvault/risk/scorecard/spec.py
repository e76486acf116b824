"""The scorecard spec: a small versioned JSON document (format ``clientvault.scorecard/1``) that the web tier
and the worker score in plain Python, with no numeric stack (ARCHITECTURE.md, credit scoring).

Layout (every key required unless noted; unknown keys are refused)::

    {"format": "clientvault.scorecard/1", "model_id": "...", "version": "...", "created_at": ISO 8601 with zone,
     "target": column, "scaling": {"pdo": 20, "base_score": 600, "base_odds": 50}, "intercept": 0.0,
     "characteristics": [
        {"field": code, "kind": "numeric", "label_zh": ..., "label_en": ...,
         "bins": [{"id": "0", "lower": null, "upper": 0.3, "points": 41.2, "label_zh": ..., "label_en": ...}, ...],
         "missing": {"id": "missing", "points": ..., "label_zh": ..., "label_en": ...}, "best_points": ...},
        {"field": code, "kind": "categorical", ..., "bins": [{"id": "0", "categories": ["a", "b"], ...}],
         "missing": {...}, "unseen": "missing" | a bin id, "best_points": ...}],
     "excluded_sensitive": [column, ...], "metrics": {...}, "digest": "sha256:<hex of the canonical body>"}

Numeric bins are half-open, ``lower <= x < upper`` (``null`` = unbounded), contiguous and increasing — the
trainer's own rule (``numpy.digitize(x, splits, right=False)``). A missing value takes the missing bin; an
unseen category takes the bin named by ``unseen``. The digest is SHA-256 over the canonical JSON of every
key but ``digest`` (sorted keys, no spaces, UTF-8), so a spec edited by hand no longer loads.

PIPL-24: the spec is what a score records as its model version, so an explanation can be given later.
Stdlib only: no numpy or pandas here (tests/architecture check in risk/tests/test_layering.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "clientvault.scorecard/1"
MISSING = "missing"
KINDS = ("numeric", "categorical")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_TOP_KEYS = {
    "format", "model_id", "version", "created_at", "target", "scaling", "intercept", "characteristics",
    "excluded_sensitive", "metrics", "digest",
}  # fmt: skip
_CHAR_KEYS = {"field", "kind", "label_zh", "label_en", "bins", "missing", "best_points"}
_BIN_KEYS = {"id", "points", "label_zh", "label_en"}


class SpecError(ValueError):
    """A malformed scorecard spec: ``code`` is stable (``spec.*``), the message says where and why."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


@dataclass(frozen=True)
class Scaling:
    """PDO scaling: ``base_score`` points at good:bad odds ``base_odds``; every ``pdo`` points double the odds."""

    pdo: float
    base_score: float
    base_odds: float

    def score_at_odds(self, odds: float) -> float:
        """The score at good:bad odds ``odds`` (the inverse of the scaling)."""
        return self.base_score + self.pdo / math.log(2) * math.log(odds / self.base_odds)


@dataclass(frozen=True)
class Bin:
    id: str
    points: float
    label_zh: str
    label_en: str
    lower: float | None = None  # numeric: lower <= x (None: unbounded)
    upper: float | None = None  # numeric: x < upper (None: unbounded)
    categories: tuple[str, ...] = ()  # categorical


@dataclass(frozen=True)
class Characteristic:
    field: str
    kind: str
    label_zh: str
    label_en: str
    bins: tuple[Bin, ...]
    missing: Bin
    best_points: float
    unseen: str | None = None  # categorical: the bin id unseen categories take (MISSING: the missing bin)

    def bin(self, bin_id: str) -> Bin:
        if bin_id == MISSING:
            return self.missing
        for b in self.bins:
            if b.id == bin_id:
                return b
        raise KeyError(f"{self.field}:{bin_id}")


@dataclass(frozen=True, eq=False)
class ScorecardSpec:
    model_id: str
    version: str
    created_at: str
    target: str
    scaling: Scaling
    intercept: float
    characteristics: tuple[Characteristic, ...]
    excluded_sensitive: tuple[str, ...]
    metrics: Mapping[str, Any]
    digest: str
    body: Mapping[str, Any] = field(repr=False)  # the validated document, as loaded

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.characteristics)

    def characteristic(self, field_code: str) -> Characteristic:
        for c in self.characteristics:
            if c.field == field_code:
                return c
        raise KeyError(field_code)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.body))  # type: ignore[no-any-return]


def canonical(body: Mapping[str, Any]) -> bytes:
    """The bytes the digest covers: every key but ``digest``, sorted, compact, UTF-8."""
    payload = {k: v for k, v in body.items() if k != "digest"}
    try:
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise SpecError("spec.not_json", f"the spec is not plain JSON: {exc}") from exc


def digest_of(body: Mapping[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical(body)).hexdigest()


def seal(body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` with its digest set (what the trainer writes); validated by loading it back."""
    sealed = {k: v for k, v in body.items() if k != "digest"}
    sealed["digest"] = digest_of(sealed)
    load(sealed)
    return sealed


def dump(spec: ScorecardSpec | Mapping[str, Any], path: str | Path) -> None:
    body = spec.body if isinstance(spec, ScorecardSpec) else spec
    Path(path).write_text(json.dumps(body, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")


def load(source: str | Path | Mapping[str, Any]) -> ScorecardSpec:
    """Validate a spec (a file path or the parsed document) strictly; raise ``SpecError`` on anything amiss."""
    body: Any = source
    if isinstance(source, str | Path):
        try:
            text = Path(source).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError("spec.unreadable", f"cannot read {source}: {exc}") from exc
        try:
            body = json.loads(text, parse_constant=_refuse_constant)
        except ValueError as exc:
            raise SpecError("spec.not_json", f"{source} is not JSON: {exc}") from exc
    if not isinstance(body, Mapping):
        raise SpecError("spec.not_object", "the spec must be a JSON object")
    if body.get("format") != FORMAT:
        raise SpecError("spec.format", f"format must be {FORMAT!r}, got {body.get('format')!r}")
    _keys(body, _TOP_KEYS, "spec")
    scaling = _scaling(body["scaling"])
    chars = body["characteristics"]
    if not isinstance(chars, list) or not chars:
        raise SpecError("spec.characteristics", "characteristics must be a non-empty list")
    parsed = tuple(_characteristic(c, i) for i, c in enumerate(chars))
    seen: set[str] = set()
    for c in parsed:
        if c.field in seen:
            raise SpecError("spec.duplicate_field", f"field {c.field!r} appears twice")
        seen.add(c.field)
    excluded = body["excluded_sensitive"]
    if not isinstance(excluded, list) or not all(isinstance(x, str) for x in excluded):
        raise SpecError("spec.excluded_sensitive", "excluded_sensitive must be a list of column names")
    if not isinstance(body["metrics"], Mapping):
        raise SpecError("spec.metrics", "metrics must be an object")
    digest = body["digest"]
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise SpecError("spec.digest", "digest must be 'sha256:' and 64 lowercase hex digits")
    if digest != digest_of(body):
        raise SpecError("spec.digest_mismatch", "the digest does not match the body: the spec was changed after it was sealed")
    return ScorecardSpec(
        model_id=_text(body, "model_id", "spec"),
        version=_text(body, "version", "spec"),
        created_at=_timestamp(body["created_at"]),
        target=_text(body, "target", "spec"),
        scaling=scaling,
        intercept=_number(body["intercept"], "spec.intercept"),
        characteristics=parsed,
        excluded_sensitive=tuple(excluded),
        metrics=body["metrics"],
        digest=digest,
        body=body,
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _keys(obj: Mapping[str, Any], required: set[str], where: str, optional: set[str] | frozenset[str] = frozenset()) -> None:
    missing = sorted(required - set(obj))
    if missing:
        raise SpecError("spec.missing_key", f"{where}: missing {', '.join(missing)}")
    unknown = sorted(set(obj) - required - optional)
    if unknown:
        raise SpecError("spec.unknown_key", f"{where}: unknown key(s) {', '.join(map(str, unknown))}")


def _text(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj[key]
    if not isinstance(value, str) or not value.strip():
        raise SpecError("spec.type", f"{where}.{key} must be a non-empty string")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError("spec.type", f"{where} must be a finite number, got {value!r}")
    return float(value)


def _timestamp(value: Any) -> str:
    if not isinstance(value, str):
        raise SpecError("spec.created_at", "created_at must be an ISO 8601 string")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise SpecError("spec.created_at", f"created_at is not ISO 8601: {value!r}") from exc
    if parsed.tzinfo is None:
        raise SpecError("spec.created_at", "created_at must carry a time zone")
    return value


def _scaling(value: Any) -> Scaling:
    if not isinstance(value, Mapping):
        raise SpecError("spec.scaling", "scaling must be an object")
    _keys(value, {"pdo", "base_score", "base_odds"}, "scaling")
    pdo, base, odds = (_number(value[k], f"scaling.{k}") for k in ("pdo", "base_score", "base_odds"))
    if pdo <= 0 or odds <= 0:
        raise SpecError("spec.scaling", "scaling.pdo and scaling.base_odds must be positive")
    return Scaling(pdo=pdo, base_score=base, base_odds=odds)


def _bin(value: Any, where: str, extra: set[str]) -> Bin:
    if not isinstance(value, Mapping):
        raise SpecError("spec.bin", f"{where} must be an object")
    _keys(value, _BIN_KEYS | extra, where)
    bin_id = _text(value, "id", where)
    lower = upper = None
    categories: tuple[str, ...] = ()
    if "lower" in extra:
        lower = None if value["lower"] is None else _number(value["lower"], f"{where}.lower")
        upper = None if value["upper"] is None else _number(value["upper"], f"{where}.upper")
    if "categories" in extra:
        cats = value["categories"]
        if not isinstance(cats, list) or not cats or not all(isinstance(c, str) for c in cats):
            raise SpecError("spec.categories", f"{where}.categories must be a non-empty list of strings")
        categories = tuple(cats)
    return Bin(
        id=bin_id,
        points=_number(value["points"], f"{where}.points"),
        label_zh=_text(value, "label_zh", where),
        label_en=_text(value, "label_en", where),
        lower=lower,
        upper=upper,
        categories=categories,
    )


def _characteristic(value: Any, index: int) -> Characteristic:
    where = f"characteristics[{index}]"
    if not isinstance(value, Mapping):
        raise SpecError("spec.characteristic", f"{where} must be an object")
    kind = value.get("kind")
    if kind not in KINDS:
        raise SpecError("spec.kind", f"{where}.kind must be one of {', '.join(KINDS)}, got {kind!r}")
    _keys(value, _CHAR_KEYS | ({"unseen"} if kind == "categorical" else set()), where)
    code = _text(value, "field", where)
    where = f"characteristic {code!r}"
    raw_bins = value["bins"]
    if not isinstance(raw_bins, list) or not raw_bins:
        raise SpecError("spec.bins", f"{where}: bins must be a non-empty list")
    extra = {"lower", "upper"} if kind == "numeric" else {"categories"}
    bins = tuple(_bin(b, f"{where} bin {i}", extra) for i, b in enumerate(raw_bins))
    missing = _bin(value["missing"], f"{where} missing bin", set())
    ids = [b.id for b in bins]
    if len(set(ids)) != len(ids) or MISSING in ids:
        raise SpecError("spec.bin_ids", f"{where}: bin ids must be unique and not {MISSING!r}")
    if missing.id != MISSING:
        raise SpecError("spec.bin_ids", f"{where}: the missing bin's id must be {MISSING!r}")
    if kind == "numeric":
        _check_intervals(bins, where)
        unseen = None
    else:
        owner: dict[str, str] = {}
        for b in bins:
            for cat in b.categories:
                if cat in owner:
                    raise SpecError("spec.categories", f"{where}: category {cat!r} is in bins {owner[cat]} and {b.id}")
                owner[cat] = b.id
        unseen = value["unseen"]
        if unseen != MISSING and unseen not in ids:
            raise SpecError("spec.unseen", f"{where}: unseen must be {MISSING!r} or a bin id, got {unseen!r}")
    best = _number(value["best_points"], f"{where}.best_points")
    actual = max([b.points for b in bins] + [missing.points])
    if not math.isclose(best, actual, rel_tol=0, abs_tol=1e-9):
        raise SpecError("spec.best_points", f"{where}: best_points is {best}, the highest bin has {actual}")
    return Characteristic(
        field=code,
        kind=kind,
        label_zh=_text(value, "label_zh", where),
        label_en=_text(value, "label_en", where),
        bins=bins,
        missing=missing,
        best_points=best,
        unseen=unseen,
    )


def _check_intervals(bins: tuple[Bin, ...], where: str) -> None:
    if bins[0].lower is not None or bins[-1].upper is not None:
        raise SpecError("spec.intervals", f"{where}: the first bin must be unbounded below and the last unbounded above")
    for left, right in itertools.pairwise(bins):
        if left.upper is None or right.lower is None or left.upper != right.lower:
            raise SpecError("spec.intervals", f"{where}: bins {left.id} and {right.id} are not contiguous")
        if right.upper is not None and not right.lower < right.upper:
            raise SpecError("spec.intervals", f"{where}: bin {right.id} is empty or decreasing")


# Labels the trainer writes into each bin, so reasons read plainly in both languages ("逾期天数 ≥ 30").
def format_bound(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.6g}"
    return text if "e" not in text else f"{value:.6f}".rstrip("0").rstrip(".")


def numeric_labels(label_zh: str, label_en: str, lower: float | None, upper: float | None) -> tuple[str, str]:
    if lower is None and upper is None:
        return f"{label_zh}：任意值", f"{label_en}: any value"
    if lower is None:
        return f"{label_zh} < {format_bound(upper)}", f"{label_en} < {format_bound(upper)}"  # type: ignore[arg-type]
    if upper is None:
        return f"{label_zh} ≥ {format_bound(lower)}", f"{label_en} ≥ {format_bound(lower)}"
    lo, hi = format_bound(lower), format_bound(upper)
    return f"{lo} ≤ {label_zh} < {hi}", f"{lo} ≤ {label_en} < {hi}"


def categorical_labels(label_zh: str, label_en: str, categories: list[str], *, limit: int = 6) -> tuple[str, str]:
    shown = categories[:limit]
    more_zh = f" 等{len(categories)}项" if len(categories) > limit else ""
    more_en = f" and {len(categories) - limit} more" if len(categories) > limit else ""
    return f"{label_zh}为 {'、'.join(shown)}{more_zh}", f"{label_en} is {', '.join(shown)}{more_en}"


def missing_labels(label_zh: str, label_en: str) -> tuple[str, str]:
    return f"{label_zh}缺失或未知", f"{label_en} missing or unknown"
