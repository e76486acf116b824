"""``clientvault import FILE``: import customers from a CSV/XLSX/XLS/ODS file under the operator's command.

Runs under the system context (channel ``cli``); every batch records its provenance. ``--resume BATCH_ID``
continues an import from its checkpoint (after a crash or a kill). Exit code 1 when the import fails; the rejected
rows are summarised with the path of their report (row, column, reason — never a value).
"""

from __future__ import annotations

import json
import sys
import uuid
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clientvault.core.context import system_context
from clientvault.core.errors import DomainError, ValidationFailed
from clientvault.intake import selectors, services
from clientvault.intake.models import ImportBatch


class Command(BaseCommand):
    help = "Import customers from a CSV, XLSX, XLS or ODS file (clientvault import FILE …)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", help="the file to import")
        parser.add_argument("--sheet", default="", help="the sheet of a workbook (default: the first)")
        parser.add_argument("--template", default="", help="a saved mapping template (its latest version)")
        parser.add_argument("--mapping", action="append", default=[], metavar="COLUMN=FIELD", help="map a column to a field code")
        parser.add_argument("--save-template", default="", help="save the mapping used as a template of this name")
        parser.add_argument("--source-system", default="", help="the system the file comes from (provenance)")
        parser.add_argument("--lawful-basis", default="", help="PIPL Art. 13 basis: consent, contract, legal_duty, …")
        parser.add_argument("--consent-ref", default="", help="reference of the consent evidence (needed with --lawful-basis consent)")
        parser.add_argument("--owner", default="", help="username of the sales rep or manager who owns the customers")
        parser.add_argument(
            "--kind", default="individual", choices=["individual", "organisation"], help="customer type of rows without one"
        )
        parser.add_argument("--on-match", default="skip", choices=["skip", "update"], help="rows matching a customer: skip or update")
        parser.add_argument("--dry-run", action="store_true", help="report what would happen; write no customer")
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
        parser.add_argument("--resume", default="", metavar="BATCH_ID", help="continue an import from its checkpoint")

    def handle(self, *args: Any, **options: Any) -> None:
        ctx = system_context(channel="cli")
        try:
            if options["resume"]:
                batch = selectors.batch_for(ctx, _uuid(options["resume"]))
            else:
                batch = self._stage(ctx, options)
                if options["dry_run"]:
                    report = services.dry_run(ctx, batch)
                    self._print(options, {"batch": str(batch.pk), "dry_run": True, **report.counts}, report)
                    return
                services.start(ctx, batch, enqueue=False)
            progress = _Progress(getattr(self.stderr, "_out", sys.stderr))
            try:
                batch = services.run_chunks(batch.pk, progress=progress)
            finally:
                progress.close()
        except ValidationFailed as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in exc.fields.items())) from None
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        result = {"batch": str(batch.pk), **selectors.progress(ctx, batch)}
        if batch.rejected or batch.duplicates:
            path = Path(settings.CLIENTVAULT_IMPORT_DIR) / "reports" / f"{batch.pk}-rejected.csv"
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.write_bytes(services.rejected_report(ctx, batch, language=settings.LANGUAGE_CODE))
            result["report"] = str(path)
        self._print(options, result, None)
        if batch.state != "done":
            raise CommandError(f"import {batch.pk} ended {batch.state}")

    def _stage(self, ctx: Any, options: dict[str, Any]) -> ImportBatch:
        if not options["file"]:
            raise CommandError("name the file to import, or --resume BATCH_ID")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        owner_id = selectors.owner_id_by_username(ctx, options["owner"]) if options["owner"] else None
        provenance = services.Provenance(
            source_system=options["source_system"],
            lawful_basis=options["lawful_basis"],
            consent_evidence_ref=options["consent_ref"],
            kind=options["kind"],
            on_match=options["on_match"],
            owner_id=owner_id,
            sheet=options["sheet"],
        )
        batch = services.stage(ctx, file=path, filename=path.name, provenance=provenance)
        mapping = dict(batch.mapping)
        template = selectors.template_by_name(ctx, options["template"]) if options["template"] else None
        if template is not None:
            mapping = {h: c for h, c in template.mapping.items() if h in batch.headers}
        for item in options["mapping"]:
            column, sep, field = item.partition("=")
            if not sep:
                raise CommandError(f"--mapping takes COLUMN=FIELD, not {item!r}")
            mapping = {h: c for h, c in mapping.items() if c != field.strip()}
            mapping[column.strip()] = field.strip()
        services.set_mapping(ctx, batch, mapping, save_as=options["save_template"] or None, template=template)
        batch.refresh_from_db()
        return batch

    def _print(self, options: dict[str, Any], result: dict[str, Any], report: services.DryRunReport | None) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=True))
            return
        for key, value in result.items():
            self.stdout.write(f"{key}: {value}")
        if report is not None:
            for row in report.rows:
                if row.outcome != "create":
                    reasons = ", ".join(f"{c or '-'}:{code}" for c, code in row.reasons)
                    self.stdout.write(f"row {row.row_number}: {row.outcome} {reasons}")


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise CommandError(f"not a batch id: {text!r}") from None


class _Progress:
    """A bar on a terminal, plain lines otherwise."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        percent = int(done * 100 / total) if total else 100
        if self.tty:
            bar = "#" * (percent // 4)
            self.stream.write(f"\r[{bar:<25}] {percent:3d}% {done}/{total}")
            self.drawn = True
        else:
            self.stream.write(f"progress {done}/{total} {percent}%\n")
        self.stream.flush()

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
