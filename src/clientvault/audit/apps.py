from __future__ import annotations

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "clientvault.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from clientvault.audit import (
            checks,  # noqa: F401 - registers the system checks
            recording,
        )
        from clientvault.audit.append_only import register_sqlite_function
        from clientvault.core import auditing

        auditing.register(recording)  # the layers below audit record through core.auditing (issue #12)

        connection_created.connect(register_sqlite_function, dispatch_uid="clientvault.audit.sqlite_function")
