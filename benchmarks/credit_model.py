"""Credit model quality: 5-fold AUC, Gini and KS of the champion scorecard (optbinning), the LightGBM
challenger and plain logistic regression, in the same run on the same folds (issue #16).

    python -m benchmarks.credit_model [--size 20000] [--cv 5]

Data: generated applicants with a KNOWN structure (risk/synthetic.py: a logistic ground truth, missing
values, noise categories, sex and age without effect) from a seed the trainer was not tuned on; the ground
truth's own AUC on the same rows (``oracle_auc``) is the ceiling. No installed package ships a public
credit dataset offline (scikit-learn's German credit comes from OpenML, a download), so none is used; as a
second, real table the three models also run on scikit-learn's bundled breast-cancer data (569 rows,
offline; not credit — a check that training works on a table it was not written for).

Reported: ``ratio_champion_vs_lr_auc`` and ``ratio_champion_vs_lightgbm_auc`` (champion AUC over theirs),
``champion_within_noise_of_*`` (the AUC gap within one fold standard deviation), and
``reason_codes_reproduce_points``: for every row, the champion's points equal the trainer's and equal the
sum of the best points less the shortfalls the reason codes name (all characteristics ranked).
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from benchmarks.harness import Bench


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=20000, help="generated applicants (default 20000)")
    parser.add_argument("--cv", type=int, default=5, help="folds (default 5)")
    parser.add_argument("--seed", type=int, default=2026, help="data seed (default 2026; the demo scorecard uses 16)")
    return parser.parse_args()


def _summary(cv: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {name: {k: v for k, v in m.items() if k != "folds"} for name, m in cv.items()}


def main() -> None:
    args = _args()
    import pandas as pd
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import roc_auc_score

    from clientvault.classification.catalogue import DEFAULTS
    from clientvault.risk import synthetic
    from clientvault.risk.scorecard import scoring, training
    from clientvault.risk.scorecard import spec as specs

    catalogue = [d.key for d in DEFAULTS if d.pipl_sensitive]
    bench = Bench("credit_model", size=args.size)
    rows = synthetic.applicants(args.size, seed=args.seed)
    frame = pd.DataFrame(rows)
    started = time.perf_counter()
    result = training.train(frame, "bad", cv=args.cv, labels=synthetic.LABELS, model_id="bench", version="1", catalogue_keys=catalogue)
    seconds = time.perf_counter() - started
    cv = _summary(result.cv)
    champion, lr, gbm = cv["champion"], cv["baseline"], cv["challenger"]

    # Reason codes reproduce the points: total = sum of best points - sum of every shortfall, for every row.
    spec = specs.load(result.spec)
    best = sum(c.best_points for c in spec.characteristics) + spec.intercept
    trainer = result.card.score(result.prepared.X)
    reproduce = True
    for values, expected in zip(frame.to_dict("records"), trainer, strict=True):
        scored = scoring.score(spec, values, top=len(spec.characteristics))
        explained = best - sum(r.shortfall for r in scored.reasons)
        reproduce &= abs(scored.total - float(expected)) <= 1e-6 and abs(scored.total - explained) <= 1e-6
    oracle = float(roc_auc_score(frame["bad"], [synthetic.true_logit(r) for r in rows]))

    cancer = load_breast_cancer(as_frame=True).frame  # target 0 = malignant: treated as the "bad" class here
    cancer_cv = _summary(training.cross_validate(cancer, "target", bad="0", cv=args.cv, catalogue_keys=[]))

    bench.note(
        bad_rate=round(float(frame["bad"].mean()), 4),
        oracle_auc=round(oracle, 6),
        champion=champion,
        challenger=gbm,
        baseline=lr,
        fairness_min_air={c: r["min_air"] for c, r in result.fairness["columns"].items()},
        fairness_flagged=result.fairness["flagged"],
        excluded=result.prepared.excluded,
        train_seconds=round(seconds, 1),
        ratio_champion_vs_lr_auc=round(champion["auc_mean"] / lr["auc_mean"], 4),
        ratio_champion_vs_lightgbm_auc=round(champion["auc_mean"] / gbm["auc_mean"], 4),
        ratio_champion_vs_oracle_auc=round(champion["auc_mean"] / oracle, 4),
        champion_within_noise_of_lr=champion["auc_mean"] >= lr["auc_mean"] - max(champion["auc_std"], lr["auc_std"]),
        champion_within_noise_of_lightgbm=champion["auc_mean"] >= gbm["auc_mean"] - max(champion["auc_std"], gbm["auc_std"]),
        reason_codes_reproduce_points=bool(reproduce),
        public_credit_dataset=None,
        public_credit_dataset_note="no installed package ships a credit dataset offline (German credit is an OpenML download)",
        public_table="sklearn breast_cancer (569 rows, bundled; not credit)",
        public_table_cv=cancer_cv,
        ratio_public_champion_vs_lr_auc=round(cancer_cv["champion"]["auc_mean"] / cancer_cv["baseline"]["auc_mean"], 4),
        ratio_public_champion_vs_lightgbm_auc=round(cancer_cv["champion"]["auc_mean"] / cancer_cv["challenger"]["auc_mean"], 4),
    )
    assert not math.isnan(champion["auc_mean"])
    bench.emit()


if __name__ == "__main__":
    main()
