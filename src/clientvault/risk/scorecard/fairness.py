"""Adverse impact ratio per group at the operating threshold (PIPL-24: automated decisions must be fair).

Approval means a score above the cut. A group's AIR is its approval rate over the approval rate of the most
approved group; below 0.8 (the four-fifths rule) it is flagged. Groups smaller than ``min_group`` are
reported but neither set the reference nor raise a flag: their rates are noise. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

FOUR_FIFTHS = 0.8


def adverse_impact(
    groups: Sequence[str], scores: Sequence[float], *, cut: float, min_group: int = 30, threshold: float = FOUR_FIFTHS
) -> dict[str, Any]:
    """The report for one sensitive column: per group n, approvals, approval rate, AIR and flag."""
    if len(groups) != len(scores):
        raise ValueError("groups and scores differ in length")
    counts: dict[str, list[int]] = {}
    for group, value in zip(groups, scores, strict=True):
        tally = counts.setdefault(group, [0, 0])
        tally[0] += 1
        tally[1] += value > cut
    rates = {g: a / n for g, (n, a) in counts.items()}
    eligible = [rates[g] for g, (n, _a) in counts.items() if n >= min_group]
    reference = max(eligible) if eligible else 0.0
    rows: dict[str, dict[str, Any]] = {}
    for group in sorted(counts):
        n, approved = counts[group]
        air = rates[group] / reference if reference > 0 else None
        small = n < min_group
        rows[group] = {
            "n": n,
            "approved": approved,
            "approval_rate": round(rates[group], 4),
            "air": None if air is None else round(air, 4),
            "small": small,
            "flagged": bool(not small and air is not None and air < threshold),
        }
    airs = [r["air"] for r in rows.values() if not r["small"] and r["air"] is not None]
    return {"groups": rows, "min_air": min(airs) if airs else None, "flagged": any(r["flagged"] for r in rows.values())}


def report(
    columns: Mapping[str, Sequence[str]], scores: Sequence[float], *, cut: float, cut_rule: str, min_group: int = 30
) -> dict[str, Any]:
    """The fairness report of a trained model: every sensitive column present, at one operating cut."""
    per_column = {name: adverse_impact(groups, scores, cut=cut, min_group=min_group) for name, groups in columns.items()}
    approved = sum(1 for s in scores if s > cut)
    return {
        "cut": round(cut, 4),
        "cut_rule": cut_rule,
        "approval_rate": round(approved / len(scores), 4) if scores else None,
        "threshold": FOUR_FIFTHS,
        "min_group": min_group,
        "columns": per_column,
        "flagged": any(c["flagged"] for c in per_column.values()),
    }
