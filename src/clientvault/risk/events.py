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

# Explanation and human review of automated credit decisions (PIPL-24, GDPR-22): ids and codes only, never the
# customer's view, the reviewer's note or a tier.
register("credit.explanation_viewed", _("Customer viewed the explanation of their credit decision"), "read")
register("credit.human_review_requested", _("Customer asked for a person to review a credit decision"), "write")
register("credit.human_review_viewed", _("Human review case of a credit decision viewed"), "read")
register("credit.human_review_completed", _("Human review of a credit decision completed"), "write")
