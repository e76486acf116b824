from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "clientvault.intake"
    label = "intake"
    verbose_name = _("Customer import")

    def ready(self) -> None:
        from clientvault.customers import extensions, lineage
        from clientvault.intake import panels, undo

        undo.register()
        # Provenance is a fact about the original record: after a merge it stays with the merged-away row (lineage).
        lineage.exempt("intake.importedrecord", "provenance stays with the original record it was imported as")
        extensions.add_detail_context("import_provenance", panels.customer_provenance)  # customers/detail.html
