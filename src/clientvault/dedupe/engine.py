"""The Splink model (Fellegi-Sunter, DuckDB backend): settings, training by expectation maximisation, scoring.

Decrypted features live in an in-memory DuckDB database with spilling disabled (``temp_directory`` set to
the empty string: DuckDB then fails a query that outgrows ``memory_limit`` instead of writing it to disk),
so no plaintext reaches a file. Nothing here touches Django's database; ``services.scan`` feeds it rows
and stores what it returns: customer ids, probabilities, comparison levels and field codes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import splink
from splink import DuckDBAPI, Linker

from clientvault.dedupe.features import COLUMNS

# Field codes of the comparisons, in order: what evidence names (never values).
FIELDS = ("name", "id_number", "birth_date", "sex", "mobile", "email", "address")
# A contact value on more records than this is a switchboard or a placeholder, not a person's: it stays
# a comparison but is not a blocking key (a block of thousands would cost millions of pairs).
MAX_BLOCK_VALUE_COUNT = 20
SEED = 1414
_SAME = 'l."kind" = r."kind" AND l."entity" = r."entity"'
# Candidate pairs: records sharing any of these (each with the same kind and legal entity).
BLOCKING = (
    'l."id_number" = r."id_number"',
    'l."id_tail" = r."id_tail"',  # an ID typo in the first half
    'l."id_head" = r."id_head" AND l."pinyin_full" = r."pinyin_full"',  # an ID typo in the second half
    'l."mobile_block" = r."mobile_block"',
    'l."email_block" = r."email_block"',
    'l."pinyin_sorted" = r."pinyin_sorted" AND l."birth_year" = r."birth_year"',  # homophones, romanised, swapped order
    'l."surname" = r."surname" AND l."birth_date" = r."birth_date"',  # given-name typos
    'l."name" = r."name" AND l."address_head" = r."address_head"',  # no identifier, same name in the same place
)
DETERMINISTIC = (
    'l."id_number" = r."id_number"',
    'l."name" = r."name" AND l."mobile" = r."mobile" AND l."birth_date" = r."birth_date"',
)
EM_BLOCKS = (
    'l."id_number" = r."id_number"',  # trains every comparison but the ID number
    'l."pinyin_sorted" = r."pinyin_sorted" AND l."birth_date" = r."birth_date"',  # trains the ID number and contacts
)

logging.getLogger("splink").setLevel(logging.ERROR)  # EM notes about unobserved levels are expected on small data


def _null(col: str) -> dict[str, Any]:
    return {"sql_condition": f'"{col}_l" IS NULL OR "{col}_r" IS NULL', "label_for_charts": "missing", "is_null_level": True}


def _level(sql: str, label: str, m: float, **extra: Any) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, "m_probability": m, **extra}


def _else(m: float) -> dict[str, Any]:
    return {"sql_condition": "ELSE", "label_for_charts": "else", "m_probability": m}


def _guarded(cheap: str, costly: str) -> str:
    """``costly`` only where ``cheap`` holds: DuckDB's edit distances cost ~10 µs a pair, far more than the
    rest of a comparison; a pair one typo apart always passes the cheap test (one half of it is equal)."""
    return f"CASE WHEN {cheap} THEN {costly} ELSE false END"


def _halves(col: str, cut: int) -> str:
    return f'(substr("{col}_l", 1, {cut}) = substr("{col}_r", 1, {cut}) OR substr("{col}_l", {cut + 1}) = substr("{col}_r", {cut + 1}))'


def _dl(col: str, n: int, cut: int) -> str:
    return _guarded(_halves(col, cut), f'damerau_levenshtein("{col}_l", "{col}_r") <= {n}')


def comparisons() -> list[dict[str, Any]]:
    """The comparisons, each with prior m probabilities (refined by EM when there is enough data)."""
    return [
        {
            "output_column_name": "name",
            "comparison_levels": [
                _null("name"),
                _level('"name_l" = "name_r"', "exact", 0.80, tf_adjustment_column="name", tf_adjustment_weight=1.0),
                _level('"pinyin_full_l" = "pinyin_full_r"', "same pinyin", 0.08),
                _level('"pinyin_sorted_l" = "pinyin_sorted_r"', "same pinyin, other order", 0.04),
                _level(
                    'jaro_winkler_similarity("pinyin_full_l", "pinyin_full_r") >= 0.92 OR '
                    + _guarded('length("name_l") >= 3 AND "surname_l" = "surname_r"', 'damerau_levenshtein("name_l", "name_r") <= 1'),
                    "close",
                    0.07,
                ),
                _level('"surname_l" = "surname_r" AND "initials_l" = "initials_r"', "same surname and initials", 0.004),
                _level('"surname_l" = "surname_r"', "same surname", 0.003),
                _else(0.003),
            ],
        },
        {
            "output_column_name": "id_number",
            "comparison_levels": [
                _null("id_number"),
                _level('"id_number_l" = "id_number_r"', "exact", 0.90),
                _level(_dl("id_number", 1, 9), "one typo", 0.08),
                _else(0.02),
            ],
        },
        {
            "output_column_name": "birth_date",
            "comparison_levels": [
                _null("birth_date"),
                _level('"birth_date_l" = "birth_date_r"', "exact", 0.90),
                _level(
                    f'{_dl("birth_date", 1, 5)} OR ("birth_year_l" = "birth_year_r" AND '
                    'substr("birth_date_l", 6, 2) = substr("birth_date_r", 9, 2) AND '
                    'substr("birth_date_l", 9, 2) = substr("birth_date_r", 6, 2))',
                    "typo or day and month swapped",
                    0.06,
                ),
                _level('"birth_year_l" = "birth_year_r"', "same year", 0.02),
                _else(0.02),
            ],
        },
        {
            "output_column_name": "sex",
            "comparison_levels": [_null("sex"), _level('"sex_l" = "sex_r"', "exact", 0.98), _else(0.02)],
        },
        {
            "output_column_name": "mobile",
            "comparison_levels": [
                _null("mobile"),
                _level('"mobile_l" = "mobile_r"', "exact", 0.75),
                _level(_dl("mobile", 1, 6), "one typo", 0.05),
                _else(0.20),
            ],
        },
        {
            "output_column_name": "email",
            "comparison_levels": [
                _null("email"),
                _level('"email_l" = "email_r"', "exact", 0.75),
                _level(f'"email_user_l" = "email_user_r" OR {_dl("email", 1, 4)}', "same user or one typo", 0.05),
                _else(0.20),
            ],
        },
        {
            "output_column_name": "address",
            "comparison_levels": [
                _null("address"),
                _level('"address_l" = "address_r"', "exact", 0.60),
                _level(
                    _guarded(
                        '"address_head_l" = "address_head_r"',
                        'jaro_winkler_similarity("address_l", "address_r") >= 0.9 OR '
                        'len(list_intersect("address_tokens_l", "address_tokens_r")) >= 3',
                    ),
                    "similar",
                    0.15,
                ),
                _else(0.25),
            ],
        },
    ]


def _and_same(rule: str) -> str:
    return f"{rule} AND {_SAME}"


def settings(*, blocking: Sequence[str] = BLOCKING) -> dict[str, Any]:
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": 1e-5,
        "blocking_rules_to_generate_predictions": [_and_same(r) for r in blocking],
        "comparisons": comparisons(),
        "retain_matching_columns": True,  # the gammas (comparison levels) come with them; in memory only
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": [],
        "max_iterations": 20,
        "em_convergence": 0.0001,
    }


def model_version(model: dict[str, Any] | None = None) -> str:
    """Splink version and a digest of the comparisons and blocking (and parameters, for a trained model)."""
    body = json.dumps(model or settings(), sort_keys=True, default=str).encode()
    return f"splink-{splink.__version__}-{hashlib.sha256(body).hexdigest()[:12]}"


def connect(*, memory_limit: str = "4GB", threads: int = 0) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never spills to disk (plaintext stays in memory)."""
    con = duckdb.connect(":memory:")
    con.execute("SET temp_directory = ''")  # no offloading: out of memory fails the scan instead of writing a file
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    if threads > 0:
        con.execute(f"SET threads = {int(threads)}")
    return con


