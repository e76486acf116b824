"""Route the key store to its own database (``keys``); nothing else goes there."""

from __future__ import annotations

from typing import Any

KEYS_DB = "keys"
_APP = "crypto"


class KeyStoreRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return KEYS_DB if model._meta.app_label == _APP else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return KEYS_DB if model._meta.app_label == _APP else None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        if _APP in (obj1._meta.app_label, obj2._meta.app_label):
            return bool(obj1._meta.app_label == obj2._meta.app_label)
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        if app_label == _APP:
            return db == KEYS_DB
        return db != KEYS_DB
