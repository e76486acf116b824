"""The installed scorecards, for explaining a stored score (PIPL-24): its characteristics' labels and its reason codes'
plain-language texts in Chinese and English come from the spec that made it.

The spec in force is the setting ``CLIENTVAULT_RISK_SCORECARD`` (a path; default: the demo scorecard shipped in
``risk/data/demo_scorecard.json``). A score records its spec's digest: a score made by a spec that is no longer installed
still shows its codes and points, without texts — never another spec's texts.
"""

from __future__ import annotations

import functools
from pathlib import Path

from django.conf import settings

from clientvault.risk.scorecard import spec as specs
from clientvault.risk.scorecard.scoring import ScoringError, reason_text
from clientvault.risk.scorecard.spec import ScorecardSpec

DEMO = Path(__file__).resolve().parent / "data" / "demo_scorecard.json"


def configured_path() -> Path:
    return Path(getattr(settings, "CLIENTVAULT_RISK_SCORECARD", "") or DEMO)


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> ScorecardSpec | None:
    try:
        return specs.load(path)
    except specs.SpecError:
        return None


def installed() -> list[ScorecardSpec]:
    """The configured scorecard and the shipped demo one (when they differ), as loaded; unreadable ones left out."""
    found = []
    for path in dict.fromkeys([configured_path(), DEMO]):
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        spec = _load(str(path), mtime)
        if spec is not None:
            found.append(spec)
    return found


def bare(digest: str) -> str:
    """The digest's hex: a spec says "sha256:<hex>" (71 characters), ``CreditScore.spec_digest`` holds 64."""
    return digest.removeprefix("sha256:")


def spec_for(digest: str) -> ScorecardSpec | None:
    """The installed spec with this digest (the one that made a score; with or without the "sha256:" prefix), or None."""
    wanted = bare(digest)
    return next((s for s in installed() if bare(s.digest) == wanted), None)


def labels(spec: ScorecardSpec | None, field_code: str, bin_id: str, *, english: bool) -> tuple[str, str, float | None]:
    """(characteristic label, bin label, best points) in the reader's language; the codes when the spec is unknown."""
    if spec is None:
        return field_code, bin_id, None
    try:
        characteristic = spec.characteristic(field_code)
    except KeyError:
        return field_code, bin_id, None
    try:
        chosen = characteristic.bin(bin_id)
        bin_label = chosen.label_en if english else chosen.label_zh
    except KeyError:
        bin_label = bin_id
    return (characteristic.label_en if english else characteristic.label_zh), bin_label, characteristic.best_points


def reason(spec: ScorecardSpec | None, code: str) -> dict[str, str]:
    """The reason code's texts ({"zh", "en"}); empty when the spec that made the score is not installed."""
    if spec is None:
        return {}
    try:
        return reason_text(spec, code)
    except ScoringError:
        return {}
