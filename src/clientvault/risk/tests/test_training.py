"""The trainer: champion scorecard exported to a spec that reproduces its points exactly, cross-validated
against LightGBM and logistic regression, sensitive columns excluded, a fairness report with every model."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from clientvault.classification.catalogue import DEFAULTS
from clientvault.risk import synthetic
from clientvault.risk.scorecard import scoring
from clientvault.risk.scorecard import spec as specs

pytestmark = pytest.mark.usefixtures("training_stack")
CATALOGUE = [d.key for d in DEFAULTS if d.pipl_sensitive]


@pytest.fixture(scope="module")
def trained(training_stack: None) -> Any:
    import pandas as pd

    from clientvault.risk.scorecard import training

    frame = pd.DataFrame(synthetic.applicants(1500, seed=3))
    return training.train(frame, "bad", cv=3, labels=synthetic.LABELS, model_id="t", version="1", catalogue_keys=CATALOGUE)


def _fresh_rows(n: int) -> list[dict[str, Any]]:
    """New applicants with missing values and categories the trainer never saw."""
    rows = synthetic.applicants(n, seed=99)
    rng = random.Random(5)
    for i, row in enumerate(rows):
        if i % 5 == 0:
            row["industry"] = "未知行业"
        if i % 7 == 0:
            row["region"] = "火星"
        if rng.random() < 0.1:
            row[rng.choice(["utilisation", "days_overdue", "tenure_months", "income_band", "region"])] = None
    return rows


def test_the_spec_gives_exactly_the_trainers_points(trained: Any) -> None:
    import pandas as pd

    from clientvault.risk.scorecard import training

    spec = specs.load(trained.spec)
    rows = _fresh_rows(600)
    X = training.prepare(pd.DataFrame(rows), "bad", catalogue_keys=CATALOGUE).X[trained.prepared.features]
    expected = trained.card.score(X)
    missing = unseen = 0
    for row, want in zip(rows, expected, strict=True):
        got = scoring.score(spec, row)  # plain Python values: None for missing
        assert abs(got.total - float(want)) <= 1e-6
        missing += any(row[f] is None for f in spec.fields)
        unseen += row["industry"] == "未知行业" or row["region"] == "火星"
        # the points per characteristic are the trainer's own (optbinning's Scorecard.transform)
    per_char = trained.card.transform(X.iloc[:50])
    for i, row in enumerate(rows[:50]):
        got = scoring.score(spec, row)
        for field in spec.fields:
            assert abs(got.points[field] - float(per_char[field].iloc[i])) <= 1e-9
    assert missing > 50 and unseen > 150 and trained.max_abs_diff <= 1e-6
    for row in X.to_dict("records")[:100]:  # NaN from a data frame scores like None
        assert math.isfinite(scoring.score(spec, row).total)


def test_unseen_categories_take_the_trainers_missing_points(trained: Any) -> None:
    spec = specs.load(trained.spec)
    region = spec.characteristic("region")
    assert region.unseen == specs.MISSING
    assert scoring.score(spec, {"region": "火星"}).points["region"] == region.missing.points


def test_rounded_points_are_reproduced_too(trained: Any) -> None:
    from clientvault.risk.scorecard import training

    config = training.Config(rounding=True)
    card = training.fit_champion(trained.prepared, trained.prepared.X, trained.prepared.y, config)
    body = training.export_spec(card, trained.prepared, config, model_id="rounded", version="1")
    spec = specs.load(body)
    assert all(float(b.points).is_integer() for c in spec.characteristics for b in c.bins)
    assert training.check_reproduces(card, spec, trained.prepared.X) == 0.0


def test_cross_validation_reports_each_model(trained: Any) -> None:
    assert set(trained.cv) == {"champion", "challenger", "baseline"}
    for m in trained.cv.values():
        assert 0.6 < m["auc_mean"] < 1 and math.isclose(m["gini_mean"], 2 * m["auc_mean"] - 1, abs_tol=1e-5)
        assert 0 < m["ks_mean"] < 1 and len(m["folds"]) == 3 and m["auc_std"] >= 0
    assert trained.spec["metrics"]["cv"]["champion"]["auc_mean"] == trained.cv["champion"]["auc_mean"]


def test_sensitive_columns_are_excluded_and_reported_on(trained: Any) -> None:
    assert trained.prepared.excluded == {"sex": "sensitive: protected attribute", "age": "sensitive: protected attribute"}
    assert trained.spec["excluded_sensitive"] == ["age", "sex"]
    assert {"sex", "age"}.isdisjoint(c["field"] for c in trained.spec["characteristics"])
    fair = trained.fairness
    assert set(fair["columns"]) == {"sex", "age"} and set(fair["columns"]["sex"]["groups"]) == {"男", "女"}
    assert set(fair["columns"]["age"]["groups"]) <= {"<25", "25-34", "35-44", "45-54", "55+"}
    # sex and age have no effect in the generated data: the four-fifths rule holds
    assert not fair["flagged"] and fair["columns"]["sex"]["min_air"] > 0.85
    assert 0 < fair["approval_rate"] < 1 and fair["cut_rule"].startswith("score at the training population")


def test_any_table_with_a_target(training_stack: None) -> None:
    import pandas as pd

    from clientvault.risk.scorecard import training

    rng = random.Random(8)
    rows = []
    for i in range(400):
        x = rng.gauss(0, 1)
        outcome = "Y" if rng.random() < 1 / (1 + math.exp(-2 * x)) else "N"
        row = {"客户编号": f"C{i:05d}", "score_x": x if rng.random() > 0.1 else None, "flag": rng.random() < 0.5, "const": 1}
        rows.append({**row, "segment": rng.choice("ABC"), "id_number": str(rng.randrange(10**17)), "outcome": outcome})
    frame = pd.DataFrame(rows)
    prep = training.prepare(frame, "outcome", bad="Y", catalogue_keys=CATALOGUE)
    assert prep.numeric == ["score_x"] and prep.categorical == ["flag", "segment"]
    assert prep.excluded["const"] == "constant" and prep.excluded["客户编号"].startswith("identifier-like")
    assert prep.excluded["id_number"].startswith("sensitive: PIPL-sensitive in the field catalogue (customer.id_number)")
    result = training.train(frame, "outcome", bad="Y", cv=3, catalogue_keys=CATALOGUE)
    assert result.cv["champion"]["auc_mean"] > 0.7 and result.max_abs_diff <= 1e-6
    assert result.fairness["columns"] == {} and "id_number" in result.fairness["skipped"]  # no groups in an ID number
