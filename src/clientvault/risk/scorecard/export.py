"""Export a fitted optbinning ``Scorecard`` as a sealed spec, and prove the spec reproduces its points.

Works on the trainer's objects it is handed (their ``table``, ``binning_process_``, ``score``) without
importing the numeric stack itself. Bins are read exactly as the trainer applies them: numeric splits ->
half-open ``[lower, upper)`` intervals, categorical bins -> category lists, the table's last row -> the
missing bin (the row before it is the special bin, unused without special codes), and an unseen category ->
the missing bin, as ``Scorecard.score`` gives it (index -1 of the variable's points).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from clientvault.risk.scorecard import scoring
from clientvault.risk.scorecard import spec as specs
from clientvault.risk.scorecard.errors import TrainingError

if TYPE_CHECKING:
    from clientvault.risk.scorecard.training import Config, Prepared


def export_spec(
    card: Any,
    prep: Prepared,
    config: Config,
    *,
    model_id: str,
    version: str,
    labels: Mapping[str, tuple[str, str]] | None = None,
    metrics_: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The fitted scorecard as a sealed spec (spec.py): bins, points per bin, best points, labels."""
    table = card.table(style="detailed")
    characteristics = []
    for variable in map(str, card.binning_process_.get_support(names=True)):
        binning = card.binning_process_.get_binned_variable(variable)
        points = [float(p) for p in table[table["Variable"] == variable]["Points"]]
        zh, en = (labels or {}).get(variable, (variable, variable))
        bins: list[dict[str, Any]] = []
        if binning.dtype == "numerical":
            bounds = [None, *(float(s) for s in binning.splits), None]
            for i in range(len(bounds) - 1):
                lz, le = specs.numeric_labels(zh, en, bounds[i], bounds[i + 1])
                bins.append({"id": str(i), "lower": bounds[i], "upper": bounds[i + 1], "points": points[i], "label_zh": lz, "label_en": le})
        else:
            for i, members in enumerate(binning.splits):
                cats = [str(c) for c in members]
                lz, le = specs.categorical_labels(zh, en, cats)
                bins.append({"id": str(i), "categories": cats, "points": points[i], "label_zh": lz, "label_en": le})
        if len(points) != len(bins) + 2:  # bins, the (unused) special bin, the missing bin
            raise TrainingError("train.export", f"unexpected scorecard table for {variable}: {len(points)} rows for {len(bins)} bins")
        mz, me = specs.missing_labels(zh, en)
        entry: dict[str, Any] = {
            "field": variable,
            "kind": "numeric" if binning.dtype == "numerical" else "categorical",
            "label_zh": zh,
            "label_en": en,
            "bins": bins,
            "missing": {"id": specs.MISSING, "points": points[-1], "label_zh": mz, "label_en": me},
        }
        if entry["kind"] == "categorical":
            entry["unseen"] = specs.MISSING  # the trainer's Scorecard.score gives an unseen category the missing bin's points
        entry["best_points"] = max([b["points"] for b in bins] + [points[-1]])
        characteristics.append(entry)
    return specs.seal(
        {
            "format": specs.FORMAT, "model_id": model_id, "version": version,
            "created_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), "target": prep.target,
            "scaling": {"pdo": config.pdo, "base_score": config.base_score, "base_odds": config.base_odds},
            "intercept": float(card.intercept_), "characteristics": characteristics,
            "excluded_sensitive": sorted(c for c, r in prep.excluded.items() if r.startswith("sensitive")),
            "metrics": dict(metrics_ or {}),
        }
    )  # fmt: skip


def check_reproduces(card: Any, spec: specs.ScorecardSpec, X: Any, *, tolerance: float = 1e-6) -> float:
    """The largest gap between the trainer's points and the spec's on ``X``; raise if above ``tolerance``."""
    expected = card.score(X)
    rows = X.to_dict("records")
    worst = max((abs(scoring.score(spec, row).total - float(e)) for row, e in zip(rows, expected, strict=True)), default=0.0)
    if worst > tolerance:
        raise TrainingError("train.export_mismatch", f"the exported spec differs from the trainer by {worst} points")
    return worst
