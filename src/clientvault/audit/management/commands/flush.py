"""``flush`` for development, test and demo: empties the audit tables too, and refuses production.

Django's own ``flush`` would meet the append-only triggers; this one enters the ``flush``
maintenance mode for its connection (``audit/append_only.py``). Production never flushes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlush

from clientvault.audit.append_only import maintenance


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("flush is refused in production: the audit trail is never emptied")
        with maintenance("flush", using=options["database"]):
            super().handle(**options)
