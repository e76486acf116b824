"""Route the key store to its own database (``keys``).

One crypto model lives in the data database: ``KeyDestruction``, the intent to destroy a key, which
must commit atomically with the audit event that records the destruction.
"""

from __future__ import annotations

from typing import Any

KEYS_DB = "keys"
_APP = "crypto"
_IN_DEFAULT_DB = frozenset({"keydestruction"})


def _in_key_store(app_label: str, model_name: str | None) -> bool:
    return app_label == _APP and (model_name or "").lower() not in _IN_DEFAULT_DB


def _model_in_key_store(model: Any) -> bool:
    return _in_key_store(model._meta.app_label, model._meta.model_name)


class KeyStoreRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return KEYS_DB if _model_in_key_store(model) else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return KEYS_DB if _model_in_key_store(model) else None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        first, second = _model_in_key_store(obj1), _model_in_key_store(obj2)
        if first or second:
            return first == second
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        if app_label == _APP:
            return (db == KEYS_DB) == _in_key_store(app_label, model_name)
        return db != KEYS_DB
