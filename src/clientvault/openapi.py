"""The error half of the OpenAPI document: every operation lists the error answers it can give, each with
the one structured error body ``api.py`` sends (``{"error": {"code", "message", "fields", "request_id"}}``).

Errors are raised as exceptions and mapped to HTTP in one place (``api.py``), so ninja never sees them as
responses of an operation; without this a schema-driven client or a fuzzer would think a 404 or a 422 is
the server misbehaving. Which statuses each operation can give is declared here, one line per operation,
and ``tests/test_openapi.py`` fails for an operation that has no line.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field


class ErrorDetail(Schema):
    code: str = Field(description="Stable machine-readable code, e.g. not_found, validation_failed, purpose_required, conflict")
    message: str = Field(description="What went wrong, in the caller's language")
    fields: dict[str, list[str]] | None = Field(None, description="Per field, what is wrong with it (validation errors only)")
    details: dict[str, list[str]] | None = Field(
        None, description="Codes the refusal names, never values: e.g. the credit-control rules that blocked (credit_blocked)"
    )
    request_id: str = Field(description="The request id, also in the audit trail and the logs")


class ErrorOut(Schema):
    error: ErrorDetail


DESCRIPTIONS = {
    400: "Bad request: no purpose of processing declared (purpose_required), a missing required filter, or a body that is not JSON",
    401: "Not signed in, or no valid API token (not_authenticated)",
    403: "The role or the declared purpose does not allow this (permission_denied, purpose_not_allowed)",
    404: "No such record, or one outside your scope: the two answer alike (not_found)",
    409: "The record's state does not allow this now (conflict, notice_superseded, nothing_to_withdraw, not_sealed …)",
    422: "Some input is not valid; `fields` says which (validation_failed)",
}

# Each operation (METHOD, path under /api/v1) → the error statuses it can answer with. Customer data needs a
# declared purpose (400 purpose_required, 403 purpose_not_allowed); a path id names a record (404); writes
# can meet a state that forbids them (409); parameters and bodies are validated (422).
_CUSTOMER_READ = frozenset({400, 401, 403, 404, 422})
_CUSTOMER_WRITE = frozenset({400, 401, 403, 404, 409, 422})
OPERATION_ERRORS: dict[tuple[str, str], frozenset[int]] = {
    ("GET", "/me"): frozenset({401}),
    ("GET", "/customers"): frozenset({400, 401, 403, 422}),
    ("POST", "/customers"): frozenset({400, 401, 403, 409, 422}),
    ("GET", "/customers/{customer_id}"): _CUSTOMER_READ,
    ("PATCH", "/customers/{customer_id}"): _CUSTOMER_WRITE,
    ("DELETE", "/customers/{customer_id}"): _CUSTOMER_WRITE,
    ("POST", "/customers/{customer_id}/clear-core"): _CUSTOMER_WRITE,
    ("POST", "/customers/{customer_id}/reveal"): _CUSTOMER_READ,
    ("GET", "/customers/{customer_id}/followups"): _CUSTOMER_READ,
    ("POST", "/customers/{customer_id}/followups"): _CUSTOMER_WRITE,
    ("GET", "/followups/{followup_id}"): _CUSTOMER_READ,
    ("PATCH", "/followups/{followup_id}"): _CUSTOMER_WRITE,
    ("DELETE", "/followups/{followup_id}"): _CUSTOMER_WRITE,
    ("GET", "/custom-fields"): frozenset({400, 401, 403}),
    ("GET", "/audit/events"): frozenset({401, 403, 422}),
    ("GET", "/audit/customers/{customer_id}/events"): frozenset({401, 403, 404, 422}),
    ("GET", "/audit/events/{event_id}/proof"): frozenset({401, 403, 404, 409, 422}),
    ("GET", "/audit/evidence"): frozenset({400, 401, 403, 409, 422}),
    ("GET", "/customers/{customer_id}/consents"): _CUSTOMER_READ,
    ("POST", "/customers/{customer_id}/consents"): _CUSTOMER_WRITE,
    ("POST", "/customers/{customer_id}/consents/{purpose}/withdraw"): _CUSTOMER_WRITE,
    ("GET", "/consents/notices"): frozenset({401}),
    ("GET", "/consents/events"): frozenset({401, 403, 422}),
    # Change requests (issue #13): showing or deciding one reads or writes its customer's record (purpose).
    ("GET", "/approvals/inbox"): frozenset({400, 401, 403, 422}),
    ("GET", "/approvals/mine"): frozenset({401, 403, 422}),
    ("GET", "/approvals/{change_request_id}"): _CUSTOMER_READ,
    ("POST", "/approvals/{change_request_id}/approve"): _CUSTOMER_WRITE,
    ("POST", "/approvals/{change_request_id}/reject"): _CUSTOMER_WRITE,
    ("POST", "/approvals/{change_request_id}/withdraw"): _CUSTOMER_WRITE,
    ("POST", "/merges"): _CUSTOMER_WRITE,
    ("GET", "/merges/{merge_id}"): _CUSTOMER_READ,
    ("POST", "/merges/{merge_id}/unmerge"): _CUSTOMER_WRITE,
    ("GET", "/approval-rules"): frozenset({401, 403}),
    ("GET", "/customers/{customer_id}/assets"): _CUSTOMER_READ,
    ("GET", "/assets/{asset_id}"): _CUSTOMER_READ,
    ("GET", "/assets/{asset_id}/ledger"): _CUSTOMER_READ,
    ("POST", "/assets"): frozenset({400, 401, 403, 409, 422}),
    ("POST", "/assets/{asset_id}/movements"): _CUSTOMER_WRITE,
    ("GET", "/fx-rates"): frozenset({401, 403}),
    ("POST", "/fx-rates"): frozenset({400, 401, 403, 409, 422}),  # 400: a body that is not JSON
    # The duplicate review queue (issue #14): ids and codes, member fields as the caller's policy shows them.
    ("GET", "/duplicates"): frozenset({400, 401, 403, 422}),
    ("GET", "/duplicates/{cluster_id}"): _CUSTOMER_READ,
    ("POST", "/duplicates/{cluster_id}/dismiss"): _CUSTOMER_WRITE,
    # Imports (issue #14): IMPORTS holders; writes create customers, so under a declared purpose; a batch
    # outside the caller's scope answers 404; a batch in the wrong state for the step answers 409.
    ("GET", "/imports"): frozenset({401, 403}),
    ("POST", "/imports"): frozenset({400, 401, 403, 409, 422}),
    ("GET", "/imports/{batch_id}"): frozenset({401, 403, 404, 422}),
    ("GET", "/imports/{batch_id}/mapping"): frozenset({401, 403, 404, 409, 422}),
    ("PUT", "/imports/{batch_id}/mapping"): _CUSTOMER_WRITE,
    ("POST", "/imports/{batch_id}/dry-run"): _CUSTOMER_WRITE,
    ("POST", "/imports/{batch_id}/start"): _CUSTOMER_WRITE,
    ("GET", "/imports/{batch_id}/progress"): frozenset({401, 403, 404, 422}),
    ("GET", "/imports/{batch_id}/rejected"): frozenset({401, 403, 404, 409, 422}),
    ("POST", "/imports/{batch_id}/undo"): _CUSTOMER_WRITE,
    # Data-subject requests (issue #15): RIGHTS_REQUESTS holders; a request or customer out of scope answers 404;
    # a closed request, a part not failed or an extension too late answers 409.
    ("GET", "/rights/requests"): frozenset({401, 403, 422}),
    ("POST", "/rights/requests"): _CUSTOMER_WRITE,
    ("GET", "/rights/requests/{rights_request_id}"): _CUSTOMER_READ,
    **{
        ("POST", f"/rights/requests/{{rights_request_id}}/{step}"): _CUSTOMER_WRITE
        for step in ("verify", "extend", "refuse", "retry", "take")
    },
    ("GET", "/rights/requests/{rights_request_id}/parts/{part}/download"): _CUSTOMER_READ,
}
# The working-day calendar (issue #15): reference data; an edit may race another (409).
OPERATION_ERRORS |= {
    ("GET", "/calendar/years"): frozenset({401, 403}),
    ("GET", "/calendar/{year}"): frozenset({401, 403, 404, 422}),
    ("POST", "/calendar/days"): frozenset({400, 401, 403, 409, 422}),  # 400: a body that is not JSON
}
# Retention rules, legal holds and deletion certificates (issue #15): compliance (auditors read); a customer, hold or
# certificate out of the caller's legal entity answers 404; a hold already lifted or a lift by its own maker 409.
OPERATION_ERRORS |= {
    ("GET", "/lifecycle/rules"): frozenset({401, 403}),
    ("GET", "/lifecycle/holds"): frozenset({401, 403}),
    ("POST", "/lifecycle/holds"): frozenset({400, 401, 403, 404, 409, 422}),
    ("POST", "/lifecycle/holds/{hold_id}/lift"): frozenset({400, 401, 403, 404, 409, 422}),
    ("GET", "/lifecycle/certificates"): frozenset({401, 403}),
    ("GET", "/lifecycle/certificates/{certificate_id}"): frozenset({401, 403, 404, 422}),
}
# Credit limits, payment terms, hold releases and reviews (issue #16, risk/limit_api.py): a file, hold or review out of
# scope answers 404; a request already waiting for the same change, a rule hold or a review already done 409.
OPERATION_ERRORS |= {
    ("POST", "/risk/files/{credit_file_id}/limits"): frozenset({400, 401, 403, 404, 409, 422}),
    ("POST", "/risk/files/{credit_file_id}/terms"): frozenset({400, 401, 403, 404, 409, 422}),
    ("POST", "/risk/holds/{credit_hold_id}/release"): frozenset({400, 401, 403, 404, 409, 422}),
    ("POST", "/risk/reviews/{credit_review_id}/complete"): frozenset({400, 401, 403, 404, 409, 422}),
    ("GET", "/risk/reviews"): frozenset({400, 401, 403, 422}),
}
# Early warnings (issue #16): the risk desk (risk officers; compliance and auditors read). A warning out of sight
# answers 404; acknowledging a handled one or closing a closed one 409; a close without a note 400.
OPERATION_ERRORS |= {
    ("GET", "/risk/warnings"): frozenset({400, 401, 403, 422}),
    ("GET", "/risk/warnings/{warning_id}"): frozenset({401, 403, 404, 422}),
    ("POST", "/risk/warnings/{warning_id}/acknowledge"): frozenset({400, 401, 403, 404, 409, 422}),
    ("POST", "/risk/warnings/{warning_id}/close"): frozenset({400, 401, 403, 404, 409, 422}),
}
# The risk desk (issue #16): purpose-bound like customer data; the list and the portfolio need the risk_desk capability
# (403); a file or score out of scope answers 404; a forced hold is a write with a body (400 when it is not JSON, 409
# when the file changed under it).
OPERATION_ERRORS |= {
    ("GET", "/risk/files"): frozenset({400, 401, 403, 422}),
    ("GET", "/risk/files/{file_id}"): _CUSTOMER_READ,
    ("GET", "/risk/scores/{score_id}"): _CUSTOMER_READ,
    ("GET", "/risk/portfolio"): frozenset({400, 401, 403}),
    ("POST", "/risk/files/{file_id}/holds"): _CUSTOMER_WRITE,
}
# The credit-control rules and tier policies (issue #16, risk/rule_api.py): global catalogues behind the credit_rules
# capability (403). A rule, policy or change that does not exist answers 404; a change already waiting for the same row,
# a rule code taken, a change decided already or stale 409; maker = checker 403 (maker_is_checker).
OPERATION_ERRORS |= {
    ("GET", "/risk/control-rules"): frozenset({401, 403}),
    ("GET", "/risk/control-rules/{credit_rule_code}/versions"): frozenset({401, 403, 404, 422}),
    ("POST", "/risk/control-rules"): frozenset({400, 401, 403, 409, 422}),
    ("PATCH", "/risk/control-rules/{credit_rule_code}"): frozenset({400, 401, 403, 404, 409, 422}),
    ("GET", "/risk/tier-policies"): frozenset({401, 403}),
    ("GET", "/risk/tier-policies/{tier_policy_code}/versions"): frozenset({401, 403, 404, 422}),
    ("PATCH", "/risk/tier-policies/{tier_policy_code}"): frozenset({400, 401, 403, 404, 409, 422}),
    ("GET", "/risk/catalogue-changes"): frozenset({401, 403, 422}),
    ("POST", "/risk/catalogue-changes/{kind}/{credit_change_id}/approve"): frozenset({400, 401, 403, 404, 409, 422}),
    ("POST", "/risk/catalogue-changes/{kind}/{credit_change_id}/reject"): frozenset({400, 401, 403, 404, 409, 422}),
}
METHODS = ("get", "post", "put", "patch", "delete")


def _declared(method: str, path: str, prefix: str) -> frozenset[int]:
    key = (method.upper(), path[len(prefix) :] if path.startswith(prefix) else path)
    if key in OPERATION_ERRORS:
        return OPERATION_ERRORS[key]
    # An operation nobody declared yet: what any authenticated call can meet (the test asks for a line).
    return frozenset({400, 401, 403, 422})


def add_error_responses(schema: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Add the error body to the components and each operation's declared error statuses to its responses."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_schema.pop("$defs", {}))
    components["ErrorOut"] = error_schema
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(_declared(method, path, prefix)):
                responses.setdefault(status, {"description": DESCRIPTIONS[status], "content": {"application/json": {"schema": ref}}})
    return schema
