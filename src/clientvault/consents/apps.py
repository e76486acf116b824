from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentsConfig(AppConfig):
    name = "clientvault.consents"
    label = "consents"
    verbose_name = _("Consents")

    def ready(self) -> None:
        from clientvault.access import facts
        from clientvault.consents import repointers
        from clientvault.consents.enforcement import ConsentFacts
        from clientvault.consents.selectors import badges
        from clientvault.customers import extensions

        # The access layer takes consent state as an input fact; it never imports this app (rule 5).
        facts.register_consent(ConsentFacts())
        extensions.add_detail_context("consent_badges", badges)  # the record header's badges (customers/detail.html)
        repointers.register()  # issue #14: consents follow a merge (carried over; see the module)
