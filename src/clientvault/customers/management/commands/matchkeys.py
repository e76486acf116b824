"""``clientvault matchkeys rebuild``: (re)write the duplicate-matching keys of every customer (issue #14).

Chunked and resumable: each chunk commits on its own and the command prints its checkpoint (the last
customer id done); ``--after ID`` continues from there, ``--missing-only`` does only customers without keys
(the backfill after an upgrade: existing customers are not decrypted twice). One audit event per run.
"""

from __future__ import annotations

import uuid
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clientvault.audit import recording as audit
from clientvault.core.context import system_context
from clientvault.customers import matching


class Command(BaseCommand):
    help = "Duplicate-matching keys: rebuild (chunked, resumable)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild", help="rewrite the match keys of every customer")
        rebuild.add_argument("--chunk", type=int, default=2000, help="customers per transaction")
        rebuild.add_argument("--after", default="", help="resume after this customer id (a checkpoint printed by a previous run)")
        rebuild.add_argument("--missing-only", action="store_true", help="only customers that have no match keys yet")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            after = uuid.UUID(options["after"]) if options["after"] else None
        except ValueError:
            raise CommandError("--after takes a customer id (UUID)") from None
        if options["chunk"] < 1:
            raise CommandError("--chunk must be at least 1")
        ctx = system_context(channel="cli")

        def progress(done: int, last: uuid.UUID | None) -> None:
            self.stdout.write(f"{done} customers done; checkpoint {last}")

        done, _last = matching.rebuild(after=after, chunk=options["chunk"], missing_only=options["missing_only"], progress=progress)
        audit.record(
            ctx, "customer.match_keys_rebuilt", object_type="customers.matchkey",
            detail={"customers": done, "missing_only": bool(options["missing_only"]), "resumed": after is not None},
        )  # fmt: skip
        self.stdout.write(f"match keys rebuilt for {done} customers")
