"""Train scorecards (the optional ``risk`` extra: optbinning, scikit-learn, LightGBM, pandas — imported lazily).

Champion: optbinning ``BinningProcess`` (monotonic trends on numeric features) -> ``LogisticRegression`` ->
``Scorecard`` with PDO scaling, exported as a spec that ``scoring.score`` reproduces to the point (checked
on every training row before the spec is returned). Challenger: ``LGBMClassifier``. Baseline: logistic
regression on median/constant-imputed, scaled and one-hot features. ``cross_validate`` gives AUC, Gini
(2·AUC−1) and KS per model over stratified folds. Sensitive attributes are excluded by default (sensitive.py)
and a fairness report (fairness.py) comes with every trained model (PIPL-24).

Only this module and the ``risk`` management command import the numeric stack (risk/tests/test_layering.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clientvault.risk.scorecard import fairness, sensitive
from clientvault.risk.scorecard import spec as specs
from clientvault.risk.scorecard.errors import TrainingError as TrainingError
from clientvault.risk.scorecard.export import check_reproduces as check_reproduces
from clientvault.risk.scorecard.export import export_spec as export_spec

MODELS = ("champion", "challenger", "baseline")


@dataclass(frozen=True)
class Config:
    pdo: float = 20.0
    base_score: float = 600.0
    base_odds: float = 50.0
    max_n_bins: int = 10
    min_bin_size: float = 0.03
    rounding: bool = False
    seed: int = 16
    n_jobs: int = 1


@dataclass
class Prepared:
    """The training table after the checks: features X, outcome y (1 = bad) and what was left out, and why."""

    X: Any
    y: Any
    target: str
    bad: str
    numeric: list[str]
    categorical: list[str]
    sensitive: dict[str, Any]  # column -> its values (kept for the fairness report only)
    excluded: dict[str, str] = field(default_factory=dict)  # column -> reason
    catalogue_source: str = ""

    @property
    def features(self) -> list[str]:
        return self.numeric + self.categorical


def read_csv(path: str | Path) -> Any:
    """A UTF-8 (or UTF-8-BOM) CSV as a data frame; ``TrainingError`` for a missing, empty or non-CSV file."""
    import pandas as pd

    source = Path(path)
    if not source.is_file():
        raise TrainingError("train.no_file", f"no such file: {source}")
    raw = source.read_bytes()
    if not raw.strip():
        raise TrainingError("train.empty", f"{source} is empty")
    if b"\x00" in raw[:4096]:
        raise TrainingError("train.not_csv", f"{source} is a binary file, not a CSV")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TrainingError("train.encoding", f"{source} is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV") from None
    try:
        delimiter = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise TrainingError("train.not_csv", f"{source} could not be read as CSV: {str(exc).strip()}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise TrainingError("train.empty", f"{source} has a header but no rows")
    return frame


def _norm(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def prepare(
    frame: Any,
    target: str,
    *,
    bad: str | None = None,
    exclude: Iterable[str] = (),
    allow_sensitive: Iterable[str] = (),
    catalogue_keys: Iterable[str] | None = None,
) -> Prepared:
    """Check the table and split it into features, outcome and excluded columns (see the module docstring)."""
    import pandas as pd

    if target not in frame.columns:
        raise TrainingError("train.no_target", f"no column {target!r}; the columns are: {', '.join(map(str, frame.columns))}")
    frame = frame[frame[target].notna()]
    labels = frame[target].map(_norm)
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise TrainingError(
            "train.one_class", f"{target!r} has one class only ({', '.join(classes) or 'no values'}): nothing to tell apart"
        )
    if bad is None:
        lowered = {c.lower() for c in classes}
        bad = next((b for b in ("1", "true", "yes", "bad") if b in lowered and len(lowered) == 2), None)
        if bad is None:
            raise TrainingError(
                "train.bad_value", f"say which value of {target!r} is bad (--bad); its values are: {', '.join(classes[:10])}"
            )
        y = (labels.str.lower() == bad).astype(int).to_numpy()
    else:
        y = (labels == _norm(bad)).astype(int).to_numpy()
    if y.min() == y.max():
        raise TrainingError("train.one_class", f"{target!r} has one class only ({'all bad' if y.min() else 'no bad value ' + repr(bad)})")
    source = "given"
    if catalogue_keys is None:
        catalogue_keys, source = sensitive.catalogue_fields()
    excluded: dict[str, str] = {c: "excluded by request" for c in exclude if c in frame.columns and c != target}
    missing_excludes = [c for c in exclude if c not in frame.columns]
    if missing_excludes:
        raise TrainingError("train.no_column", f"cannot exclude unknown column(s): {', '.join(missing_excludes)}")
    flagged = sensitive.sensitive_columns([c for c in frame.columns if c != target], catalogue_keys)
    allowed = set(allow_sensitive)
    sensitive_values = {c: frame[c] for c in flagged}
    for column, reason in flagged.items():
        if column not in allowed:
            excluded[column] = f"sensitive: {reason}"
    numeric: list[str] = []
    categorical: list[str] = []
    X = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        if column == target or column in excluded:
            continue
        values = frame[column]
        distinct = values.nunique(dropna=True)
        if distinct == 0:
            excluded[column] = "empty"
        elif distinct == 1:
            excluded[column] = "constant"
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            X[column] = values.astype(float)
            numeric.append(column)
        elif distinct > 50 and distinct > 0.5 * values.notna().sum():
            excluded[column] = "identifier-like (mostly distinct text)"
        else:
            X[column] = values.map(lambda v: v if v is None or (isinstance(v, float) and math.isnan(v)) else _norm(v)).astype(object)
            categorical.append(column)
    if not numeric and not categorical:
        raise TrainingError("train.no_features", "no usable feature column is left after the exclusions")
    X = X[numeric + categorical].reset_index(drop=True)
    sensitive_values = {c: v.reset_index(drop=True) for c, v in sensitive_values.items()}
    return Prepared(X, y, target, bad, numeric, categorical, sensitive_values, excluded, source)


def fit_champion(prep: Prepared, X: Any, y: Any, config: Config) -> Any:
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    process = BinningProcess(
        variable_names=prep.features,
        categorical_variables=prep.categorical or None,
        max_n_bins=config.max_n_bins,
        min_bin_size=config.min_bin_size,
        # Numeric risk drivers in credit are monotonic (more overdue days, more risk): ascending or descending.
        binning_fit_params={c: {"monotonic_trend": "auto_asc_desc"} for c in prep.numeric},
    )
    card = Scorecard(
        binning_process=process,
        estimator=LogisticRegression(max_iter=2000),
        scaling_method="pdo_odds",
        scaling_method_params={"pdo": config.pdo, "odds": config.base_odds, "scorecard_points": config.base_score},
        rounding=config.rounding,
    )
    with warnings.catch_warnings():  # optbinning's own pandas deprecations: not ours to act on
        warnings.filterwarnings("ignore", module=r"optbinning\.")
        return card.fit(X, y, metric_special="empirical", metric_missing="empirical")


def _lgbm_frame(prep: Prepared, X: Any, categories: Mapping[str, Any]) -> Any:
    import pandas as pd

    out = X.copy()
    for column in prep.categorical:
        out[column] = pd.Categorical(out[column], categories=categories[column])
    return out


def fit_challenger(prep: Prepared, X: Any, y: Any, config: Config) -> Any:
    from lightgbm import LGBMClassifier

    categories = {c: sorted(X[c].dropna().unique()) for c in prep.categorical}
    model = LGBMClassifier(
        n_estimators=250, learning_rate=0.03, num_leaves=7, min_child_samples=80, subsample=0.8, subsample_freq=1,
        colsample_bytree=0.8, reg_lambda=5.0, random_state=config.seed, n_jobs=config.n_jobs, verbose=-1,
    )  # fmt: skip
    model.fit(_lgbm_frame(prep, X, categories), y)

    def risk(frame: Any) -> Any:
        probabilities: Any = model.predict_proba(_lgbm_frame(prep, frame, categories))
        return probabilities[:, 1]

    return risk


def fit_baseline(prep: Prepared, X: Any, y: Any, config: Config) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    parts: list[tuple[str, Any, list[str]]] = []
    if prep.numeric:
        parts.append(
            ("num", Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True)), ("scale", StandardScaler())]), prep.numeric)
        )
    if prep.categorical:
        encode = Pipeline(
            [("impute", SimpleImputer(strategy="constant", fill_value="(missing)")), ("onehot", OneHotEncoder(handle_unknown="ignore"))]
        )
        parts.append(("cat", encode, prep.categorical))
    model = Pipeline([("features", ColumnTransformer(parts)), ("lr", LogisticRegression(max_iter=2000))]).fit(X, y)
    return lambda frame: model.predict_proba(frame)[:, 1]


def metrics(y: Any, risk: Any) -> dict[str, float]:
    """AUC, Gini (2·AUC−1) and KS (the largest gap between the cumulative bad and good shares) of a risk score."""
    from sklearn.metrics import roc_auc_score, roc_curve

    auc = float(roc_auc_score(y, risk))
    fpr, tpr, _ = roc_curve(y, risk)
    return {"auc": auc, "gini": 2 * auc - 1, "ks": float((tpr - fpr).max())}


def _risk_of(model_name: str, prep: Prepared, X: Any, y: Any, config: Config) -> Any:
    if model_name == "champion":
        card = fit_champion(prep, X, y, config)
        return lambda frame: -card.score(frame)  # a higher score is a lower risk
    return (fit_challenger if model_name == "challenger" else fit_baseline)(prep, X, y, config)


def cross_validate(
    frame: Any,
    target: str,
    bad: str | None = None,
    cv: int = 5,
    *,
    config: Config | None = None,
    prep: Prepared | None = None,
    **options: Any,
) -> dict[str, dict[str, Any]]:
    """Mean and standard deviation of AUC, Gini and KS per model over ``cv`` stratified folds."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    config = config or Config()
    prep = prep or prepare(frame, target, bad=bad, **options)
    smallest = int(min(prep.y.sum(), len(prep.y) - prep.y.sum()))
    if cv < 2 or cv > smallest:
        raise TrainingError("train.folds", f"--cv must be between 2 and {smallest} (rows of the rarer class), got {cv}")
    folds = list(StratifiedKFold(n_splits=cv, shuffle=True, random_state=config.seed).split(prep.X, prep.y))
    result: dict[str, dict[str, Any]] = {}
    for name in MODELS:
        per_fold = []
        for train_idx, test_idx in folds:
            risk = _risk_of(name, prep, prep.X.iloc[train_idx], prep.y[train_idx], config)
            per_fold.append(metrics(prep.y[test_idx], risk(prep.X.iloc[test_idx])))
        summary: dict[str, Any] = {}
        for key in ("auc", "gini", "ks"):
            values = np.array([f[key] for f in per_fold])
            summary[f"{key}_mean"] = round(float(values.mean()), 6)
            summary[f"{key}_std"] = round(float(values.std(ddof=1)), 6)
        summary["folds"] = [{k: round(v, 6) for k, v in f.items()} for f in per_fold]
        result[name] = summary
    return result


