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
