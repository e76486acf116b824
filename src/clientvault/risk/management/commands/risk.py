"""``clientvault risk train|score|demo-spec``: train a scorecard on any CSV with a target column, score a CSV
with a spec (plain Python, as the web tier does), or regenerate the demo's shipped scorecard.

``train`` needs the optional ``risk`` extra (``pip install clientvault[risk]``); ``score`` does not.
Bad input (no such column, one class, an empty or non-CSV file) ends with a message and a non-zero exit,
and nothing is written.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clientvault.risk.scorecard import scoring
from clientvault.risk.scorecard import spec as specs

DATA = Path(__file__).resolve().parents[2] / "data"
DEMO_SPEC = DATA / "demo_scorecard.json"
DEMO_TIERS = DATA / "demo_tier_policy.json"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


class Command(BaseCommand):
    help = "Credit scorecards: train (5-fold AUC/Gini/KS, exports the spec), score (a CSV with a spec), demo-spec."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="train champion (scorecard), challenger (LightGBM) and baseline (LR); export the spec")
        train.add_argument("--data", required=True, help="CSV file (UTF-8 or UTF-8 with BOM) with a header row")
        train.add_argument("--target", required=True, help="the outcome column")
        train.add_argument(
            "--bad", default=None, help="the target value meaning bad (default: 1/true/yes/bad when the target has two values)"
        )
        train.add_argument("--cv", type=int, default=5, help="cross-validation folds (default 5)")
        train.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
        train.add_argument("--out", default=None, help="where to write the spec (default: ./scorecard-<target>-<version>.json)")
        train.add_argument("--exclude", nargs="+", action="extend", default=[], metavar="COL", help="columns to leave out")
        train.add_argument(
            "--allow-sensitive", nargs="+", action="extend", default=[], metavar="COL",
            help="use these sensitive columns as features after all (needs its own legal basis: PIPL Art. 28-29)",
        )  # fmt: skip
        train.add_argument("--model-id", default=None)
        train.add_argument("--version", dest="model_version", default=None, help="spec version (default: a UTC timestamp)")
        train.add_argument(
            "--cut", type=float, default=None, help="operating score cut for the fairness report (approval = score above it)"
        )
        train.add_argument("--pdo", type=float, default=20.0)
        train.add_argument("--base-score", type=float, default=600.0)
        train.add_argument("--base-odds", type=float, default=50.0)
        train.add_argument("--seed", type=int, default=16)
        score = sub.add_parser("score", help="score every row of a CSV with a spec (plain Python, as the web tier does)")
        score.add_argument("--spec", required=True)
        score.add_argument("--data", required=True)
        score.add_argument("--tiers", default=None, help="tier policy JSON (version, high_risk_below, low_risk_from)")
        score.add_argument("--top", type=int, default=4, help="reason codes per row (default 4)")
        score.add_argument("--json", action="store_true", help="one JSON object per row")
        demo = sub.add_parser("demo-spec", help="regenerate the demo's scorecard from generated applicants")
        demo.add_argument("--size", type=int, default=20000)
        demo.add_argument("--out", default=str(DEMO_SPEC))
        demo.add_argument("--tiers-out", default=str(DEMO_TIERS))

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "score":
            self._score(options)
            return
        try:
            from clientvault.risk.scorecard import training
        except ImportError as exc:  # pragma: no cover - depends on the installed extra
            raise CommandError(f"training needs the optional 'risk' extra (pip install 'clientvault[risk]'): {exc}") from exc
        try:
            if action == "train":
                self._train(training, options)
            else:
                self._demo(training, options)
        except training.TrainingError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc

    def _train(self, training: Any, options: dict[str, Any]) -> None:
        config = training.Config(pdo=options["pdo"], base_score=options["base_score"], base_odds=options["base_odds"], seed=options["seed"])
        frame = training.read_csv(options["data"])
        result = training.train(
            frame, options["target"], bad=options["bad"], cv=options["cv"], config=config, model_id=options["model_id"],
            version=options["model_version"], cut=options["cut"], exclude=options["exclude"], allow_sensitive=options["allow_sensitive"],
        )  # fmt: skip
        out = Path(options["out"] or f"scorecard-{options['target']}-{result.spec['version']}.json")
        _write_atomically(out, json.dumps(result.spec, indent=2, ensure_ascii=False) + "\n")
        summary = {name: {k: v for k, v in m.items() if k != "folds"} for name, m in result.cv.items()}
        if options["json"]:
            payload = {
                **summary,
                "fairness": result.fairness,
                "excluded": result.prepared.excluded,
                "rows": len(result.prepared.y),
                "spec": str(out),
                "model_id": result.spec["model_id"],
                "version": result.spec["version"],
                "digest": result.spec["digest"],
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        prep = result.prepared
        self.stdout.write(
            f"{len(prep.y)} rows, bad = {options['target']} {prep.bad!r} ({prep.y.mean():.2%}), {options['cv']}-fold cross-validation"
        )
        self.stdout.write(f"{'model':<12}{'AUC':>20}{'Gini':>20}{'KS':>20}")
        for name, m in summary.items():
            cells = "".join(f"{m[f'{k}_mean']:>12.4f} ± {m[f'{k}_std']:.4f}" for k in ("auc", "gini", "ks"))
            self.stdout.write(f"{name:<12}{cells}")
        for column, reason in prep.excluded.items():
            self.stdout.write(f"excluded {column}: {reason}")
        fair = result.fairness
        self.stdout.write(f"fairness at cut {fair['cut']} ({fair['cut_rule']}), approval rate {fair['approval_rate']}:")
        for column, report in fair["columns"].items():
            flag = "  FLAGGED (AIR < 0.8)" if report["flagged"] else ""
            self.stdout.write(f"  {column}: lowest adverse impact ratio {report['min_air']}{flag}")
        if not fair["columns"]:
            self.stdout.write("  no sensitive column in the data")
        self.stdout.write(
            f"spec {result.spec['model_id']} {result.spec['version']} written to {out} (reproduces the trainer to {result.max_abs_diff:g})"
        )

    def _demo(self, training: Any, options: dict[str, Any]) -> None:
        import pandas as pd

        from clientvault.risk import synthetic

        frame = pd.DataFrame(synthetic.applicants(options["size"], seed=16))
        result = training.train(frame, synthetic.TARGET, cv=5, model_id="demo-retail-scorecard", version="1", labels=synthetic.LABELS)
        scaling = specs.Scaling(**result.spec["scaling"])
        # Demo thresholds: high risk below good:bad odds 6:1 (about 14% bad), low risk from 30:1 (about 3%).
        tiers = scoring.TierPolicy(
            "demo-1", round(scaling.score_at_odds(6), 1), round(scaling.score_at_odds(30), 1), model_id="demo-retail-scorecard"
        )
        _write_atomically(Path(options["out"]), json.dumps(result.spec, indent=2, ensure_ascii=False) + "\n")
        _write_atomically(Path(options["tiers_out"]), json.dumps(tiers.to_dict(), indent=2) + "\n")
        self.stdout.write(f"demo scorecard written to {options['out']}, tier policy to {options['tiers_out']}")
        self.stdout.write(json.dumps(result.spec["metrics"]["cv"], ensure_ascii=False))

    def _score(self, options: dict[str, Any]) -> None:
        try:
            spec = specs.load(options["spec"])
            tiers = None
            if options["tiers"]:
                tiers = scoring.TierPolicy.from_dict(json.loads(Path(options["tiers"]).read_text(encoding="utf-8")))
        except (specs.SpecError, OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        number = 0
        try:
            with Path(options["data"]).open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                if not reader.fieldnames:
                    raise CommandError(f"{options['data']} is empty")
                absent = [f for f in spec.fields if f not in {n.strip() for n in reader.fieldnames}]
                if len(absent) == len(spec.fields):
                    raise CommandError(f"{options['data']} has none of the scorecard's fields ({', '.join(spec.fields)})")
                for number, row in enumerate(reader, start=1):
                    values = {k.strip(): v for k, v in row.items() if k is not None}
                    result = scoring.score(spec, values, tiers=tiers, top=options["top"])
                    if options["json"]:
                        self.stdout.write(json.dumps({"row": number, **result.as_record()}, ensure_ascii=False))
                    else:
                        codes = ";".join(r.code for r in result.reasons)
                        self.stdout.write(f"{number},{result.total:.4f},{result.tier or ''},{codes}")
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"cannot read {options['data']}: {exc}") from exc
        except scoring.ScoringError as exc:
            raise CommandError(f"row {number}: {exc}") from exc
