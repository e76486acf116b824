"""``clientvault backup [--out DIR] | verify BACKUP | list | purge``: encrypted, verifiable backups (issue #15)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clientvault.audit import signing
from clientvault.backups import dumps, keys, services
from clientvault.backups import manifest as mf
from clientvault.core.context import system_context
from clientvault.core.errors import DomainError


class Command(BaseCommand):
    help = "Take an encrypted backup (data database + key store kept apart), or verify, list and purge backups."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--out", default="", help="write the backup into this folder (default: CLIENTVAULT_BACKUP_DIR)")
        sub = parser.add_subparsers(dest="action")
        verify = sub.add_parser("verify", help="check the signature, the hashes, and decrypt both streams")
        verify.add_argument("backup")
        sub.add_parser("list", help="the backups held (JSON)")
        sub.add_parser("purge", help="re-wrap key-store backups without deleted customers; destroy expired ones")
        load = sub.add_parser("load-keystore", help="(used by `restore`) load a backup's key store into this deployment's")
        load.add_argument("backup")
        load.add_argument("--empty", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        ctx = system_context(channel="cli")
        action = options["action"]
        try:
            if action is None:
                document = services.create_backup(ctx=ctx, out=Path(options["out"]) if options["out"] else None)
                self.stdout.write(
                    f"backup {document['backup_id']} written to {mf.folder(document['backup_id'])}: "
                    f"{document['data']['size']} bytes of data, {document['keystore']['rows']} customer keys. "
                    f"Its keys are in {keys.folder(document['backup_id'])}: keep that folder out of the backup copies."
                )
            elif action == "verify":
                report = services.verify_backup(ctx=ctx, backup_id=options["backup"])
                for problem in report.problems:
                    self.stdout.write(f"FAIL: {problem}")
                if not report.ok:
                    raise CommandError(f"backup {options['backup']} does NOT verify")
                self.stdout.write(f"OK: backup {options['backup']} verifies ({report.data_bytes} bytes, {report.keystore_rows} keys)")
            elif action == "list":
                self.stdout.write(json.dumps(services.list_backups(), indent=2))
            elif action == "purge":
                self.stdout.write(f"{services.purge_deleted_from_backups()} deleted customer key(s) removed from key-store backups")
            elif action == "load-keystore":
                from clientvault.backups.restore import load_keystore_here

                self.stdout.write(json.dumps(load_keystore_here(options["backup"], empty=options["empty"])))
        except (mf.BackupInvalid, keys.BackupKeyMissing, dumps.DumpFailed, signing.SigningKeyMissing, ValueError) as exc:
            raise CommandError(str(exc)) from None
        except DomainError as exc:
            raise CommandError(str(exc)) from None
