"""The permission matrix's data lifecycle (issue #15): retention rules, legal holds, deletion certificates, and a
restricted customer.

Compliance's desk (all of its own legal entity); auditors read; administrators read the rules. A hold or a
certificate of the other legal entity answers 404 to the desk of this one. A restricted customer (PIPL-47) is
stored only: compliance reads it, nobody else sees it, and no export carries it.
"""

from __future__ import annotations

from clientvault.core import clock
from clientvault.core.context import system_context
from clientvault.lifecycle import certificates
from clientvault.lifecycle.models import Erasure, ErasureState, LegalHold
from tests.matrix.world import USERS, World

RULE_READERS = ("compliance", "auditor", "admin")
NOT_RULE_READERS = tuple(u for u in USERS if u not in RULE_READERS)
DESK_READERS = ("compliance", "auditor")
NOT_DESK_READERS = tuple(u for u in USERS if u not in DESK_READERS)
NOT_DESK = tuple(u for u in USERS if u != "compliance")
DESK_OUT = ("compliance@foreign",)
READERS_OUT = ("compliance@foreign", "auditor@foreign")


def hold_id(w: World, foreign: bool) -> str:
    key = "hold:foreign" if foreign else "hold:target"
    if key not in w.change_requests:
        hold = LegalHold.objects.create(
            customer_id=w.customer_for(foreign).pk, basis="regulator", reference="matrix", starts_on=clock.today(), placed_at=clock.now()
        )
        w.change_requests[key] = str(hold.pk)
    return w.change_requests[key]


def certificate_id(w: World, foreign: bool) -> str:
    """A certificate naming the case's customer (an access fixture: the engine's own tests erase for real)."""
    key = "certificate:foreign" if foreign else "certificate:target"
    if key not in w.change_requests:
        erasure = Erasure.objects.create(customer_id=w.customer_for(foreign).pk, trigger="sweep", state=ErasureState.DELETED)
        w.change_requests[key] = str(certificates.issue(system_context(channel="task"), erasure).pk)
    return w.change_requests[key]


def hold_payload(w: World, foreign: bool) -> dict[str, object]:
    return {"customer_id": str(w.customer_for(foreign).pk), "basis": "litigation", "reference": "matrix-case"}


def hold_placed(w: World, foreign: bool, ok: bool) -> None:
    assert LegalHold.objects.filter(reference="matrix-case").count() == (1 if ok else 0)


def lift_requested(w: World, foreign: bool, ok: bool) -> None:
    hold = LegalHold.objects.get(pk=hold_id(w, foreign))
    assert (hold.status == "lift_requested") is ok


# --- Desk pages (lifecycle/pages.py): retention rules, holds, restricted customers -------------------------------

PROPOSED_RULE = "followups-sales"  # the rule the page's propose form shortens (a proposal, rule 12)
DECIDED_RULE = "profile-service"  # the rule a second officer's pending change shortens (compliance decides it)


def retention_change_id(w: World, foreign: bool) -> str:
    """A shortening of ``profile-service`` proposed by a second compliance officer, for ``compliance`` to decide."""
    from clientvault.lifecycle import rules
    from clientvault.testing.actors import ctx
    from clientvault.testing.organisation import second_officer

    if "retention_change" not in w.change_requests:
        change = rules.change_rule(ctx=ctx(second_officer(w.org)), code=DECIDED_RULE, data={"period_months": 24}, reason="matrix")
        w.change_requests["retention_change"] = str(change.pk)
    return w.change_requests["retention_change"]


def lifting_hold_id(w: World, foreign: bool) -> str:
    """A hold whose lifting a second compliance officer asked for (``compliance`` decides it)."""
    from clientvault.testing.organisation import second_officer

    key = "lifting:foreign" if foreign else "lifting:target"
    if key not in w.change_requests:
        hold = LegalHold.objects.create(
            customer_id=w.customer_for(foreign).pk, basis="regulator", reference="matrix-lift", starts_on=clock.today(),
            placed_at=clock.now(), status="lift_requested", lift_requested_by=second_officer(w.org), lift_reason="matrix",
        )  # fmt: skip
        w.change_requests[key] = str(hold.pk)
    return w.change_requests[key]


def rule_proposed(w: World, foreign: bool, ok: bool) -> None:
    from clientvault.lifecycle.models import RetentionRuleChange

    assert RetentionRuleChange.objects.filter(code=PROPOSED_RULE, status="pending").count() == (1 if ok else 0)


def rule_change_decided(w: World, foreign: bool, ok: bool) -> None:
    from clientvault.lifecycle.models import RetentionRule

    assert RetentionRule.objects.get(code=DECIDED_RULE).period_months == (24 if ok else 36)


def hold_lifted(w: World, foreign: bool, ok: bool) -> None:
    hold = LegalHold.objects.get(pk=lifting_hold_id(w, foreign))
    assert (hold.status == "lifted") is ok
