"""Scoring cost per customer: the plain-Python spec (risk/scorecard/scoring.py, what the web tier and the
worker run) against the trainer's own predict (optbinning ``Scorecard.score``) on the same rows (issue #16).

    python -m benchmarks.scoring [--size 100000] [--train 10000] [--repeat 3]

A champion is fitted on ``--train`` generated applicants (risk/synthetic.py) and exported; then ``--size``
fresh applicants (with missing values and unseen categories) are scored both ways, interleaved. The spec
scores one customer at a time from a plain dict, with reason codes (all characteristics ranked, top 4) —
the web tier's case; the trainer scores the whole frame in one vectorised call (its best case; building the
frame is not timed). ``us_per_customer_trainer_single`` is the trainer asked for one customer at a time
(a one-row frame), on a sample. Goal: ≤ 20 µs per customer for the spec; ``points_equal`` must be true.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

from benchmarks.harness import Bench


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100000, help="customers scored (default 100000)")
    parser.add_argument("--train", type=int, default=10000, help="applicants the champion is fitted on (default 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions of each side (default 3)")
    parser.add_argument("--single", type=int, default=300, help="one-row trainer calls timed (default 300)")
    return parser.parse_args()


def main() -> None:
    args = _args()
    import pandas as pd

    from clientvault.classification.catalogue import DEFAULTS
    from clientvault.risk import synthetic
    from clientvault.risk.scorecard import scoring, training
    from clientvault.risk.scorecard import spec as specs

    catalogue = [d.key for d in DEFAULTS if d.pipl_sensitive]
    bench = Bench("scoring", size=args.size)
    started = time.perf_counter()
    prep = training.prepare(pd.DataFrame(synthetic.applicants(args.train, seed=2026)), "bad", catalogue_keys=catalogue)
    config = training.Config()
    card = training.fit_champion(prep, prep.X, prep.y, config)
    spec = specs.load(training.export_spec(card, prep, config, model_id="bench", version="1", labels=synthetic.LABELS))
    fit_seconds = time.perf_counter() - started

    rows = synthetic.applicants(args.size, seed=2027)
    rng = random.Random(1)
    for row in rows:
        if rng.random() < 0.02:
            row["industry"] = "未见行业"  # unseen by the trainer
    features = prep.features
    inputs = [{f: row[f] for f in features} for row in rows]
    X = training.prepare(pd.DataFrame(rows), "bad", catalogue_keys=catalogue).X[features]
    tiers = scoring.TierPolicy("bench", spec.scaling.score_at_odds(6), spec.scaling.score_at_odds(30))

    def by_spec() -> list[float]:
        return [scoring.score(spec, values, tiers=tiers).total for values in inputs]

    def by_trainer() -> Any:
        return card.score(X)

    bench.compare("score_all", subject=by_spec, baseline=by_trainer, repeat=args.repeat, warmup=1)
    spec_us = bench.results["score_all_median_ms"] * 1000 / args.size
    trainer_us = bench.results["score_all_baseline_median_ms"] * 1000 / args.size

    ours, theirs = by_spec(), by_trainer()
    worst = max(abs(a - float(b)) for a, b in zip(ours, theirs, strict=True))
    single = []
    for i in range(min(args.single, args.size)):
        one = X.iloc[[i]]
        t0 = time.perf_counter()
        card.score(one)
        single.append(time.perf_counter() - t0)
    single_us = statistics.median(single) * 1e6
    bench.note(
        characteristics=len(spec.characteristics),
        fit_seconds=round(fit_seconds, 2),
        us_per_customer_spec=round(spec_us, 3),
        us_per_customer_trainer=round(trainer_us, 3),
        us_per_customer_trainer_single=round(single_us, 1),
        ratio_spec_vs_trainer=round(spec_us / trainer_us, 3),
        ratio_spec_vs_trainer_single=round(spec_us / single_us, 5),
        points_equal=worst <= 1e-6,
        points_max_abs_diff=worst,
        goal_us_per_customer=20,
        meets_goal=spec_us <= 20,
    )
    bench.emit()


if __name__ == "__main__":
    main()
