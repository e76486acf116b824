"""``clientvault restore``: a verified backup into an empty database and an empty key store.

The data database is restored natively (SQLite file / ``pg_restore``); the key store's rows are loaded by a
``clientvault backup load-keystore`` process whose settings name the restored pair (``DATABASE_URL`` and
``CLIENTVAULT_KEYS_DATABASE_URL``), so the copy is migrated and filled exactly as a deployment of it would
be. A non-empty target is refused; the live databases are never overwritten unless ``force_live`` (the
command asks for the database's name as confirmation). The act is audited on the live system.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, transaction
from django.utils.translation import gettext as _

from clientvault.audit import recording as audit
from clientvault.backups import dumps, events, keys, locks
from clientvault.backups import manifest as mf
from clientvault.backups.verification import check
from clientvault.core.context import Context
from clientvault.core.errors import DomainError


class RestoreRefused(DomainError):
    code = "restore_refused"
    status = 409


@dataclass(frozen=True)
class Restored:
    backup_id: str
    target_url: str
    keys_target_url: str
    keystore_rows: int
    tombstones: int


def _redacted(target: dumps.Target) -> str:
    return dumps.Target(target.vendor, target.name, target.host, target.port, target.user).url()


def restore_backup(
    *, ctx: Context, backup_id: str, target_url: str, keys_target_url: str = "", force_live: bool = False, with_keystore: bool = True
) -> Restored:
    """Restore a backup into ``target_url`` (and its key store into ``keys_target_url``, by default beside it).

    ``with_keystore=False`` restores the data alone into an empty, migrated key store: what someone holding
    only a data backup would get (every customer field unreadable)."""
    events.require_backup_operator(ctx)
    with locks.backups_lock(exclusive=False):
        report = check(backup_id)
        if not report.ok:
            raise RestoreRefused(_("The backup does not verify: %(problems)s") % {"problems": "; ".join(report.problems)})
        document = mf.read(backup_id)
        if with_keystore and document["keystore"].get("destroyed_at"):
            raise RestoreRefused(_("The key-store backup of this backup was destroyed (retention)."))
        target = dumps.Target.parse(target_url)
        live, live_keys = dumps.live_target("default"), dumps.live_target("keys")
        if keys_target_url:
            keys_target = dumps.Target.parse(keys_target_url)
        else:  # beside the target; over the live data database, the live key store (never a stray third file)
            keys_target = live_keys if target.same_database(live) else target.keys_companion()
        touches_live = any(t.same_database(lv) for t in (target, keys_target) for lv in (live, live_keys))
        if touches_live and not force_live:
            raise RestoreRefused(_("The target is the live database: restoring over it needs --force-live."))
        if not touches_live and not (dumps.is_empty(target) and dumps.is_empty(keys_target)):
            raise RestoreRefused(_("The target database or key store is not empty."))
        if touches_live:
            connections.close_all()
        dumps.prepare(target, wipe=touches_live)
        dumps.prepare(keys_target, wipe=touches_live)
        data = document["data"]
        with (
            open(mf.folder(backup_id) / data["file"], "rb") as raw,
            keys.load(backup_id, keys.DATA).new_decrypting_stream(raw, keys.associated_data(backup_id, keys.DATA)) as source,
        ):
            dumps.restore(target, source, str(document["vendor"]))
        loaded = _load_keystore(backup_id, target, keys_target, with_keystore=with_keystore)
    result = Restored(backup_id, _redacted(target), _redacted(keys_target), int(loaded["keys"]), int(loaded["tombstones"]))
    with transaction.atomic():
        audit.record(
            ctx,
            "backup.restored",
            object_type="backups.backup",
            object_id=backup_id,
            detail={
                "vendor": target.vendor,
                "keystore_rows": result.keystore_rows,
                "tombstones": result.tombstones,
                "keystore_generation": document["keystore"]["generation"],
                "with_keystore": with_keystore,
                "force_live": force_live,
            },
        )
    return result


def deployment_env(target: dumps.Target, keys_target: dumps.Target) -> dict[str, str]:
    """The environment of a process whose settings name the restored pair (same keys directory and master key)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CLIENTVAULT_KEYS_DATABASE_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "clientvault.settings",
            "CLIENTVAULT_ENV": settings.CLIENTVAULT_ENV,
            "DATABASE_URL": target.url(),
            "CLIENTVAULT_KEYS_DATABASE_URL": keys_target.url(),
            "CLIENTVAULT_KEYS_DIR": str(settings.CLIENTVAULT_KEYS_DIR),
            "CLIENTVAULT_MASTER_KEY": str(settings.CLIENTVAULT_MASTER_KEY),
            "CLIENTVAULT_AUDIT_SIGNING_KEYSET": str(settings.CLIENTVAULT_AUDIT_SIGNING_KEYSET),
            "CLIENTVAULT_BACKUP_DIR": str(settings.CLIENTVAULT_BACKUP_DIR),
            # The witness holds the live log's later checkpoints: a restored older copy is compared without it.
            "CLIENTVAULT_AUDIT_WITNESS": "",
        }
    )
    return env


def _load_keystore(backup_id: str, target: dumps.Target, keys_target: dumps.Target, *, with_keystore: bool) -> dict[str, int]:
    args = [sys.executable, "-m", "clientvault", "backup", "load-keystore", backup_id]
    if not with_keystore:
        args.append("--empty")
    done = subprocess.run(args, env=deployment_env(target, keys_target), capture_output=True, text=True, check=False, timeout=3600)
    if done.returncode != 0:
        raise dumps.DumpFailed(f"loading the key store failed: {done.stderr.strip()[-1000:]}")
    result: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def load_keystore_here(backup_id: str, *, empty: bool = False) -> dict[str, int]:
    """In the ``load-keystore`` process: migrate this deployment's (empty) key store and load the backup's rows."""
    from django.core.management import call_command

    from clientvault.backups import keystore_dump
    from clientvault.crypto.models import CustomerKey, ShreddedKey
    from clientvault.crypto.router import KEYS_DB

    call_command("migrate", "crypto", database=KEYS_DB, verbosity=0, interactive=False)  # the key store holds crypto alone
    if CustomerKey.objects.exists() or ShreddedKey.objects.exists():
        raise RestoreRefused(_("The target database or key store is not empty."))
    if empty:
        return {"keys": 0, "tombstones": 0}
    document = mf.read(backup_id)
    if not mf.signature_ok(document):
        raise RestoreRefused(_("The backup does not verify: %(problems)s") % {"problems": "manifest signature"})
    with mf.open_keystore(backup_id, document) as source:
        counts = keystore_dump.load(source, backup_id=backup_id)
    return {"keys": counts.keys, "tombstones": counts.tombstones}