def frame(rows: Iterable[dict[str, Any]]) -> pa.Table:
    """The Splink input table; contact values held by many records are left out of blocking (not comparing)."""
    rows = list(rows)
    cols: dict[str, list[Any]] = {c: [r.get(c) for r in rows] for c in COLUMNS}
    for key in ("mobile", "email"):
        counts = Counter(v for v in cols[key] if v)
        cols[f"{key}_block"] = [v if v and counts[v] <= MAX_BLOCK_VALUE_COUNT else None for v in cols[key]]
    types = {"birth_year": pa.int32(), "address_tokens": pa.list_(pa.string())}
    return pa.table({c: pa.array(v, type=types.get(c, pa.string())) for c, v in cols.items()})


@dataclass
class ScoredPair:
    left: str
    right: str
    probability: float
    match_weight: float
    levels: dict[str, int]

    @property
    def evidence(self) -> dict[str, list[str]]:
        return evidence_of(self.levels)


@dataclass
class Result:
    pairs: list[ScoredPair]
    model: dict[str, Any]
    trained: bool
    pairs_scored: int = 0
    notes: list[str] = field(default_factory=list)


def top_levels() -> dict[str, int]:
    """Per field code, the gamma of its best (exact) level."""
    return {c["output_column_name"]: len(c["comparison_levels"]) - 2 for c in comparisons()}


