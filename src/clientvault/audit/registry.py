"""The registry of audit event types: dotted names, registered once, with zh/en labels.

Recording an unregistered type is a programming error and fails loudly (and so does the action).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class EventType:
    name: str
    label: str | Promise
    # "read" events reveal data, "write" events change it, "security" are about accounts.
    kind: str


EVENT_TYPES: dict[str, EventType] = {}


def register(name: str, label: str | Promise, kind: str) -> EventType:
    if name in EVENT_TYPES:
        raise ValueError(f"audit event type {name!r} registered twice")
    if kind not in {"read", "write", "security"}:
        raise ValueError(f"unknown audit event kind {kind!r}")
    event = EventType(name=name, label=label, kind=kind)
    EVENT_TYPES[name] = event
    return event


def get(name: str) -> EventType:
    try:
        return EVENT_TYPES[name]
    except KeyError:
        raise LookupError(f"audit event type {name!r} is not registered") from None


# Accounts and sessions
register("auth.login", _("Signed in"), "security")
register("auth.login_failed", _("Sign-in failed"), "security")
register("auth.logout", _("Signed out"), "security")
register("auth.mfa_verified", _("Second factor verified"), "security")
register("auth.mfa_failed", _("Second factor failed"), "security")
register("auth.mfa_enrolled", _("Authenticator enrolled"), "security")
register("auth.password_changed", _("Password changed"), "security")
register("user.created", _("User created"), "security")
register("user.updated", _("User updated"), "security")
register("user.deactivated", _("User deactivated"), "security")
register("user.reactivated", _("User reactivated"), "security")
register("user.unlocked", _("User unlocked"), "security")
register("user.password_reset", _("Password reset by an administrator"), "security")
register("user.mfa_reset_requested", _("Second-factor reset requested"), "security")
register("user.mfa_reset_cancelled", _("Second-factor reset turned down"), "security")
register("user.mfa_reset", _("Second factor reset"), "security")
register("apitoken.created", _("API token created"), "security")
register("apitoken.revoked", _("API token revoked"), "security")
# Customers
register("customer.created", _("Customer created"), "write")
register("customer.updated", _("Customer updated"), "write")
register("customer.deleted", _("Customer deleted"), "write")
register("customer.viewed", _("Customer viewed"), "read")
register("customer.listed", _("Customer list viewed"), "read")
register("customer.duplicates_shown", _("Possible duplicate customers shown"), "read")
register("customer.match_keys_rebuilt", _("Duplicate-matching keys rebuilt"), "write")
register("followup.created", _("Follow-up recorded"), "write")
register("followup.updated", _("Follow-up corrected"), "write")
register("followup.deleted", _("Follow-up deleted"), "write")
register("followup.listed", _("Follow-ups viewed"), "read")
# Customer assets and their ledger (issue #13)
register("asset.opened", _("Asset opened"), "write")
register("asset.moved", _("Asset balance moved"), "write")
register("asset.pledged", _("Asset pledged"), "write")
register("asset.released", _("Pledge released"), "write")
register("asset.terms_changed", _("Asset terms changed"), "write")
register("asset.closed", _("Asset closed"), "write")
register("asset.viewed", _("Assets viewed"), "read")
register("asset.ledger_viewed", _("Asset ledger viewed"), "read")
register("asset.totals_viewed", _("Asset totals viewed"), "read")
# Batch duplicate detection (issue #14): one event per scan for the bulk decryption inside the worker; the
# review queue, a cluster's evidence (one event per member shown), dismissals and merge outcomes.
register("duplicates.scanned", _("Duplicate scan run"), "read")
register("duplicates.listed", _("Duplicate queue viewed"), "read")
register("duplicates.viewed", _("Duplicate cluster evidence viewed"), "read")
register("duplicates.dismissed", _("Duplicates dismissed"), "write")
register("duplicates.merged", _("Duplicate cluster merged"), "write")
register("duplicates.reopened", _("Duplicate cluster reopened"), "write")
register("duplicates.exported", _("Duplicate clusters exported"), "read")
# Merge and unmerge (issue #14): one event per record merged or restored (with the merge id); the side-by-side
# comparison of the records (a read of each one shown); the lineage page; survivorship rule versions.
register("customer.merged", _("Customer merged"), "write")
register("customer.unmerged", _("Customer merge undone"), "write")
register("merge.compared", _("Records compared for a merge"), "read")
register("merge.viewed", _("Merge viewed"), "read")
register("merge.proposed", _("Merge proposed"), "write")
register("merge.unmerge_proposed", _("Unmerge proposed"), "write")
register("survivorship.changed", _("Survivorship rule changed"), "write")
register("survivorship.change_proposed", _("Survivorship rule change proposed"), "write")
register("survivorship.change_approved", _("Survivorship rule change approved"), "write")
register("survivorship.change_rejected", _("Survivorship rule change rejected"), "write")
register("asset.alert_raised", _("Asset alert raised"), "write")
register("asset.alert_acknowledged", _("Asset alert acknowledged"), "write")
register("fxrate.recorded", _("Exchange rate recorded"), "write")
register("customfield.created", _("Custom field defined"), "write")
register("customfield.updated", _("Custom field changed"), "write")
register("crypto.keys_initialised", _("Keysets created"), "security")
register("crypto.keys_rotated", _("Key-encryption key rotated"), "security")
register("crypto.keys_rewrapped", _("Customer keys re-wrapped"), "security")
register("crypto.key_shredded", _("Customer key destroyed (crypto-shredding)"), "write")
# Backups (issue #15)
register("backup.created", _("Backup created"), "security")
register("backup.verified", _("Backup verified"), "security")
register("backup.restored", _("Backup restored"), "security")
register("backup.purged", _("Deleted customers purged from a key-store backup"), "security")
register("customer.field_revealed", _("Masked value revealed"), "read")
register("purpose.changed", _("Purpose changed"), "write")
register("purpose.selected", _("Purpose of processing chosen"), "security")
register("policy.created", _("Access policy added"), "write")
register("policy.changed", _("Access policy changed"), "write")
register("breakglass.started", _("Break-glass access started"), "security")
register("breakglass.ended", _("Break-glass access ended"), "security")
register("breakglass.log_viewed", _("Break-glass log viewed"), "read")
register("classification.changed", _("Field classification changed"), "write")
register("demo.seeded", _("Demo data seeded"), "write")
# The audit trail itself
register("audit.signing_key_created", _("Checkpoint signing key created"), "security")
register("audit.signing_key_rotated", _("Checkpoint signing key rotated"), "security")
register("audit.verified", _("Audit trail verified"), "security")
register("audit.archived", _("Expired audit events archived with proofs"), "security")
register("audit.searched", _("Audit trail searched"), "read")
register("audit.customer_history_viewed", _("Customer access history viewed"), "read")
register("audit.evidence_exported", _("Evidence pack exported"), "read")
# Out of scope or missing answers 404 — and is recorded, within a bound per actor and minute (issue #11)
register("access.denied", _("Access denied (missing or out of scope)"), "security")
register("access.denied_suppressed", _("Further denied accesses counted, not recorded one by one"), "security")
# Consent (issue #5)
register("notice.published", _("Privacy notice published"), "write")
# Imports (issue #14): batches of customers from files, with their provenance
register("import.staged", _("Import file uploaded"), "write")
register("import.mapped", _("Import columns mapped"), "write")
register("import.checked", _("Import dry run"), "read")
register("import.started", _("Import started"), "write")
register("import.finished", _("Import finished"), "write")
register("import.failed", _("Import failed"), "write")
register("import.report_downloaded", _("Import rejected rows report downloaded"), "read")
register("import.undo_requested", _("Undo of an import requested"), "write")
register("import.undone", _("Import undone"), "write")
register("import.provenance_viewed", _("Provenance of an imported customer viewed"), "read")
register("consent.given", _("Consent given"), "write")
register("consent.withdrawn", _("Consent withdrawn"), "write")
register("consent.viewed", _("Consents of a customer viewed"), "read")
register("consent.evidence_viewed", _("Consent evidence opened"), "read")
register("consent.evidence_revealed", _("Consent evidence opened by revealing masked data"), "read")
register("consent.coverage_viewed", _("Consent coverage viewed"), "read")
register("consent.feed_read", _("Consent change feed read"), "read")
register("customer.exported", _("Customer list exported"), "read")
# The customer portal (data subjects)
register("portal.code_requested", _("Portal sign-in code requested"), "security")
register("portal.signed_in", _("Customer signed in to the portal"), "security")
register("portal.sign_in_failed", _("Portal sign-in failed"), "security")
register("portal.rate_limited", _("Portal sign-in code refused (too many requests)"), "security")
register("portal.signed_out", _("Customer signed out of the portal"), "security")
register("portal.code_message_cleared", _("Portal sign-in code taken for sending"), "security")
register("portal.codes_purged", _("Old portal sign-in codes deleted"), "write")
register("subject.data_viewed", _("Customer viewed their own data (access request)"), "read")
# Issue #15 access package (rights/package.py, rights/explanation.py)
register("rights.package_gathered", _("Access package gathered (everything held about the customer)"), "read")
register("rights.processing_explained", _("Processing of the customer's data explained"), "read")
# Nobody widens their own sight (ARCHITECTURE.md rule 12): a second person decides.
register("role_grant.requested", _("Role grant requested"), "security")
register("role_grant.approved", _("Role grant approved"), "security")
register("role_grant.rejected", _("Role grant rejected"), "security")
register("policy.change_proposed", _("Access policy change proposed"), "write")
register("policy.change_approved", _("Access policy change approved"), "write")
register("policy.change_rejected", _("Access policy change rejected"), "write")
register("customer.protection_lowered", _("Customer protection lowered by compliance"), "write")
# Issue #13: compliance review on entry and the changes a second person decides (customers/approval_types.py).
register("customer.entry_approved", _("Customer approved at entry review"), "write")
register("customer.entry_rejected", _("Customer rejected at entry review"), "write")
register("customer.reassigned", _("Customer reassigned to another owner"), "write")
# Maker-checker change requests and their rules (issue #13)
register("approval.drafted", _("Change request saved as a draft"), "write")
register("approval.submitted", _("Change request submitted for approval"), "write")
register("approval.approved", _("Change request approved by a checker"), "write")
register("approval.rejected", _("Change request rejected"), "write")
register("approval.withdrawn", _("Change request withdrawn by its maker"), "write")
register("approval.applied", _("Approved change applied"), "write")
register("approval.failed", _("Approved change could not be applied"), "write")
register("approval.reminded", _("Approvers reminded of a request falling due"), "write")
register("approval.escalated", _("Overdue change request escalated"), "write")
register("approval.expired", _("Change request expired undecided"), "write")
register("approval.viewed", _("Change request viewed"), "read")
register("approval_rule.created", _("Approval rule added"), "write")
register("approval_rule.changed", _("Approval rule changed"), "write")
register("approval_rule.change_proposed", _("Approval rule change proposed"), "write")
register("approval_rule.change_approved", _("Approval rule change approved"), "write")
register("approval_rule.change_rejected", _("Approval rule change rejected"), "write")

# The import wizard (issue #14, slice B): sample cells of a staged file shown at the mapping step (field codes only).
register("import.samples_viewed", _("Import sample cells viewed"), "read")

# The working-day calendar (issue #15)
register("calendar.day_changed", _("Calendar day changed"), "write")
register("calendar.year_seeded", _("Calendar year seeded"), "write")
# Data lifecycle (issue #15): retention rules, legal holds, restriction, erasure and its certificate.
register("lifecycle.rule_changed", _("Retention rule changed"), "write")
register("lifecycle.rule_change_proposed", _("Retention rule change proposed"), "write")
register("lifecycle.rule_change_decided", _("Retention rule change decided"), "write")
register("lifecycle.hold_placed", _("Legal hold placed"), "write")
register("lifecycle.hold_lift_requested", _("Lifting a legal hold requested"), "write")
register("lifecycle.hold_lifted", _("Legal hold lifted"), "write")
register("lifecycle.restricted", _("Customer restricted (stored only)"), "write")
register("lifecycle.unrestricted", _("Customer restriction lifted"), "write")
register("lifecycle.erasure_requested", _("Erasure of a customer requested"), "write")
register("lifecycle.customer_erased", _("Customer erased"), "write")
register("lifecycle.certificate_issued", _("Deletion certificate issued"), "write")
register("lifecycle.certificate_viewed", _("Deletion certificate viewed"), "read")
register("lifecycle.restricted_listed", _("Restricted customers listed"), "read")
register("lifecycle.data_expired", _("Data past its retention period removed"), "write")
register("lifecycle.swept", _("Retention sweep run"), "write")
# Data-subject requests (issue #15, rights/requests.py): every step of a request leaves its event.
register("rights.request_submitted", _("Data-subject request received"), "write")
register("rights.identity_verified", _("Requester's identity verified"), "write")
register("rights.request_extended", _("Data-subject request deadline extended"), "write")
register("rights.request_refused", _("Data-subject request refused"), "write")
register("rights.part_done", _("Part of a data-subject request done"), "write")
register("rights.part_failed", _("Part of a data-subject request failed"), "write")
register("rights.part_retried", _("Failed part of a data-subject request retried"), "write")
register("rights.request_done", _("Data-subject request completed"), "write")
register("rights.request_viewed", _("Data-subject request viewed"), "read")
register("rights.package_downloaded", _("Access package downloaded"), "read")
register("rights.deadlines_recomputed", _("Open request deadlines recomputed after a calendar change"), "write")
register("rights.request_taken", _("Compliance officer took over a data-subject request"), "write")
# A change request whose data-subject request was refused is cancelled with it; so is a waiting erasure (issue #15).
register("approval.cancelled", _("Change request cancelled: the request it served was closed"), "write")
register("lifecycle.erasure_cancelled", _("Erasure of a customer cancelled (request refused)"), "write")
