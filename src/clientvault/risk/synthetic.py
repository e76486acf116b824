"""Generated credit applicants with a KNOWN structure, deterministic by seed (stdlib only).

The probability of going bad is a logistic function of utilisation, days overdue, tenure, income band,
region and whether utilisation is missing (``true_logit``); ``industry`` adds noise categories (a few rare
ones), and ``sex`` and ``age`` are drawn independently with NO effect on the outcome — a fair model must
neither need nor mimic them (the fairness report should find adverse impact ratios near 1).

Used by the tests, the benchmarks and ``clientvault risk demo-spec`` (the demo's shipped scorecard).
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

TARGET = "bad"
INCOME_BANDS = ("<5k", "5k-10k", "10k-20k", "20k-50k", "50k+")
INCOME_EFFECT = {"<5k": 0.7, "5k-10k": 0.35, "10k-20k": 0.0, "20k-50k": -0.35, "50k+": -0.7}
REGIONS = ("华东", "华北", "华南", "西部", "东北")
REGION_EFFECT = {"华东": -0.2, "华北": 0.0, "华南": -0.1, "西部": 0.3, "东北": 0.45}
INDUSTRIES = ("制造", "零售", "服务", "建筑", "科技", "农业", "矿业", "渔业")
INDUSTRY_WEIGHTS = (30, 25, 20, 12, 9, 2, 1, 1)
COLUMNS = ("utilisation", "days_overdue", "tenure_months", "income_band", "region", "industry", "sex", "age", TARGET)

# Labels for the demo scorecard's bins ("逾期天数 ≥ 30"): the field catalogue's style, zh and en.
LABELS: dict[str, tuple[str, str]] = {
    "utilisation": ("额度使用率", "Credit utilisation"),
    "days_overdue": ("逾期天数", "Days overdue"),
    "tenure_months": ("往来月数", "Months as a customer"),
    "income_band": ("月收入区间", "Monthly income band"),
    "region": ("所在地区", "Region"),
    "industry": ("所属行业", "Industry"),
}


def true_logit(row: Mapping[str, Any]) -> float:
    """The ground truth: log-odds of going bad (sex and age play no part)."""
    util = row["utilisation"]
    logit: float = -2.6
    logit += 0.6 if util is None else 3.2 * (min(util, 1.2) - 0.45)
    days = row["days_overdue"]
    logit += 0.25 if days is None else 0.045 * min(days, 90)
    logit -= 0.008 * row["tenure_months"]
    band = row["income_band"]
    logit += 0.2 if band is None else INCOME_EFFECT[band]
    logit += REGION_EFFECT[row["region"]]
    return logit


def applicants(n: int, *, seed: int = 16) -> list[dict[str, Any]]:
    """``n`` applicants (dicts of COLUMNS; None = missing) with outcomes drawn from ``true_logit``."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for _ in range(n):
        util: float | None = round(min(rng.betavariate(2.0, 3.0) * 1.3, 1.25), 4)
        if rng.random() < 0.06:
            util = None
        days: int | None = 0 if rng.random() < 0.72 else int(rng.expovariate(1 / 25))
        if rng.random() < 0.03:
            days = None
        band: str | None = rng.choices(INCOME_BANDS, weights=(15, 30, 30, 18, 7))[0]
        if rng.random() < 0.08:
            band = None
        row: dict[str, Any] = {
            "utilisation": util,
            "days_overdue": days,
            "tenure_months": rng.randint(1, 240),
            "income_band": band,
            "region": rng.choices(REGIONS, weights=(30, 25, 20, 15, 10))[0],
            "industry": rng.choices(INDUSTRIES, weights=INDUSTRY_WEIGHTS)[0],
            "sex": rng.choice(("男", "女")),
            "age": rng.randint(20, 70),
        }
        row[TARGET] = 1 if rng.random() < 1 / (1 + math.exp(-true_logit(row))) else 0
        rows.append(row)
    return rows


def write_csv(path: str | Path, rows: Iterable[Mapping[str, Any]], *, columns: Iterable[str] = COLUMNS, bom: bool = False) -> Path:
    """Write rows as CSV (missing values as empty cells), optionally with a UTF-8 byte-order mark."""
    target = Path(path)
    with target.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return target
