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

# The risk desk (slice "desk"): lists reveal each listed customer's file (one event per file shown); the portfolio and
# the monthly report are aggregates (one event each, no customer, no fields: who looked at the book, for which purpose).
register("credit.files_listed", _("Credit file listed"), "read")
register("credit.reviews_listed", _("Credit review due listed"), "read")
register("credit.portfolio_viewed", _("Credit portfolio viewed (aggregates)"), "read")
register("credit.report_viewed", _("Monthly risk report viewed (aggregates)"), "read")
