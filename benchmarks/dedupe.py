"""Batch duplicate detection on generated Chinese customers with known duplicates (issue #14).

Generates ``--size`` customers (Faker zh_CN names; households sharing a phone and address; duplicates with
typos, homophones, romanised and traditional names, ID typos, swapped day and month, changed contacts,
missing values) from a seed the pipeline was never tuned on (``--seed``, default 2026; development used 7
and 11), then runs side by side on the same frame:

* ``ours``: the production pipeline (dedupe/features.py + dedupe/engine.py: pinyin and character name
  comparisons, ID halves, EM training, the configured threshold);
* ``splink_default``: Splink with its plain library comparisons on the raw columns (Jaro-Winkler name,
  Levenshtein ID, date of birth, exact mobile, e-mail, Jaro-Winkler address), the usual blocking
  (ID, mobile, e-mail, name + birth date) and the usual training (u by sampling, EM on two blocks).

Each runs in a forked child so that its peak resident memory is its own. Precision, recall and F1 are
pairwise over the clusters each produces (connected components at the threshold) against the true
duplicate pairs; households sharing a phone are counted as false pairs if clustered. Works on the
generated frame directly (no database). Last line: one JSON object (``f1``, ``splink_f1``,
``ratio_f1_vs_splink_default``, times, ``peak_rss_mb``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientvault.settings")
os.environ.setdefault("CLIENTVAULT_ENV", "test")


def _ours(rows: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    from clientvault.dedupe import engine, features

    started = time.perf_counter()
    frame = [features.features(r["unique_id"], r["kind"], r["entity"], r) for r in rows]
    built = time.perf_counter()
    result = engine.run(frame, threshold=threshold, memory_limit=os.environ.get("BENCH_DUCKDB_MEMORY", "5GB"))
    done = time.perf_counter()
    return {
        "pairs": [(p.left, p.right) for p in result.pairs],
        "seconds": done - started,
        "features_seconds": built - started,
        "splink_seconds": done - built,
        "trained": result.trained,
        "notes": result.notes,
    }


def _default(rows: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from clientvault.dedupe import engine

    started = time.perf_counter()
    cols = ("unique_id", "name", "id_number", "birth_date", "sex", "mobile", "email", "address")

    def raw(r: dict[str, Any], c: str) -> Any:
        v: Any = r.get(c)
        if v in ("", None):
            return None
        return v.isoformat() if hasattr(v, "isoformat") else str(v)

    table = pa.table({c: pa.array([raw(r, c) for r in rows], type=pa.string()) for c in cols})
    con = engine.connect(memory_limit=os.environ.get("BENCH_DUCKDB_MEMORY", "5GB"))
    db = DuckDBAPI(connection=con)
    sdf = db.register(table, table_name="raw_customers")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name"),
            cl.LevenshteinAtThresholds("id_number"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.ExactMatch("mobile"),
            cl.EmailComparison("email"),
            cl.JaroWinklerAtThresholds("address"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("mobile"),
            block_on("email"),
            block_on("name", "birth_date"),
        ],
    )
    linker = Linker(sdf, settings, log_level=None)
    notes = []
    try:
        linker.training.estimate_probability_two_random_records_match([block_on("id_number")], recall=0.8)
    except Exception as exc:
        notes.append(type(exc).__name__)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in (block_on("id_number"), block_on("name", "birth_date")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as exc:
            notes.append(type(exc).__name__)
    predicted = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    pairs = con.execute(f'SELECT "unique_id_l", "unique_id_r" FROM {predicted.physical_name}').fetchall()
    con.close()
    return {"pairs": [(str(a), str(b)) for a, b in pairs], "seconds": time.perf_counter() - started, "notes": notes}


def _child(name: str, rows: list[dict[str, Any]], threshold: float, out: Any) -> None:
    import django

    django.setup()
    result = (_ours if name == "ours" else _default)(rows, threshold)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.send(result)
    out.close()


def _run(name: str, rows: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    parent, child = mp.Pipe(duplex=False)
    proc = mp.get_context("fork").Process(target=_child, args=(name, rows, threshold, child))
    proc.start()
    result: dict[str, Any] = parent.recv()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="customers generated (default 100000)")
    parser.add_argument("--seed", type=int, default=2026, help="held-out generator seed (default 2026)")
    parser.add_argument("--threshold", type=float, default=None, help="match probability (default: CLIENTVAULT_DEDUPE_THRESHOLD)")
    parser.add_argument("--skip-baseline", action="store_true", help="only the production pipeline (no ratio)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    from clientvault.dedupe.clusters import components, pairwise_scores
    from clientvault.testing.duplicates import generate

    threshold = args.threshold if args.threshold is not None else settings.CLIENTVAULT_DEDUPE_THRESHOLD
    started = time.perf_counter()
    data = generate(args.size, seed=args.seed)
    generated = time.perf_counter() - started
    truth = data.true_pairs()
    households = {(a, b) if a < b else (b, a) for h in data.households for a in h for b in h if a != b}
    out: dict[str, Any] = {"benchmark": "dedupe", "size": len(data.rows), "seed": args.seed, "threshold": threshold}
    out["generate_seconds"] = round(generated, 1)
    out["true_pairs"] = len(truth)

    def score(result: dict[str, Any]) -> tuple[dict[str, float], int]:
        groups = components(result["pairs"])
        implied = {(a, b) if a < b else (b, a) for g in groups for a in g for b in g if a != b}
        return pairwise_scores(groups, truth), len(implied & households)

    ours = _run("ours", data.rows, threshold)
    s, hh = score(ours)
    out.update(
        precision=round(s["precision"], 4),
        recall=round(s["recall"], 4),
        f1=round(s["f1"], 4),
        household_false_pairs=hh,
        seconds=round(ours["seconds"], 1),
        features_seconds=round(ours["features_seconds"], 1),
        splink_seconds=round(ours["splink_seconds"], 1),
        peak_rss_mb=round(ours["peak_rss_mb"]),
        trained=ours["trained"],
    )
    if not args.skip_baseline:
        base = _run("splink_default", data.rows, threshold)
        b, bhh = score(base)
        out.update(
            splink_precision=round(b["precision"], 4),
            splink_recall=round(b["recall"], 4),
            splink_f1=round(b["f1"], 4),
            splink_household_false_pairs=bhh,
            splink_default_seconds=round(base["seconds"], 1),
            splink_default_peak_rss_mb=round(base["peak_rss_mb"]),
            ratio_f1_vs_splink_default=round(s["f1"] / b["f1"], 4) if b["f1"] else None,
            ratio_seconds_vs_splink_default=round(ours["seconds"] / base["seconds"], 3) if base["seconds"] else None,
        )
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
