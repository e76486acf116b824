"""Shared benchmark harness: warm-up, repetitions, medians, side-by-side ratios, JSON last line.

Machines here are noisy, so absolute times drift: every benchmark measures its subject and its
baseline interleaved in the same run and reports ``ratio_*`` keys. Usage::

    bench = Bench("customer_list", size=args.size)
    bench.compare("list", subject=lambda: ..., baseline=lambda: ..., repeat=30)
    bench.emit()   # prints one JSON object as the last line
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def parse_args(description: str, default_size: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", type=int, default=default_size, help=f"problem size (default {default_size})")
    parser.add_argument("--repeat", type=int, default=30, help="timed repetitions per measurement")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""), help="default: a fresh SQLite file")
    return parser.parse_args()


def setup_django(database_url: str) -> str:
    """Point Django at a fresh database (a temporary SQLite file unless a URL is given) and migrate."""
    if not database_url:
        database_url = f"sqlite:///{tempfile.mkdtemp(prefix='cvbench-')}/bench.sqlite3"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("CLIENTVAULT_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientvault.settings")
    import django
    from django.core.management import call_command

    django.setup()
    if database_url.startswith(("postgres://", "postgresql://")):
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)
    from clientvault.core.seeding import reseed_catalogues

    reseed_catalogues()  # a flush empties the catalogues the migrations seeded (roles, purposes, policies)
    return "postgresql" if database_url.startswith(("postgres://", "postgresql://")) else database_url.split(":", 1)[0]


def seed_demo(size: int) -> tuple[dict[str, Any], float]:
    """The demo organisation with ``size`` customers (and their consents); returns the users and the seconds taken."""
    from clientvault.demo import seeding

    started = time.perf_counter()
    users = seeding.seed(size, mfa_roles=[])
    return users, time.perf_counter() - started


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@dataclass
class Bench:
    name: str
    size: int
    results: dict[str, Any] = field(default_factory=dict)

    def measure(self, label: str, fn: Callable[[], Any], *, repeat: int = 30, warmup: int = 3) -> float:
        for _ in range(warmup):
            fn()
        samples = [timed(fn) for _ in range(repeat)]
        median = statistics.median(samples)
        self.results[f"{label}_median_ms"] = round(median * 1000, 4)
        return median

    def compare(self, label: str, *, subject: Callable[[], Any], baseline: Callable[[], Any], repeat: int = 30, warmup: int = 3) -> float:
        """Interleave subject and baseline runs so drift hits both; record both medians and their ratio."""
        for _ in range(warmup):
            subject()
            baseline()
        s_samples: list[float] = []
        b_samples: list[float] = []
        for i in range(repeat):
            order = (subject, baseline) if i % 2 == 0 else (baseline, subject)
            for fn in order:
                (s_samples if fn is subject else b_samples).append(timed(fn))
        s, b = statistics.median(s_samples), statistics.median(b_samples)
        self.results[f"{label}_median_ms"] = round(s * 1000, 4)
        self.results[f"{label}_baseline_median_ms"] = round(b * 1000, 4)
        ratio = s / b if b > 0 else float("inf")
        self.results[f"ratio_{label}"] = round(ratio, 3)
        return ratio

    def note(self, **values: Any) -> None:
        self.results.update(values)

    def emit(self) -> None:
        payload = {"benchmark": self.name, "size": self.size, "python": platform.python_version(), **self.results}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, sort_keys=False) + "\n")
        sys.stdout.flush()


def ensure_postgres_databases(url: str) -> None:
    """Create the benchmark database and its key store on the server if they do not exist yet."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    cfg = dj_database_url.parse(url)
    keys_url = os.environ.get("CLIENTVAULT_KEYS_DATABASE_URL", "")
    names = [str(cfg["NAME"]), str(dj_database_url.parse(keys_url)["NAME"]) if keys_url else f"{cfg['NAME']}_keys"]
    with psycopg.connect(
        host=cfg["HOST"] or "127.0.0.1",
        port=int(cfg["PORT"] or 5432),
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        for name in names:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
