from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "clientvault.approvals"
    label = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        # The SLA counts the working-day calendar's days where it covers the year, Monday–Friday elsewhere
        # (issue #15). Approvals sit above calendars in the layers: approvals imports calendars, never the reverse.
        from clientvault.approvals import workdays
        from clientvault.calendars.services import known_working_day

        workdays.set_day_source(known_working_day)