def evidence_of(levels: dict[str, int]) -> dict[str, list[str]]:
    """Field codes that agreed (best level), partly agreed, disagreed, or were missing on either side."""
    top = top_levels()
    out: dict[str, list[str]] = {"agree": [], "partial": [], "disagree": [], "missing": []}
    for code in FIELDS:
        gamma = levels.get(code, -1)
        key = "missing" if gamma < 0 else "disagree" if gamma == 0 else "agree" if gamma >= top.get(code, 0) else "partial"
        out[key].append(code)
    return out


def _pairs(con: duckdb.DuckDBPyConnection, table: str, threshold: float) -> tuple[list[ScoredPair], int]:
    gammas = ", ".join(f'"gamma_{c}"' for c in FIELDS)
    result = con.execute(
        f'SELECT "unique_id_l", "unique_id_r", "match_probability", "match_weight", {gammas} FROM {table}'  # noqa: S608 — Splink's table
    ).fetchall()
    pairs = []
    for row in result:
        left, right = sorted((str(row[0]), str(row[1])))
        pairs.append(ScoredPair(left, right, float(row[2]), float(row[3]), {c: int(g) for c, g in zip(FIELDS, row[4:], strict=True)}))
    return pairs, len(pairs)


def _train(sdf: Any, chosen: dict[str, Any], n: int, notes: list[str]) -> tuple[dict[str, Any], bool]:
    """Estimate u by random sampling and m by EM on the data itself (no labels). An EM session that fails
    (too few pairs in its block, on small data) is rolled back to the model before it: the others still
    count, and with none the prior m probabilities stand."""
    linker = Linker(sdf, chosen, log_level=None)
    try:
        linker.training.estimate_probability_two_random_records_match(list(DETERMINISTIC), recall=0.8)
    except Exception as exc:
        notes.append(f"prior:{type(exc).__name__}")
    model = linker.misc.save_model_to_json()
    prior = model.get("probability_two_random_records_match") or 0
    if not 0 < prior < 1:
        # No deterministic match at all (no shared ID number, as in a legal entity where the database forbids
        # one): assume about one record in twenty is a second copy, i.e. 1/(10 n) of all pairs.
        model["probability_two_random_records_match"] = max(1e-9, 1.0 / (10 * n))
        notes.append("prior:fallback")
        linker = Linker(sdf, model, log_level=None)
    linker.training.estimate_u_using_random_sampling(max_pairs=min(1e6, n * (n - 1) / 2), seed=SEED)
    model = linker.misc.save_model_to_json()
    trained = False
    for rule in EM_BLOCKS:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(_and_same(rule), estimate_without_term_frequencies=True)
        except Exception as exc:
            notes.append(f"em:{type(exc).__name__}")
            linker = Linker(sdf, model, log_level=None)
            continue
        model = linker.misc.save_model_to_json()
        trained = True
    return model, trained


def run(
    rows: Sequence[dict[str, Any]],
    *,
    threshold: float,
    model: dict[str, Any] | None = None,
    new_ids: set[str] | None = None,
    memory_limit: str = "4GB",
    threads: int = 0,
    train: bool = True,
) -> Result:
    """Score the candidate pairs of ``rows`` and return those at or above ``threshold``.

    With ``model`` (a trained model from an earlier scan) nothing is retrained; with ``new_ids`` only pairs
    with at least one new record are scored (incremental: new against existing, and new against new).
    """
    notes: list[str] = []
    con = connect(memory_limit=memory_limit, threads=threads)
    try:
        db_api = DuckDBAPI(connection=con)
        table = frame(rows)
        if new_ids is not None:
            flags = pa.array([r["unique_id"] in new_ids for r in rows], type=pa.bool_())
            table = table.append_column("is_new", flags)
        sdf = db_api.register(table, table_name="customers_features")
        chosen = dict(model) if model else settings()
        if new_ids is not None:
            # Incremental: only pairs with a new or changed record are candidates (new × all, new × new).
            chosen["blocking_rules_to_generate_predictions"] = [f'{_and_same(r)} AND (l."is_new" OR r."is_new")' for r in BLOCKING]
        trained = False
        if model is None and train and len(rows) > 1:
            chosen, trained = _train(sdf, chosen, len(rows), notes)
        linker = Linker(sdf, chosen, log_level=None)
        predicted = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
        pairs, total = _pairs(con, predicted.physical_name, threshold)
        saved = linker.misc.save_model_to_json()
        return Result(pairs=pairs, model=saved, trained=trained, pairs_scored=total, notes=notes)
    finally:
        con.close()
