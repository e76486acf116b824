"""The permission matrix's early warnings (issue #16): the risk desk's queue, a warning with its evidence, and the
acknowledge / close actions.

The desk (a code capability, RISK_DESK) is the risk officers' to act on; compliance and auditors read it. Which
warnings a person sees is the ``credit`` policy resource's business: the legal entity, for the role's purpose. A
warning of the other legal entity answers 404, as a missing one does.
"""

from __future__ import annotations

from clientvault.core.context import system_context
from clientvault.risk import warnings
from clientvault.risk.indicators import Signal
from clientvault.risk.models import EarlyWarning
from tests.matrix import risk as matrix_risk
from tests.matrix.world import USERS, World

DESK_READERS = ("risk", "risk_other", "compliance", "auditor")  # the queue answers (each sees their entity's)
NOT_DESK = tuple(u for u in USERS if u not in DESK_READERS)
SEES = ("risk", "compliance", "auditor")  # the target's warning (legal entity A)
SEES_OUT = ("risk_other", "risk@foreign", "compliance@foreign", "auditor@foreign")
HANDLERS = ("risk",)
NOT_HANDLERS = tuple(u for u in USERS if u not in ("risk", "risk_other"))  # no desk to change: 404 page / 403 API
HANDLERS_OUT = ("risk_other", "risk@foreign")


def warning_id(w: World, foreign: bool) -> str:
    """An open warning on the case's customer's credit file (raised by the system, as the daily scan would)."""
    key = "warning:foreign" if foreign else "warning:target"
    if key not in w.change_requests:
        credit_file = matrix_risk.credit_file(w, foreign)  # the case customer's one file
        signal = Signal("contact_decay", "info", "decay:never", {"exposure": 1})
        [raised] = warnings.raise_warnings(system_context(channel="task"), credit_file.pk, [signal])
        w.change_requests[key] = str(raised.pk)
    return w.change_requests[key]


def _status(w: World, foreign: bool) -> str:
    return str(EarlyWarning.objects.unrestricted(reason="matrix assertion").get(pk=warning_id(w, foreign)).status)


def acknowledged(w: World, foreign: bool, ok: bool) -> None:
    assert (_status(w, foreign) == "acknowledged") is ok


def closed(w: World, foreign: bool, ok: bool) -> None:
    assert (_status(w, foreign) == "closed") is ok
