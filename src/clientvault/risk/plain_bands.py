"""Scorecard bands in the words a customer reads (PIPL-24): "额度使用率在 39% 至 51% 之间", not "0.39455 ≤ 额度使用率 < 0.50685".

The spec's own bin labels are exact but written for analysts (half-open intervals with the trainer's split points).
For the inputs whose unit clientvault knows (``UNITS``: what ``risk/features.scorecard_inputs`` computes) the portal
says the band in that unit instead: a share as a whole percentage, months and days as whole numbers (an input that is
a whole number with a split at 98.5 is at least 99); regions and industries, Chinese category values, are named in
English for English readers. Any other characteristic keeps the spec's label.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from clientvault.risk.scorecard import spec as specs

UNITS = {"utilisation": "percent", "tenure_months": "months", "days_overdue": "days"}
# The Chinese category values ``features.scorecard_inputs`` gives (regions, industries), in English for English readers.
CATEGORIES_EN = {
    "region": {"华东": "East China", "华北": "North China", "华南": "South China", "西部": "Western China", "东北": "Northeast China"},
    "industry": {
        "制造": "manufacturing", "零售": "retail", "服务": "services", "建筑": "construction", "科技": "technology",
        "农业": "agriculture", "矿业": "mining", "渔业": "fishery",
    },
}  # fmt: skip


def _percent(value: float, rounding: Callable[[float], int]) -> str:
    """A share as a percentage to one decimal (".0" dropped), rounded outward so the sentence stays true: a lower bound
    down ("at least 39.4%" for 39.455%), an upper bound up ("below 39.5%")."""
    tenths = rounding(round(value * 1000, 6))
    return f"{tenths // 10}%" if tenths % 10 == 0 else f"{tenths / 10:.1f}%"


def _bounds(unit: str, lower: float | None, upper: float | None) -> tuple[str | None, str | None]:
    """The band's least and greatest value in the unit (inclusive for whole numbers), as text; None: unbounded."""
    if unit == "percent":
        low = _percent(lower, math.floor) if lower is not None else None
        return low, (_percent(upper, math.ceil) if upper is not None else None)
    low = str(max(0, math.ceil(lower))) if lower is not None else None
    high = str(math.ceil(upper) - 1) if upper is not None else None
    return low, high


def band_labels(field: str, characteristic_zh: str, characteristic_en: str, band: specs.Bin) -> tuple[str, str] | None:
    """(zh, en) for ``band`` of a numeric characteristic whose unit is known; None: keep the spec's label."""
    if band.categories:
        names = CATEGORIES_EN.get(field)
        if names is None:
            return None
        return band.label_zh, f"{characteristic_en} is {', '.join(names.get(c, c) for c in band.categories)}"
    unit = UNITS.get(field)
    if unit is None or (band.lower is None and band.upper is None):
        return None
    low, high = _bounds(unit, band.lower, band.upper)
    zh_unit = {"months": " 个月", "days": " 天"}.get(unit, "")
    en_unit = {"months": " months", "days": " days"}.get(unit, "")
    if unit == "percent":  # a share is continuous: "below", "from … to under", "at least"
        if low is None:
            return f"{characteristic_zh}低于 {high}", f"{characteristic_en} below {high}"
        if high is None:
            return f"{characteristic_zh}不低于 {low}", f"{characteristic_en} at least {low}"
        return f"{characteristic_zh}在 {low} 至 {high} 之间", f"{characteristic_en} between {low} and {high}"
    if high is None:
        if low is None or low == "0":  # from nothing up: says nothing a reader could use
            return None
        return f"{characteristic_zh}至少 {low}{zh_unit}", f"{characteristic_en}: at least {low}{en_unit}"
    if low is None or low == "0":
        return f"{characteristic_zh}不超过 {high}{zh_unit}", f"{characteristic_en}: at most {high}{en_unit}"
    if low == high:
        return f"{characteristic_zh}为 {low}{zh_unit}", f"{characteristic_en}: {low}{en_unit}"
    return f"{characteristic_zh}为 {low} 至 {high}{zh_unit}", f"{characteristic_en}: {low} to {high}{en_unit}"
