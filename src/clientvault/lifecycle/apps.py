from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifecycleConfig(AppConfig):
    name = "clientvault.lifecycle"
    label = "lifecycle"
    verbose_name = _("Data lifecycle")

    def ready(self) -> None:
        from clientvault.core import events
        from clientvault.lifecycle import change_types, sweep

        change_types.register()
        # PIPL-47: a withdrawn consent may leave data without a purpose; the sweep takes it from there.
        events.subscribe("consent.changed", sweep.note_withdrawal)
