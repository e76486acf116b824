from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    name = "clientvault.rights"
    label = "rights"
    verbose_name = _("Data-subject rights")

    def ready(self) -> None:
        from clientvault.customers import lineage
        from clientvault.rights import (
            checks,  # noqa: F401 - registers the system checks
            hooks,
            package_requests,  # noqa: F401 - registers the access package's requests section
        )

        # A request was made about one record: after a merge it stays with that record (its sealed values are
        # under that record's key, and its subject_id is the key's name).
        lineage.exempt("rights.rightsrequest", "a request was made about one record; its sealed values stay under that record's key")
        from clientvault.customers import permissions
        from clientvault.rights.fulfilment import correction_in_progress

        permissions.bind_write_purpose("rights_request", correction_in_progress)  # PIPL-46: corrections only from fulfilment
        hooks.connect_calendar()  # open deadlines are recomputed when the working-day calendar changes
