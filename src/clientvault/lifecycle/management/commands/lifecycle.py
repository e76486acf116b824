"""``clientvault lifecycle certificate-key|sweep|certificate``: publish the key that verifies deletion certificates,
run the retention sweep now, write one certificate to a file (JSON or PDF)."""

from __future__ import annotations

import json
import uuid
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clientvault.audit import recording as audit
from clientvault.core.context import system_context
from clientvault.lifecycle import certificates, sweep
from clientvault.lifecycle.models import DeletionCertificate


class Command(BaseCommand):
    help = "Deletion certificates' public key, the retention sweep, certificate files."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("certificate-key", help="print the Ed25519 public keys (base64, by key id) that verify deletion certificates")
        sub.add_parser("sweep", help="run the retention sweep now (the worker runs it daily)")
        cert = sub.add_parser("certificate", help="write a deletion certificate to a file")
        cert.add_argument("certificate_id")
        cert.add_argument("--out", required=True)
        cert.add_argument("--pdf", action="store_true", help="the readable PDF instead of the signed JSON")
        cert.add_argument("--language", default="zh-hans")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "certificate-key":
            self.stdout.write(json.dumps({"algorithm": "Ed25519", "keys": certificates.public_key_b64()}, indent=2))
        elif action == "sweep":
            self.stdout.write(json.dumps(sweep.sweep(ctx=system_context(channel="cli"))))
        else:
            try:
                cert = DeletionCertificate.objects.get(pk=uuid.UUID(options["certificate_id"]))
            except (ValueError, DeletionCertificate.DoesNotExist):
                raise CommandError("no such certificate") from None
            ctx = system_context(channel="cli")
            with transaction.atomic():
                fmt = "pdf" if options["pdf"] else "json"
                audit.record(ctx, "lifecycle.certificate_viewed", obj=cert, customer_id=cert.customer_id, detail={"format": fmt})
            if options["pdf"]:
                from clientvault.lifecycle.pdf import render_pdf

                Path(options["out"]).write_bytes(render_pdf(cert, options["language"]))
            else:
                Path(options["out"]).write_text(json.dumps(certificates.as_file(cert), ensure_ascii=False, indent=2), encoding="utf-8")
            self.stdout.write(f"written: {options['out']}")
