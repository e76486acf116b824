"""The permission matrix's change requests (issue #13): a request per case, and what each write must leave.

rep_bj1 proposes a change of the target customer's occupation (a test change type applied through the real
customers service), decided by one sales manager; on the foreign customer rep_other does the same in the
other legal entity. Who sees it: the maker, the eligible checker in scope (manager_bj), compliance and
auditors of the entity; everyone else gets 404.
"""

from __future__ import annotations

from collections.abc import Callable

from clientvault.approvals import rule_catalogue, services
from clientvault.approvals.forms import ApprovalRuleForm
from clientvault.approvals.models import ApprovalRule, ChangeRequest, RuleChange
from clientvault.approvals.tests import support
from clientvault.audit.models import AuditEvent
from clientvault.core import roles as R
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import second_officer
from tests.matrix.world import USERS, World

Effect = Callable[[World, bool, bool], None]

MATRIX_RULE = "matrix-occupation"
NEW_RULE = "matrix-new-rule"

# Who is who for the target's request (the foreign request is only ever seen by the other entity's people).
SEES = ("rep_bj1", "manager_bj", "compliance", "auditor")
NO_APPROVALS = ("admin", "norole")  # no approvals capability: no inbox at all
APPROVALS_USERS = tuple(u for u in USERS if u not in NO_APPROVALS)
BLIND = tuple(u for u in APPROVALS_USERS if u not in SEES)  # may use approvals, cannot see this request
FOREIGN = ("rep_bj1@foreign", "manager_bj@foreign", "compliance@foreign", "auditor@foreign")
RULE_READERS = ("admin", "compliance", "auditor")
NOT_RULE_READERS = tuple(u for u in USERS if u not in RULE_READERS)


def change_request_id(w: World, foreign: bool) -> str:
    """The case's waiting request on the target (or foreign) customer, made on first use."""
    key = "foreign" if foreign else "target"
    if key not in w.change_requests:
        if not ApprovalRule.objects.filter(code=MATRIX_RULE).exists():
            support.rule(support.OCCUPATION, [{"stage": 1, "roles": [R.SALES_MANAGER], "required": 1}], code=MATRIX_RULE)
        maker = w.org["rep_other" if foreign else "rep_bj1"]
        proposal = support.occupation_proposal(w.customer_for(foreign), "矩阵职业")
        w.change_requests[key] = str(services.submit(ctx(maker), proposal, reason="matrix").id)
    return w.change_requests[key]


def _status(w: World, foreign: bool) -> str:
    rid = w.change_requests["foreign" if foreign else "target"]
    return str(ChangeRequest.objects.unrestricted(reason="matrix assertion").get(pk=rid).status)


def request_became(ok_status: str) -> Effect:
    def effect(w: World, foreign: bool, ok: bool) -> None:
        assert _status(w, foreign) == (ok_status if ok else ChangeRequest.Status.SUBMITTED)

    return effect


def request_viewed(w: World, foreign: bool, ok: bool) -> None:
    events = list(AuditEvent.objects.filter(event_type="approval.viewed"))
    assert len(events) == (1 if ok else 0), f"expected {1 if ok else 0} approval.viewed, got {len(events)}"
    if ok:
        assert events[0].customer_id == w.customer_for(foreign).pk


EDITED_RULE = "customers-entry-review"  # a seeded default (approvals/migrations/0002_seed_rules.py)


def rule_form(w: World, foreign: bool) -> dict[str, object]:
    """The seeded rule as the edit form shows it, with a new description only: a change that weakens nothing
    takes effect at once (a weaker one waits for a second compliance officer: approvals/rule_changes.py)."""
    initial = ApprovalRuleForm.initial_from(ApprovalRule.objects.get(code=EDITED_RULE).snapshot())
    data = {k: v for k, v in initial.items() if v is not None and v != [] and k != "active"}
    return {**data, "active": "on", "description": "matrix", "reason": "matrix"}


def new_rule_form(w: World, foreign: bool) -> dict[str, object]:
    return {**rule_form(w, foreign), "code": NEW_RULE, "change_type": support.OCCUPATION}


def rule_change_id(w: World, foreign: bool) -> str:
    """A new rule proposed by a second compliance officer: ``compliance`` may decide it."""
    if "rule_change" not in w.change_requests:
        data = {**ApprovalRule.objects.get(code=EDITED_RULE).snapshot(), "change_type": support.OCCUPATION}
        change = rule_catalogue.create_rule(ctx=ctx(second_officer(w.org)), code=NEW_RULE, data=data, reason="matrix")
        w.change_requests["rule_change"] = str(change.pk)
    return w.change_requests["rule_change"]


def rule_change_approved(w: World, foreign: bool, ok: bool) -> None:
    assert ApprovalRule.objects.filter(code=NEW_RULE).exists() is ok


def rule_changed(w: World, foreign: bool, ok: bool) -> None:
    row = ApprovalRule.objects.get(code=EDITED_RULE)
    assert (row.description == "matrix") is ok and (row.version == 2) is ok


def rule_proposed(w: World, foreign: bool, ok: bool) -> None:
    """A new rule never takes effect at once (rule 12): it waits for a second compliance officer."""
    assert not ApprovalRule.objects.filter(code=NEW_RULE).exists()
    assert RuleChange.objects.filter(code=NEW_RULE, status=RuleChange.Status.PENDING).exists() is ok
