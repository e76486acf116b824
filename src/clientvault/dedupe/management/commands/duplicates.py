"""``clientvault duplicates scan|export``: batch duplicate detection from the command line.

``export`` writes cluster ids, customer ids, the best match probability and the field codes that agreed or
disagreed — ids and codes only, never a name, number or address.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clientvault.core.context import system_context
from clientvault.core.errors import DomainError
from clientvault.dedupe import selectors, services
from clientvault.dedupe.choices import ClusterStatus
from clientvault.dedupe.tasks import SCAN_PURPOSE

EXPORT_COLUMNS = ("cluster_id", "status", "probability", "customer_ids", "agree", "disagree")


class Command(BaseCommand):
    help = "Find duplicate customers (scan) and export the clusters as ids and field codes (export)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        scan = sub.add_parser("scan", help="scan now (incremental unless --full or no trained model yet)")
        scan.add_argument("--full", action="store_true", help="re-train the model and score every candidate pair")
        scan.add_argument("--entity", type=uuid.UUID, default=None, help="only this legal entity (id)")
        scan.add_argument("--threshold", type=float, default=None, help="match probability to cluster at (default: settings)")
        scan.add_argument("--json", action="store_true", help="print the scan's counts as JSON")
        export = sub.add_parser("export", help="clusters as ids, probabilities and field codes (no personal values)")
        export.add_argument("--format", choices=("csv", "json"), default="csv")
        export.add_argument("--output", default="-", help="file to write (default: standard output)")
        export.add_argument("--status", choices=[*ClusterStatus.values, "all"], default=ClusterStatus.OPEN)

    def handle(self, *args: Any, **options: Any) -> None:
        ctx = system_context(channel="cli", purpose=SCAN_PURPOSE)
        try:
            if options["action"] == "scan":
                self._scan(ctx, options)
            else:
                self._export(ctx, options)
        except DomainError as exc:
            raise CommandError(str(exc)) from None

    def _scan(self, ctx: Any, options: dict[str, Any]) -> None:
        scan = services.scan(ctx=ctx, incremental=not options["full"], legal_entity_id=options["entity"], threshold=options["threshold"])
        counts = {
            "scan_id": str(scan.pk),
            "kind": scan.kind,
            "state": scan.state,
            "customers_scanned": scan.customers_scanned,
            "customers_compared": scan.customers_compared,
            "likely_pairs": scan.pairs_above_threshold,
            "clusters_new": scan.clusters_new,
            "clusters_open": scan.clusters_open,
            "seconds": round((scan.finished_at - scan.started_at).total_seconds(), 1) if scan.finished_at else None,
            "model_version": scan.model_version,
        }
        if options["json"]:
            self.stdout.write(json.dumps(counts))
        else:
            self.stdout.write(
                f"{scan.kind} scan {scan.pk}: {scan.customers_scanned} customers, {scan.customers_compared} compared, "
                f"{scan.pairs_above_threshold} likely pairs, {scan.clusters_open} open clusters ({scan.clusters_new} new)"
            )

    def _export(self, ctx: Any, options: dict[str, Any]) -> None:
        rows = selectors.export(ctx, status=options["status"])
        records: list[dict[str, Any]] = [
            {
                "cluster_id": str(r.cluster_id),
                "status": r.status,
                "probability": round(r.probability, 6),
                "customer_ids": [str(c) for c in r.customer_ids],
                "agree": r.agree,
                "disagree": r.disagree,
            }
            for r in rows
        ]
        if options["format"] == "json":
            text = json.dumps(records, indent=2) + "\n"
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(EXPORT_COLUMNS)
            for rec in records:
                writer.writerow(
                    [
                        rec["cluster_id"],
                        rec["status"],
                        rec["probability"],
                        " ".join(rec["customer_ids"]),
                        " ".join(rec["agree"]),
                        " ".join(rec["disagree"]),
                    ]
                )
            text = buffer.getvalue()
        if options["output"] == "-":
            self.stdout.write(text, ending="")
        else:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"{len(records)} clusters written to {options['output']}")
