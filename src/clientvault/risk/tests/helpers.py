"""A small hand-written scorecard spec for the scoring and spec tests (no trainer needed)."""

from __future__ import annotations

from typing import Any

from clientvault.risk.scorecard import spec as specs


def body(**overrides: Any) -> dict[str, Any]:
    """Two characteristics: days overdue (numeric, 3 bins) and region (categorical, 2 bins)."""
    doc: dict[str, Any] = {
        "format": specs.FORMAT,
        "model_id": "test-card",
        "version": "7",
        "created_at": "2025-06-01T08:00:00+00:00",
        "target": "bad",
        "scaling": {"pdo": 20, "base_score": 600, "base_odds": 50},
        "intercept": 0.0,
        "characteristics": [
            {
                "field": "days_overdue",
                "kind": "numeric",
                "label_zh": "逾期天数",
                "label_en": "Days overdue",
                "bins": [
                    {"id": "0", "lower": None, "upper": 1.0, "points": 120.0, "label_zh": "逾期天数 < 1", "label_en": "Days overdue < 1"},
                    {
                        "id": "1",
                        "lower": 1.0,
                        "upper": 30.0,
                        "points": 90.5,
                        "label_zh": "1 ≤ 逾期天数 < 30",
                        "label_en": "1 ≤ Days overdue < 30",
                    },
                    {
                        "id": "2",
                        "lower": 30.0,
                        "upper": None,
                        "points": 40.25,
                        "label_zh": "逾期天数 ≥ 30",
                        "label_en": "Days overdue ≥ 30",
                    },
                ],
                "missing": {
                    "id": "missing",
                    "points": 80.0,
                    "label_zh": "逾期天数缺失或未知",
                    "label_en": "Days overdue missing or unknown",
                },
                "best_points": 120.0,
            },
            {
                "field": "region",
                "kind": "categorical",
                "label_zh": "所在地区",
                "label_en": "Region",
                "bins": [
                    {
                        "id": "0",
                        "categories": ["华东", "华南"],
                        "points": 100.0,
                        "label_zh": "所在地区为 华东、华南",
                        "label_en": "Region is 华东, 华南",
                    },
                    {"id": "1", "categories": ["东北"], "points": 70.0, "label_zh": "所在地区为 东北", "label_en": "Region is 东北"},
                ],
                "missing": {"id": "missing", "points": 85.0, "label_zh": "所在地区缺失或未知", "label_en": "Region missing or unknown"},
                "unseen": "missing",
                "best_points": 100.0,
            },
        ],
        "excluded_sensitive": ["sex"],
        "metrics": {"rows": 1000},
    }
    doc.update(overrides)
    return specs.seal(doc)


def unsealed(**overrides: Any) -> dict[str, Any]:
    """The body with overrides and a freshly computed digest, NOT validated (for the malformed-spec tests)."""
    doc = {k: v for k, v in body().items() if k != "digest"}
    doc.update(overrides)
    doc["digest"] = specs.digest_of(doc)
    return doc
