"""Helper process for the backup tests: ``python -m clientvault.backups.tests.procs read ID …``.

Runs against the databases its environment names (a restored copy, set up by ``restore.deployment_env``)
and prints, per customer id, the decrypted name or the error that stopped the decryption.
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


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientvault.settings")
    import django

    django.setup()
    if argv[0] == "read":
        print(json.dumps(read(argv[1:]), ensure_ascii=False))
    else:
        raise SystemExit(f"unknown action {argv[0]}")


if __name__ == "__main__":
    main(sys.argv[1:])
