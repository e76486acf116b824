"""Helper processes for the multi-process key tests: ``python -m clientvault.crypto.tests.procs ACTION``.

Each runs against the databases and keys directory its environment names (a temporary deployment
set up by the test), so rotation, reads and crashes happen in real, separate processes.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

MODEL = "customers.customer"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientvault.settings")
    import django

    django.setup()


def seed(count: int, out: Path) -> None:
    """Give ``count`` customers a key and one sealed field; write their ids and ciphertexts."""
    from clientvault.crypto import cipher, keystore

    ids = [uuid.uuid4() for _ in range(count)]
    keystore.create_customer_keys(ids)
    sealed = {str(cid): base64.b64encode(cipher.encrypt(cid, MODEL, "name", f"客户{cid.hex[:6]}")).decode() for cid in ids}
    out.write_text(json.dumps(sealed), encoding="utf-8")


def read(sealed_path: Path, stop: Path, ready: Path, out: Path) -> None:
    """Read every customer again and again (no cached data keys) until ``stop`` exists, counting failures."""
    from clientvault.crypto import cipher, keyring, keystore

    sealed = {uuid.UUID(k): base64.b64decode(v) for k, v in json.loads(sealed_path.read_text(encoding="utf-8")).items()}
    keyring.loaded()  # hold the keyset as it is now, like a web process that started before the rotation
    ready.write_text("ready", encoding="utf-8")
    reads, failures, errors = 0, 0, set()
    end = time.monotonic() + 600
    while time.monotonic() < end and not stop.exists():
        keystore.cache.clear()
        for cid, ciphertext in sealed.items():
            try:
                assert cipher.decrypt(cid, MODEL, "name", ciphertext) == f"客户{cid.hex[:6]}"
                reads += 1
            except Exception as exc:  # a failed request
                failures += 1
                errors.add(f"{type(exc).__name__}: {exc}")
    out.write_text(json.dumps({"reads": reads, "failures": failures, "errors": sorted(errors)[:5]}), encoding="utf-8")


def _die_after_batches(n: int) -> None:
    """Kill this process with SIGKILL right after its ``n``-th re-wrap batch has committed (0: inside
    the first batch, before it commits)."""
    from clientvault.crypto import keystore

    original = keystore._rewrap_batch
    seen = [0]

    def batch_then_die(*args: Any, **kwargs: Any) -> int:
        if n == 0:
            os.kill(os.getpid(), signal.SIGKILL)
        done = original(*args, **kwargs)
        seen[0] += 1
        if seen[0] >= n:
            os.kill(os.getpid(), signal.SIGKILL)
        return done

    keystore._rewrap_batch = batch_then_die  # type: ignore[assignment]


def main(argv: list[str]) -> None:
    _setup()
    action = argv[0]
    if action == "seed":
        seed(int(argv[1]), Path(argv[2]))
    elif action == "read":
        read(Path(argv[1]), Path(argv[2]), Path(argv[3]), Path(argv[4]))
    elif action == "rotate-and-die":  # `keys rotate --now`, killed -9 mid re-wrap
        from django.core.management import call_command

        _die_after_batches(1)
        call_command("keys", "rotate", "--now", "--batch", argv[1])
    elif action == "worker-and-die":  # a worker killed -9 while it runs the background re-wrap
        from django.core.management import call_command

        _die_after_batches(0)
        call_command("worker", "--batch", "--no-seal", "--no-schedule")
    else:
        raise SystemExit(f"unknown action {action}")


if __name__ == "__main__":
    main(sys.argv[1:])
