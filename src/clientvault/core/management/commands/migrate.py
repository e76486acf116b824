"""``clientvault migrate``: Django's migrate, over every configured database (data and key store)
unless ``--database`` names one. The key store goes first: data migrations may need keys."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import DEFAULT_DB_ALIAS


class Command(DjangoMigrate):
    help = "Migrate the data database and the key store (or only the one named with --database)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(database=None)  # None = every database; an explicit alias = just that one

    def execute(self, *args: Any, **options: Any) -> Any:
        if options.get("database"):
            result = super().execute(*args, **options)
            self._seed(options)
            return result
        for alias in sorted(settings.DATABASES, key=lambda alias: alias != "keys"):
            super().execute(*args, **{**options, "database": alias})
            self._seed({**options, "database": alias})
        return None

    def _seed(self, options: dict[str, Any]) -> None:
        """Catalogues seeded outside data migrations (``core.seeding.AFTER_MIGRATE``), on the data database."""
        if options.get("database") != DEFAULT_DB_ALIAS or options.get("plan") or options.get("check_unapplied"):
            return
        from clientvault.core.seeding import seed_after_migrate

        seed_after_migrate()
