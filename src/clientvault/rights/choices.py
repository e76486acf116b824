"""The vocabulary of data-subject requests (issue #15): kinds, channels, states, refusal codes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access and copy")
    PORTABILITY = "portability", _("Portability")
    CORRECTION = "correction", _("Correction")
    DELETION = "deletion", _("Deletion")
    RESTRICTION = "restriction", _("Restriction of processing")
    EXPLANATION = "explanation", _("Explanation of processing")
    WITHDRAWAL = "withdrawal", _("Withdrawal of consent")
    # PIPL-24 / GDPR-22(3): a person reviews an automated decision. Opened with the review it asks for, by the app that
    # made the decision (risk.human_review.open_human_review), never from the generic request forms (LINKED_KINDS).
    HUMAN_REVIEW = "human_review", _("Human review of an automated decision")


class RequestChannel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    COUNTER = "counter", _("At the counter")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")
    API = "api", _("API")


# APP-15WD: online channels (app, web, API, e-mail) answer within 15 working days; the rest within 30 days [M].
ONLINE_CHANNELS = frozenset({RequestChannel.PORTAL, RequestChannel.EMAIL, RequestChannel.API})
STAFF_CHANNELS = (RequestChannel.COUNTER, RequestChannel.PHONE, RequestChannel.LETTER, RequestChannel.EMAIL)


class Jurisdiction(models.TextChoices):
    CN = "CN", _("China (PIPL)")
    EU = "EU", _("European Union (GDPR)")


class Status(models.TextChoices):
    VERIFYING = "verifying", _("Verifying identity")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for a decision")
    DONE = "done", _("Done")
    RESTRICTED = "restricted", _("Restricted instead of deleted")
    REFUSED = "refused", _("Refused")


OPEN_STATUSES = (Status.VERIFYING, Status.IN_PROGRESS, Status.WAITING)
CLOSED_STATUSES = (Status.DONE, Status.RESTRICTED, Status.REFUSED)


class VerificationMethod(models.TextChoices):
    PORTAL_CODE = "portal_code", _("One-time code at portal sign-in")
    ID_DOCUMENT = "id_document", _("ID document checked at the counter")
    CALL_BACK = "call_back", _("Call-back to the mobile on record")
    SIGNED_LETTER = "signed_letter", _("Signed letter with a copy of the ID document")
    EMAIL_ON_RECORD = "email_on_record", _("Reply from the e-mail on record")


class PartKind(models.TextChoices):
    PACKAGE_PDF = "package_pdf", _("Access package (PDF)")
    PACKAGE_JSON = "package_json", _("Access package (JSON)")
    PACKAGE_CSV = "package_csv", _("Access package (CSV)")
    CORRECTION = "correction", _("Correction")
    ERASURE = "erasure", _("Deletion")
    RESTRICTION = "restriction", _("Restriction of processing")
    EXPLANATION = "explanation", _("Explanation of processing")
    WITHDRAWAL = "withdrawal", _("Withdrawal of consent")
    HUMAN_REVIEW = "human_review", _("Human review of an automated decision")


PARTS_OF: dict[str, tuple[str, ...]] = {
    RequestKind.ACCESS: (PartKind.PACKAGE_PDF, PartKind.PACKAGE_JSON, PartKind.PACKAGE_CSV),
    # GDPR-20 / NDSR-25: machine-readable formats.
    RequestKind.PORTABILITY: (PartKind.PACKAGE_JSON, PartKind.PACKAGE_CSV),
    RequestKind.CORRECTION: (PartKind.CORRECTION,),
    RequestKind.DELETION: (PartKind.ERASURE,),
    RequestKind.RESTRICTION: (PartKind.RESTRICTION,),
    RequestKind.EXPLANATION: (PartKind.EXPLANATION,),
    RequestKind.WITHDRAWAL: (PartKind.WITHDRAWAL,),
    RequestKind.HUMAN_REVIEW: (PartKind.HUMAN_REVIEW,),
}
# Kinds another app opens together with its own record (the review of an automated decision): the generic intake
# (portal form, staff form, API) refuses them, and their part is done by a person through that app
# (``fulfilment.complete_linked_part``), never by the worker.
LINKED_KINDS = frozenset({RequestKind.HUMAN_REVIEW})
LINKED_PARTS = frozenset({PartKind.HUMAN_REVIEW})
DOWNLOADABLE = frozenset({PartKind.PACKAGE_PDF, PartKind.PACKAGE_JSON, PartKind.PACKAGE_CSV, PartKind.EXPLANATION})


class PartStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    WAITING = "waiting", _("Waiting")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    REFUSED = "refused", _("Refused")


class RefusalCode(models.TextChoices):
    """PIPL-50: a refusal gives its reason (code and text); GDPR-12(4): and mentions the right to complain."""

    IDENTITY_NOT_VERIFIED = "identity_not_verified", _("Identity could not be verified")
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded", _("Manifestly unfounded or excessive")
    LEGAL_OBLIGATION = "legal_obligation", _("A legal obligation requires us to keep or process the data")
    OTHERS_RIGHTS = "others_rights", _("It would harm the rights of others")
    NOT_HELD = "not_held", _("We hold no such data")
    PORTABILITY_CONDITIONS = "portability_conditions", _("The conditions for portability are not met (NDSR-25)")
    OTHER = "other", _("Other reason")


class DeadlineUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("Working days")
    CALENDAR_DAYS = "calendar_days", _("Calendar days")
    MONTHS = "months", _("Months")


CALENDAR_NOT_COVERED = "calendar_not_covered"
