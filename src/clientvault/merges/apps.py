from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MergesConfig(AppConfig):
    name = "clientvault.merges"
    label = "merges"
    verbose_name = _("Merges")

    def ready(self) -> None:
        from clientvault.customers import extensions, lineage
        from clientvault.merges import change_types
        from clientvault.merges.selectors import merged_from

        change_types.register()  # merges.merge and merges.unmerge are decided by a second person
        extensions.add_detail_context("merged_from", merged_from)  # the survivor's page: "merged from …"
        lineage.exempt("merges.merge", "the merge's own lineage row names its survivor")
        # Slice D's duplicate queue records what a scan found about the original records; a merge closes the
        # cluster (dedupe.services.mark_merged) and an unmerge reopens it, the rows themselves stay as found.
        found = "a scan's finding about the original records: the merge closes the cluster, the unmerge reopens it"
        for model in ("dedupe.clustermember", "dedupe.matchpair"):
            lineage.exempt(model, found)
        lineage.exempt("dedupe.dismissedpair", "a 'not duplicates' decision about two original records stays with them")
