from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "clientvault.risk"
    label = "risk"
    verbose_name = _("Credit risk")

    def ready(self) -> None:
        from clientvault.customers import lineage
        from clientvault.risk import (
            change_types,
            checkpoints,
            events,  # noqa: F401 - registers the audit event types
        )

        checkpoints.register()  # the asset ledger's credit checkpoints (assets/credit_hooks.py)
        change_types.register()  # risk.limit, risk.terms, risk.hold_release (approvals)

        # A credit file was opened for one record and its scores, notes and evidence are sealed under that record's
        # key: a merge leaves it with that record (the survivor's own file is assessed afresh).
        lineage.exempt("risk.creditfile", "a credit file's sealed scores and notes stay under the key of the record it was opened for")
        # An erasure deletes the file and everything under it (plaintext limits, tier, scores, figures; PIPL-47).
        from clientvault.lifecycle import erasure
        from clientvault.risk.erasure import delete_credit_data

        erasure.delete_with_customer("risk.creditfile", delete_credit_data)

        # PIPL-24 / GDPR-15(1)(h): the explanation of processing names the credit scorecard to every customer it scored.
        from clientvault.core import automated_decisions
        from clientvault.risk.explanation import DECISION_CODE, credit_decisions

        automated_decisions.register(DECISION_CODE, credit_decisions)