def _groups(column: str, values: Any) -> list[str]:
    """Group labels for the fairness report: age bands for ages and birth dates, quartiles for other numbers."""
    import pandas as pd

    name = sensitive.normalise(column)
    if name in sensitive.BIRTH_LIKE:
        parsed = pd.to_datetime(values.astype(str), errors="coerce", format="mixed")
        years = pd.to_numeric(values, errors="coerce") if parsed.notna().mean() < 0.9 else parsed.dt.year
        values, name = dt.datetime.now(dt.UTC).year - years, "age"
    if name in sensitive.AGE_LIKE and pd.api.types.is_numeric_dtype(values):
        bands = pd.cut(values, [-math.inf, 25, 35, 45, 55, math.inf], right=False, labels=["<25", "25-34", "35-44", "45-54", "55+"])
        return [str(b) if isinstance(b, str) else "(missing)" for b in bands]
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > 10:
        bands = pd.qcut(values, 4, duplicates="drop").astype(str)
        return ["(missing)" if b == "nan" else b for b in bands]
    return ["(missing)" if pd.isna(v) else _norm(v) for v in values]


def fairness_report(prep: Prepared, scores: Any, spec_scaling: specs.Scaling, cut: float | None = None) -> dict[str, Any]:
    """AIR per group of every sensitive column in the data, at ``cut`` (default: the population's odds)."""
    if cut is None:
        bad_rate = float(prep.y.mean())
        cut = spec_scaling.score_at_odds((1 - bad_rate) / bad_rate)
        rule = f"score at the training population's good:bad odds ({(1 - bad_rate) / bad_rate:.3f})"
    else:
        rule = "given"
    columns = {c: _groups(c, v) for c, v in prep.sensitive.items()}
    # A column with more than 20 groups (an ID number, a bank card) defines no group to compare: left out, said so.
    skipped = {c: "more than 20 distinct values: no groups to compare" for c, g in columns.items() if len(set(g)) > 20}
    kept = {c: g for c, g in columns.items() if c not in skipped}
    return {**fairness.report(kept, [float(s) for s in scores], cut=cut, cut_rule=rule), "skipped": skipped}


