from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentsConfig(AppConfig):
    name = "clientvault.consents"
    label = "consents"
    verbose_name = _("Consents")

    def ready(self) -> None:
        from clientvault.access import facts
        from clientvault.consents.enforcement import ConsentFacts

        # The access layer takes consent state as an input fact; it never imports this app (rule 5).
        facts.register_consent(ConsentFacts())
