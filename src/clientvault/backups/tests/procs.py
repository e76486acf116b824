"""Helper processes for the backup tests: ``python -m clientvault.backups.tests.procs ACTION …``.

Each runs against the databases its environment names (a restored copy set up by ``restore.deployment_env``,
or a small deployment of a test's own): ``read ID …`` prints each customer's decrypted name or the error that
stopped it; ``setup N`` makes an organisation and N customers and takes a backup; ``shred-then-die ID
STEP [BACKUP]`` first (with BACKUP) purges and prints the backup's state like ``purge-state BACKUP``, then shreds
a customer, runs the purge and kills itself with SIGKILL at STEP; ``read-verify ID …`` reads like ``read`` and
runs ``audit verify`` (one process instead of several: each start costs seconds).
"""

from __future__ import annotations

import json
import os
import sys
import uuid


def read(ids: list[str]) -> dict[str, str]:
    from clientvault.crypto import keystore
    from clientvault.customers import vault
    from clientvault.customers.models import Customer

    out: dict[str, str] = {}
    rows = Customer.objects.unrestricted(reason="backup test reads a restored copy")
    for raw in ids:
        customer = rows.filter(pk=uuid.UUID(raw)).first()
        if customer is None:
            out[raw] = "absent"
            continue
        try:
            out[raw] = str(vault.unseal(customer, ["name"])["name"])
        except (keystore.KeyDestroyed, keystore.KeyMissing) as exc:
            out[raw] = type(exc).__name__
    return out


# step -> (module, function, die before or after it, calls to let through first). The purge first re-records
# the event of the backup's current generation (a no-op once recorded): the event kill point is the call after.
KILL_POINTS = {
    "new-key": ("keys", "create", "after", 0),
    "commit": ("manifest", "write", "before", 0),
    "old-key": ("keys", "destroy", "before", 0),
    "event": ("events", "record_purged", "before", 1),
}


def seed(count: int) -> list[str]:
    from clientvault.testing.customers import customer
    from clientvault.testing.organisation import make_org

    org = make_org()
    return [str(customer(org["rep_bj1"]).pk) for _ in range(count)]


def setup(count: int) -> dict[str, object]:
    from clientvault.backups import services
    from clientvault.core.context import system_context

    ids = seed(count)
    return {"ids": ids, "backup_id": services.create_backup(ctx=system_context(channel="cli"))["backup_id"]}


def read_verify(ids: list[str]) -> dict[str, object]:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("audit", "verify", "--witness", "", stdout=out)
    return {"read": read(ids), "verify": out.getvalue()}


def shred_then_die(customer_id: str, step: str) -> None:
    """Shred a customer (committed), then purge and die with SIGKILL at ``step`` — no cleanup runs."""
    import importlib
    import signal

    from clientvault.backups import purge
    from clientvault.core.context import system_context
    from clientvault.customers.shredding import shred_customer

    shred_customer(ctx=system_context(), customer_id=uuid.UUID(customer_id))
    module_name, name, when, let_through = KILL_POINTS[step]
    module = importlib.import_module(f"clientvault.backups.{module_name}")
    original = getattr(module, name)
    calls = [0]

    def die(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        if calls[0] <= let_through:
            return original(*args, **kwargs)
        if when == "after":
            original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return None

    setattr(module, name, die)
    purge.purge_deleted_from_backups()
    raise SystemExit("the purge did not reach the kill point")


def purge_state(backup_id: str) -> dict[str, object]:
    from clientvault.audit.models import AuditEvent
    from clientvault.backups import keys, keystore_dump, purge, verification
    from clientvault.backups import manifest as mf

    dropped = purge.purge_deleted_from_backups()
    document = mf.read(backup_id)
    with mf.open_keystore(backup_id, document) as src:
        held = sorted(str(c) for c in keystore_dump.held_customers(src, backup_id=backup_id))
    return {
        "dropped": dropped,
        "generation": document["keystore"]["generation"],
        "key_generations": keys.keystore_generations(backup_id),
        "files": sorted(p.name for p in mf.folder(backup_id).glob("keystore.g*.enc")),
        "held": held,
        "verifies": verification.check(backup_id).ok,
        "purged_events": sorted(AuditEvent.objects.filter(event_type="backup.purged").values_list("object_id", flat=True)),
    }


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientvault.settings")
    import django

    django.setup()
    if argv[0] == "read":
        print(json.dumps(read(argv[1:]), ensure_ascii=False))
    elif argv[0] == "seed":
        print(json.dumps(seed(int(argv[1]))))
    elif argv[0] == "setup":
        print(json.dumps(setup(int(argv[1]))))
    elif argv[0] == "read-verify":
        print(json.dumps(read_verify(argv[1:]), ensure_ascii=False))
    elif argv[0] == "shred-then-die":
        if len(argv) > 3:  # the previous kill's state, as the next run (this one) finds it after finishing it
            print(json.dumps(purge_state(argv[3])), flush=True)
        shred_then_die(argv[1], argv[2])
    elif argv[0] == "purge-state":
        print(json.dumps(purge_state(argv[1])))
    else:
        raise SystemExit(f"unknown action {argv[0]}")


if __name__ == "__main__":
    main(sys.argv[1:])
