"""The audit event types of the credit-risk app (issue #16), registered when the app loads.

Every write of a credit file records one of the "write" events in its transaction; every response that shows a
credit file, a score, a hold note, a review note or warning evidence records a "read" event with the fields shown.
Slices add their own below, grouped.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clientvault.audit.registry import register

# Credit files, scores, holds, limits, terms, reviews
register("credit.file_opened", _("Credit file opened"), "write")
register("credit.file_viewed", _("Credit file viewed"), "read")
register("credit.scored", _("Customer credit-scored"), "write")
register("credit.score_viewed", _("Credit score and reasons viewed"), "read")
register("credit.hold_placed", _("Credit hold placed"), "write")
register("credit.hold_released", _("Credit hold released"), "write")

# Credit control (files slice): an evaluation of the rules (figures and fired rule codes, no values in the event)
register("credit.evaluated", _("Credit-control rules evaluated"), "write")
# Limits, payment terms and periodic reviews (slice "limits")
register("credit.limit_set", _("Credit limit set"), "write")
register("credit.terms_changed", _("Payment terms changed"), "write")
register("credit.review_opened", _("Credit review opened"), "write")
register("credit.review_completed", _("Credit review completed"), "write")
# Early warning and score stability (slice "warnings")
register("credit.warning_raised", _("Early warning raised"), "write")
register("credit.warning_acknowledged", _("Early warning acknowledged"), "write")
register("credit.warning_closed", _("Early warning closed"), "write")
register("credit.warning_review_opened", _("Review opened for a critical early warning"), "write")
register("credit.warnings_listed", _("Early-warning queue viewed"), "read")
register("credit.warning_viewed", _("Early warning and its evidence viewed"), "read")
register("credit.external_check", _("External indicators checked"), "write")
register("credit.stability_checked", _("Score stability checked"), "write")
register("credit.stability_alert", _("Score stability alert"), "write")
# The risk desk (slice "desk"): lists reveal each listed customer's file (one event per file shown); the portfolio and
# the monthly report are aggregates (one event each, no customer, no fields: who looked at the book, for which purpose).
register("credit.files_listed", _("Credit file listed"), "read")
register("credit.reviews_listed", _("Credit review due listed"), "read")
register("credit.portfolio_viewed", _("Credit portfolio viewed (aggregates)"), "read")
register("credit.report_viewed", _("Monthly risk report viewed (aggregates)"), "read")
# Explanation and human review of automated credit decisions (PIPL-24, GDPR-22): ids and codes only, never the
# customer's view, the reviewer's note or a tier.
register("credit.explanation_viewed", _("Customer viewed the explanation of their credit decision"), "read")
register("credit.human_review_requested", _("Customer asked for a person to review a credit decision"), "write")
register("credit.human_review_viewed", _("Human review case of a credit decision viewed"), "read")
register("credit.human_review_completed", _("Human review of a credit decision completed"), "write")
# The credit-control catalogues (risk/rule_catalogue.py): every version is one event; a change that loosens control
# waits for a second risk officer (rule 12), its proposal and decision each one event.
register("credit.rule_created", _("Credit-control rule created"), "write")
register("credit.rule_changed", _("Credit-control rule changed"), "write")
register("credit.rule_change_proposed", _("Credit-control rule change proposed"), "write")
register("credit.rule_change_approved", _("Credit-control rule change approved"), "write")
register("credit.rule_change_rejected", _("Credit-control rule change rejected"), "write")
register("credit.tier_policy_changed", _("Tier policy changed"), "write")
register("credit.tier_policy_change_proposed", _("Tier policy change proposed"), "write")
register("credit.tier_policy_change_approved", _("Tier policy change approved"), "write")
register("credit.tier_policy_change_rejected", _("Tier policy change rejected"), "write")
# A ledger checkpoint's refusal (assets/credit_hooks.py): the blocked posting rolled back, its refusal stays — who,
# which customer, which checkpoint and rule codes (outcome denied, never an amount).
register("credit.checkpoint_blocked", _("Credit control blocked a new loan or a drawdown"), "write")
