"""The scorecard spec: sealed, versioned, validated strictly with a stable error code for each defect."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from clientvault.risk.scorecard import scoring
from clientvault.risk.scorecard import spec as specs
from clientvault.risk.tests.helpers import body, unsealed

DEMO = Path(__file__).resolve().parents[1] / "data"


def test_a_sealed_spec_loads_into_dataclasses() -> None:
    spec = specs.load(body())
    assert spec.model_id == "test-card" and spec.version == "7" and spec.fields == ("days_overdue", "region")
    days = spec.characteristic("days_overdue")
    assert days.kind == "numeric" and [b.upper for b in days.bins] == [1.0, 30.0, None] and days.best_points == 120.0
    region = spec.characteristic("region")
    assert region.bins[0].categories == ("华东", "华南") and region.unseen == specs.MISSING
    assert spec.digest.startswith("sha256:") and spec.scaling.base_odds == 50.0


def test_dump_and_load_round_trip_keeps_the_digest(tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    specs.dump(specs.load(body()), path)
    assert specs.load(path).digest == body()["digest"]
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # a BOM from a Windows editor is tolerated
    assert specs.load(path).model_id == "test-card"


def test_an_edited_spec_no_longer_loads() -> None:
    doc = body()
    doc["characteristics"][0]["bins"][2]["points"] = 99.0
    doc["characteristics"][0]["best_points"] = 120.0
    with pytest.raises(specs.SpecError) as err:
        specs.load(doc)
    assert err.value.code == "spec.digest_mismatch"


def _bins(doc: dict[str, Any], index: int = 0) -> list[Any]:
    bins: list[Any] = doc["characteristics"][index]["bins"]
    return bins


def _mutations() -> list[tuple[str, object]]:
    def gap(doc: dict[str, Any]) -> None:
        _bins(doc)[1]["lower"] = 2.0

    def unbounded(doc: dict[str, Any]) -> None:
        _bins(doc)[0]["lower"] = 0.0

    def empty_bin(doc: dict[str, Any]) -> None:
        _bins(doc)[1]["upper"] = 1.0
        _bins(doc)[2]["lower"] = 1.0

    def overlap(doc: dict[str, Any]) -> None:
        _bins(doc, 1)[1]["categories"] = ["华东"]

    def unseen(doc: dict[str, Any]) -> None:
        doc["characteristics"][1]["unseen"] = "9"

    def best(doc: dict[str, Any]) -> None:
        doc["characteristics"][0]["best_points"] = 100.0

    def kind(doc: dict[str, Any]) -> None:
        doc["characteristics"][0]["kind"] = "ordinal"

    def numeric_unseen(doc: dict[str, Any]) -> None:
        doc["characteristics"][0]["unseen"] = "missing"

    def duplicate(doc: dict[str, Any]) -> None:
        doc["characteristics"][1]["field"] = "days_overdue"

    def bin_ids(doc: dict[str, Any]) -> None:
        _bins(doc)[1]["id"] = "0"

    def missing_id(doc: dict[str, Any]) -> None:
        doc["characteristics"][0]["missing"]["id"] = "none"

    def points(doc: dict[str, Any]) -> None:
        _bins(doc)[0]["points"] = "120"

    def boolean(doc: dict[str, Any]) -> None:
        _bins(doc)[0]["points"] = True

    def no_label(doc: dict[str, Any]) -> None:
        del _bins(doc)[0]["label_zh"]

    def extra(doc: dict[str, Any]) -> None:
        doc["comment"] = "hi"

    def scaling(doc: dict[str, Any]) -> None:
        doc["scaling"]["pdo"] = 0

    def created(doc: dict[str, Any]) -> None:
        doc["created_at"] = "2025-06-01T08:00:00"

    def categories(doc: dict[str, Any]) -> None:
        _bins(doc, 1)[0]["categories"] = []

    def no_chars(doc: dict[str, Any]) -> None:
        doc["characteristics"] = []

    return [
        ("spec.intervals", gap), ("spec.intervals", unbounded), ("spec.intervals", empty_bin), ("spec.categories", overlap),
        ("spec.unseen", unseen), ("spec.best_points", best), ("spec.kind", kind), ("spec.unknown_key", numeric_unseen),
        ("spec.duplicate_field", duplicate), ("spec.bin_ids", bin_ids), ("spec.bin_ids", missing_id), ("spec.type", points),
        ("spec.type", boolean), ("spec.missing_key", no_label), ("spec.unknown_key", extra), ("spec.scaling", scaling),
        ("spec.created_at", created), ("spec.categories", categories), ("spec.characteristics", no_chars),
    ]  # fmt: skip


@pytest.mark.parametrize(("code", "mutate"), _mutations())
def test_a_malformed_spec_is_refused_with_its_code(code: str, mutate) -> None:
    doc = copy.deepcopy(unsealed())
    mutate(doc)
    doc["digest"] = specs.digest_of(doc)  # sealed after the edit: the structure itself must be refused
    with pytest.raises(specs.SpecError) as err:
        specs.load(doc)
    assert err.value.code == code, err.value.message


def test_format_files_and_json_are_checked(tmp_path: Path) -> None:
    for doc, code in (({**unsealed(), "format": "clientvault.scorecard/2"}, "spec.format"), ([1, 2], "spec.not_object")):
        with pytest.raises(specs.SpecError) as err:
            specs.load(doc)  # type: ignore[arg-type]
        assert err.value.code == code
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "clientvault.scorecard/1",', encoding="utf-8")
    nan = tmp_path / "nan.json"
    nan.write_text(json.dumps(unsealed()).replace('"intercept": 0.0', '"intercept": NaN'), encoding="utf-8")
    for path, code in ((broken, "spec.not_json"), (nan, "spec.not_json"), (tmp_path / "absent.json", "spec.unreadable")):
        with pytest.raises(specs.SpecError) as err:
            specs.load(path)
        assert err.value.code == code
    with pytest.raises(specs.SpecError) as err:
        specs.load({**unsealed(), "digest": "md5:abc"})
    assert err.value.code == "spec.digest"


def test_labels_read_plainly() -> None:
    assert specs.numeric_labels("逾期天数", "Days overdue", 30.0, None) == ("逾期天数 ≥ 30", "Days overdue ≥ 30")
    assert specs.numeric_labels("使用率", "Use", None, 0.30455) == ("使用率 < 0.30455", "Use < 0.30455")
    assert specs.numeric_labels("x", "x", 1.5, 2.0) == ("1.5 ≤ x < 2", "1.5 ≤ x < 2")
    assert specs.numeric_labels("x", "x", None, None)[1] == "x: any value"
    zh, en = specs.categorical_labels("地区", "Region", [f"r{i}" for i in range(8)])
    assert zh.endswith("等8项") and en.endswith("and 2 more")
    assert specs.format_bound(1234567.0) == "1234567" and specs.format_bound(0.000012345) == "0.000012"


def test_the_demo_scorecard_loads_and_scores() -> None:
    spec = specs.load(DEMO / "demo_scorecard.json")
    tiers = scoring.TierPolicy.from_dict(json.loads((DEMO / "demo_tier_policy.json").read_text(encoding="utf-8")))
    assert spec.model_id == tiers.model_id == "demo-retail-scorecard"
    assert {"sex", "age"} <= set(spec.excluded_sensitive) and "sex" not in spec.fields and "age" not in spec.fields
    good = scoring.score(
        spec, {"utilisation": 0.1, "days_overdue": 0, "tenure_months": 230, "income_band": "50k+", "region": "华东"}, tiers=tiers
    )
    poor = scoring.score(
        spec, {"utilisation": 1.1, "days_overdue": 90, "tenure_months": 3, "income_band": "<5k", "region": "东北"}, tiers=tiers
    )
    assert good.total > poor.total and good.tier == scoring.LOW and poor.tier == scoring.HIGH
    assert poor.reasons and all(r.shortfall > 0 for r in poor.reasons)
    assert spec.metrics["cv"]["champion"]["auc_mean"] > 0.7
