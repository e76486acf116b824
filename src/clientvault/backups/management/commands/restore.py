"""``clientvault restore BACKUP --target URL [--keys-target URL] [--force-live]``: restore into an empty database."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clientvault.backups import dumps, keys
from clientvault.backups import manifest as mf
from clientvault.backups.restore import restore_backup
from clientvault.core.context import system_context
from clientvault.core.errors import DomainError


class Command(BaseCommand):
    help = "Restore a verified backup into an empty database and key store (never the live ones without --force-live)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("backup")
        parser.add_argument("--target", required=True, help="database URL of the empty target (sqlite:///PATH or postgres://…)")
        parser.add_argument("--keys-target", default="", help="database URL of its key store (default: <name>_keys / <stem>-keys.sqlite3)")
        parser.add_argument("--force-live", action="store_true", help="overwrite the LIVE databases (stop every process first)")
        parser.add_argument("--confirm", default="", help="with --force-live: the live database's name, to confirm")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["force_live"]:
            live = dumps.live_target().name
            answer = options["confirm"] or input(f"This overwrites the live database {live}. Type its name to confirm: ")
            if answer.strip() != live:
                raise CommandError("not confirmed: nothing was restored")
        try:
            result = restore_backup(
                ctx=system_context(channel="cli"),
                backup_id=options["backup"],
                target_url=options["target"],
                keys_target_url=options["keys_target"],
                force_live=options["force_live"],
            )
        except (mf.BackupInvalid, keys.BackupKeyMissing, dumps.DumpFailed, ValueError) as exc:
            raise CommandError(str(exc)) from None
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"restored {result.backup_id} into {result.target_url} (key store {result.keys_target_url}: "
            f"{result.keystore_rows} keys, {result.tombstones} tombstones). Run it with DATABASE_URL and "
            "CLIENTVAULT_KEYS_DATABASE_URL set to these, then `clientvault audit verify --witness ''`."
        )
