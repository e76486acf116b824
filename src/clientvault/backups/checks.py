"""System check: the per-backup keys are never kept beside the backups (a copy of one must not carry the other)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, register


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


@register()
def backup_keys_apart(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    backups = Path(settings.CLIENTVAULT_BACKUP_DIR).resolve()
    keys = Path(settings.CLIENTVAULT_KEYS_DIR).resolve()
    if _inside(backups, keys) or _inside(keys, backups):
        return [
            Error(
                "CLIENTVAULT_BACKUP_DIR and CLIENTVAULT_KEYS_DIR overlap: backups would be copied with the keys that open them.",
                hint="Put the backups on another path (another volume) than the key directory.",
                id="clientvault.E090",
            )
        ]
    return []
