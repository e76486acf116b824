"""The permission matrix's merges (issue #14).

The target customer (rep_bj1's) gets a twin owned by rep_bj1 too; an applied merge of the two (manager_bj
proposes, compliance approves) is the case's merge. The foreign customer's merge is a lineage row written
directly (nobody of the other legal entity holds the duplicates capability): only its 404s are asserted.
Who may propose a merge or its undoing: the DUPLICATES capability's changers (compliance, sales managers) who
see every record; auditors read; everyone else has no merge pages at all.
"""

from __future__ import annotations

from clientvault.approvals import services as approvals
from clientvault.audit.models import AuditEvent
from clientvault.customers.models import Customer
from clientvault.merges import rule_catalogue, services
from clientvault.merges.models import Merge, MergeStatus, SurvivorshipChange, SurvivorshipRule
from clientvault.testing.actors import ctx
from clientvault.testing.customers import customer
from clientvault.testing.organisation import second_officer
from tests.matrix.world import USERS, World

DUP_READERS = ("compliance", "auditor", "manager_bj", "manager_sh")
DUP_MAKERS = ("compliance", "manager_bj")
NO_DUP = tuple(u for u in USERS if u not in DUP_READERS)
NOT_MAKERS = tuple(u for u in USERS if u not in (*DUP_MAKERS, "manager_sh"))  # manager_sh: a maker out of scope
SEES = ("compliance", "auditor", "manager_bj")  # the merge of rep_bj1's customers
OUT = ("manager_sh", "compliance@foreign", "auditor@foreign", "manager_bj@foreign")
MAKERS_OUT = ("manager_sh", "compliance@foreign", "manager_bj@foreign")


RULE_READERS = (*DUP_READERS, "admin")  # the duplicates desk, and whoever reads the survivorship catalogue
NOT_RULE_READERS = tuple(u for u in USERS if u not in RULE_READERS)
NOT_COMPLIANCE = tuple(u for u in USERS if u != "compliance")


def survivorship_change_id(w: World, foreign: bool) -> str:
    """A change of the name rule proposed by a second compliance officer (so that ``compliance`` may decide it)."""
    if "survivorship" not in w.change_requests:
        change = rule_catalogue.change_rule(
            ctx=ctx(second_officer(w.org)), field="name", data={"rule": "most_recent", "source_order": []}, reason="matrix"
        )
        w.change_requests["survivorship"] = str(change.pk)
    return w.change_requests["survivorship"]


def rule_proposed(w: World, foreign: bool, ok: bool) -> None:
    assert SurvivorshipChange.objects.filter(field="name", status="pending").count() == (1 if ok else 0)


def rule_change_approved(w: World, foreign: bool, ok: bool) -> None:
    assert SurvivorshipRule.objects.get(field="name").rule == ("most_recent" if ok else "most_trusted_source")


def twin(w: World, foreign: bool, *, key: str = "") -> Customer:
    key = key or ("twin:foreign" if foreign else "twin:target")
    if key not in w.change_requests:
        c = w.customer_for(foreign)
        owner = w.org["rep_other" if foreign else "rep_bj1"]
        w.change_requests[key] = str(customer(owner, name=c.name if hasattr(c, "name") else "", status=c.status).pk)
    return Customer.objects.unrestricted(reason="matrix setup").get(pk=w.change_requests[key])


def ids(w: World, foreign: bool) -> list[str]:
    return [str(w.customer_for(foreign).pk), str(twin(w, foreign).pk)]


def merge_id(w: World, foreign: bool) -> str:
    """The case's applied merge of the customer and its twin (made on first use)."""
    key = "merge:foreign" if foreign else "merge:target"
    if key not in w.change_requests:
        if foreign:
            merge = Merge.objects.create(
                legal_entity_id=w.foreign.legal_entity_id, survivor=w.foreign, member_ids=[str(twin(w, True).pk)],
                proposed_by=w.org["rep_other"], status=MergeStatus.APPLIED,
            )  # fmt: skip
            w.change_requests[key] = str(merge.pk)
        else:
            # Two records of their own: routes swept before this one in the same world (the MFA sweep) may have left
            # an open change request on the target, and a merge waits for those (merges/planning.py).
            pair = [twin(w, False, key="twin:merge-a").pk, twin(w, False, key="twin:merge-b").pk]
            request = services.propose(ctx(w.org["manager_bj"]), pair, picks={}, reason="matrix")
            approvals.approve(ctx(w.org["compliance"]), request.pk, reason="matrix")
            w.change_requests[key] = request.target_id
    return w.change_requests[key]


def propose_query(w: World, foreign: bool) -> dict[str, object]:
    return {"ids": ",".join(ids(w, foreign))}


def propose_form(w: World, foreign: bool) -> dict[str, object]:
    return {"ids": ids(w, foreign), "survivor": ids(w, foreign)[0], "reason": "matrix"}


def propose_payload(w: World, foreign: bool) -> dict[str, object]:
    return {"customer_ids": ids(w, foreign), "reason": "matrix"}


def merge_proposed(w: World, foreign: bool, ok: bool) -> None:
    assert Merge.objects.filter(status=MergeStatus.PROPOSED).count() == (1 if ok else 0)


def unmerge_requested(w: World, foreign: bool, ok: bool) -> None:
    merge = Merge.objects.get(pk=merge_id(w, foreign))
    assert (merge.unmerge_request_id is not None) is ok


def merge_viewed(w: World, foreign: bool, ok: bool) -> None:
    assert AuditEvent.objects.filter(event_type="merge.viewed").count() == (1 if ok else 0)


def compared(w: World, foreign: bool, ok: bool) -> None:
    assert AuditEvent.objects.filter(event_type="merge.compared").count() == (2 if ok else 0)
