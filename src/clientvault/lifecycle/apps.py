from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifecycleConfig(AppConfig):
    name = "clientvault.lifecycle"
    label = "lifecycle"
    verbose_name = _("Data lifecycle")

    def ready(self) -> None:
        from clientvault.core import events
        from clientvault.customers import lineage
        from clientvault.lifecycle import change_types, sweep

        change_types.register()
        lineage.exempt("lifecycle.legalhold", "a legal hold names the record it was placed on (its legal reference says which)")
        lineage.exempt("lifecycle.erasure", "an erasure is about the record it erased")
        lineage.exempt("lifecycle.deletioncertificate", "a signed certificate names the record erased; it never changes")
        lineage.exempt("lifecycle.sweepcandidate", "a sweep mark about one record; the merged-away record is out of the sweep")
        # PIPL-47: a withdrawn consent may leave data without a purpose; the sweep takes it from there.
        events.subscribe("consent.changed", sweep.note_withdrawal)
