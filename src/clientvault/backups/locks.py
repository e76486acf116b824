"""One lock over the backups: taking, reading or restoring a backup shares it; the purge holds it alone.

So the purge never destroys the key of a backup being written (its folder is still ``.partial-``) or read,
and a folder it finds ``.partial-`` under the exclusive lock was left by a process that died.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings


@contextmanager
def backups_lock(*, exclusive: bool) -> Iterator[None]:
    folder = Path(settings.CLIENTVAULT_KEYS_DIR) / "backups"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
