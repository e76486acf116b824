"""``clientvault audit seal|verify|prove|pubkey|init-key|rotate-key|archive|backfill-nodes``: the tamper-evident trail."""

from __future__ import annotations

import json
import uuid
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clientvault.audit import interior, proofs, sealing, services, signing
from clientvault.audit.models import AuditEvent
from clientvault.core.context import system_context


class Command(BaseCommand):
    help = "Seal, verify and prove the audit trail; manage the checkpoint signing key; archive expired events."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        seal = sub.add_parser("seal", help="seal the events pending now (the worker does this continuously)")
        seal.add_argument("--full", action="store_true", help="also look below the watermark (the daily sweep)")
        verify = sub.add_parser("verify", help="recompute leaves, roots, signatures, the chain and the witness")
        verify.add_argument("--witness", default=None, help="witness file to compare with (default: the configured one)")
        verify.add_argument("--json", action="store_true", help="print the report as JSON")
        prove = sub.add_parser("prove", help="print an inclusion proof for one event (event id, UUID or number)")
        prove.add_argument("event")
        prove.add_argument("--out", default="", help="write the proof to this file instead of standard output")
        sub.add_parser("pubkey", help="print the public keys that verify checkpoints (JSON)")
        sub.add_parser("init-key", help="create the checkpoint signing key if missing")
        sub.add_parser("rotate-key", help="add a new checkpoint signing key; old ones keep verifying")
        sub.add_parser("archive", help="archive events past their retention, with proofs, then remove their rows")
        sub.add_parser("backfill-nodes", help="store the tree's interior nodes for leaves sealed before they were kept (fast proofs)")

    def handle(self, *args: Any, **options: Any) -> None:
        ctx = system_context(channel="cli")
        action = options["action"]
        try:
            if action == "seal":
                sealed = sealing.seal(full=options["full"])
                self.stdout.write(f"sealed {sealed.sealed} event(s) in {sealed.checkpoints} checkpoint(s); tree size {sealed.tree_size}")
            elif action == "verify":
                self._verify(ctx, options)
            elif action == "prove":
                self._prove(options["event"], options["out"])
            elif action == "pubkey":
                self.stdout.write(json.dumps({"algorithm": signing.ALGORITHM, "keys": signing.public_keys_b64()}, indent=2, sort_keys=True))
            elif action == "init-key":
                created = services.init_signing_key(ctx)
                self.stdout.write(("created" if created else "already present") + f": signing key {signing.signer().key_id}")
            elif action == "rotate-key":
                self.stdout.write(f"new signing key {services.rotate_signing_key(ctx)}")
            elif action == "backfill-nodes":
                self.stdout.write(f"{interior.backfill()} interior node(s) stored or already present")
            elif action == "archive":
                result = services.archive_expired(ctx)
                where = f" to {result.archive.file_name}" if result.archive else ""
                self.stdout.write(f"archived {result.events} event(s){where}")
        except signing.SigningKeyMissing as exc:
            raise CommandError(f"signing keyset missing: {exc}. Run `clientvault audit init-key`.") from None

    def _verify(self, ctx: Any, options: dict[str, Any]) -> None:
        report = services.run_verification(ctx, witness=options["witness"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self.stdout.write(
                f"events {report.events}, leaves {report.leaves}, checkpoints {report.checkpoints}, "
                f"archived {report.archived}, pending {report.pending}, witnessed {report.witnessed}"
            )
            for problem in report.problems:
                where = f" at leaf {problem.position}" if problem.position is not None else ""
                self.stdout.write(f"FAIL [{problem.kind}]{where}: {problem.message}")
        if not report.ok:
            raise CommandError(f"audit trail verification FAILED; first bad position: {report.first_bad_position}")
        if not options["json"]:
            self.stdout.write(f"OK: tree size {report.tree_size}, every leaf, root, signature and link verified")

    def _prove(self, reference: str, out: str) -> None:
        event = _find(reference)
        try:
            document = proofs.prove(event)
        except proofs.NotSealed:
            raise CommandError(f"event {event.event_id} is not sealed yet: run `clientvault audit seal`") from None
        text = json.dumps(document, indent=2, ensure_ascii=False)
        if out:
            Path(out).write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"proof written to {out}")
        else:
            self.stdout.write(text)


def _find(reference: str) -> AuditEvent:
    lookup: dict[str, object]
    try:
        lookup = {"event_id": uuid.UUID(reference)} if not reference.isdigit() else {"pk": int(reference)}
    except ValueError:
        raise CommandError(f"{reference!r} is neither an event id (UUID) nor an event number") from None
    event = AuditEvent.objects.filter(**lookup).first()
    if event is None:
        raise CommandError(f"no audit event {reference}")
    return event