@dataclass
class Trained:
    spec: dict[str, Any]
    cv: dict[str, dict[str, Any]]
    fairness: dict[str, Any]
    prepared: Prepared
    card: Any
    max_abs_diff: float


def train(frame: Any, target: str, *, bad: str | None = None, cv: int = 5, config: Config | None = None, model_id: str | None = None,
          version: str | None = None, labels: Mapping[str, tuple[str, str]] | None = None, cut: float | None = None,
          **options: Any) -> Trained:  # fmt: skip
    """Cross-validate the three models, fit the champion on every row, export its spec and its fairness report."""
    config = config or Config()
    prep = prepare(frame, target, bad=bad, **options)
    cv_result = cross_validate(frame, target, cv=cv, config=config, prep=prep)
    card = fit_champion(prep, prep.X, prep.y, config)
    scaling = specs.Scaling(config.pdo, config.base_score, config.base_odds)
    report = fairness_report(prep, card.score(prep.X), scaling, cut)
    summary = {name: {k: v for k, v in m.items() if k != "folds"} for name, m in cv_result.items()}
    trained_metrics = {
        "rows": len(prep.y),
        "bad_rate": round(float(prep.y.mean()), 6),
        "bad_value": prep.bad,
        "cv_folds": cv,
        "cv": summary,
        "fairness": report,
        "excluded": prep.excluded,
        "sensitive_included": sorted(set(prep.sensitive) - set(prep.excluded)),
    }
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d.%H%M%S")
    body = export_spec(
        card, prep, config, model_id=model_id or f"scorecard-{target}", version=version or stamp, labels=labels, metrics_=trained_metrics
    )
    worst = check_reproduces(card, specs.load(body), prep.X)
    return Trained(body, cv_result, report, prep, card, worst)
