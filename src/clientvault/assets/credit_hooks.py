"""Credit checkpoints of the asset ledger (issue #16), as a registry the credit-risk app fills in.

The ledger must not import the credit-risk app (layers: ``risk`` sits above ``assets``), yet credit control acts
before a loan is opened and before a drawdown is posted. So the ledger calls two hooks here and the risk app
registers what they do when it loads (``risk/checkpoints.py``, from ``RiskConfig.ready``):

- ``check(ctx, checkpoint, customer_id, amount_minor, currency)`` — called by ``assets.services`` before a LOAN
  asset is opened (``new_credit``) and before a movement debits a LOAN asset (``drawdown``: a transfer, an
  exchange or a withdrawal out of it), inside the posting's transaction and before anything is written. A block
  raises ``CreditBlocked`` (HTTP 409, the fired rule codes in ``details``): the transaction rolls back, nothing is
  posted. The refusal itself is not lost with it: ``records_refusal`` wraps each ledger service outside its
  transaction and writes ``credit.checkpoint_blocked`` (outcome denied: who, which customer, which checkpoint and
  rules — codes, never amounts) in a transaction of its own, after the posting's has rolled back.
- ``payment_received(customer_id)`` — called when a posting credits a LOAN asset (a repayment); the listener runs
  after the commit (``transaction.on_commit``: ARCHITECTURE.md rule 8), never for a rolled-back posting.

With nothing registered (the risk app not installed) both are no-ops. Which customers the checks concern is the
risk app's decision (customers without a credit file pass: see ``risk/checkpoints.py``).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.core import auditing, details
from clientvault.core.context import Context
from clientvault.core.errors import Conflict

NEW_CREDIT = "new_credit"
DRAWDOWN = "drawdown"

Checker = Callable[[Context, str, uuid.UUID, int, str], None]
Listener = Callable[[uuid.UUID], None]

_checkers: list[Checker] = []
_listeners: list[Listener] = []


class CreditBlocked(Conflict):
    """A credit-control rule blocks the movement; ``details["rules"]`` names the rules that fired (codes, no values)."""

    code = "credit_blocked"
    status = 409
    default_message = _(
        "Credit control blocks this: the customer's credit file does not allow it now (new credit, a drawdown or longer terms)."
    )

    def __init__(self, rules: Sequence[str], *, checkpoint: str = "", customer_id: uuid.UUID | None = None) -> None:
        super().__init__()
        self.details: dict[str, list[str]] = {"rules": sorted(set(rules))}
        self.checkpoint = checkpoint
        self.customer_id = customer_id


BLOCKED_EVENT = "credit.checkpoint_blocked"  # registered by the risk app, the only one that raises CreditBlocked

F = TypeVar("F", bound=Callable[..., Any])


def records_refusal(service: F) -> F:
    """Record a ``CreditBlocked`` refusal of ``service`` (its context ``ctx=`` or first) once its transaction rolled back.

    Put it outside ``transaction.atomic``: the event is written in a transaction of its own (a savepoint when the
    caller holds one, whose fate is then the caller's), and the refusal propagates unchanged."""

    @functools.wraps(service)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return service(*args, **kwargs)
        except CreditBlocked as refusal:
            ctx = kwargs.get("ctx", args[0] if args else None)
            if isinstance(ctx, Context) and refusal.checkpoint:
                detail = {"checkpoint": refusal.checkpoint, "rules": [r for r in refusal.details["rules"] if details.is_code(r)]}
                with transaction.atomic():
                    auditing.record(
                        ctx, BLOCKED_EVENT, object_type="customers.customer", object_id=str(refusal.customer_id or ""),
                        customer_id=refusal.customer_id, outcome="denied", detail=detail,
                    )  # fmt: skip
            raise

    return cast(F, wrapper)


def register(*, checker: Checker | None = None, listener: Listener | None = None) -> None:
    """Add a checkpoint checker and/or a payment listener (each registered once, however often the app loads)."""
    if checker is not None and checker not in _checkers:
        _checkers.append(checker)
    if listener is not None and listener not in _listeners:
        _listeners.append(listener)


def check(ctx: Context, checkpoint: str, customer_id: uuid.UUID, amount_minor: int, currency: str) -> None:
    """Ask every registered checker; the first block raises ``CreditBlocked`` (the caller's transaction rolls back)."""
    for checker in list(_checkers):
        checker(ctx, checkpoint, customer_id, amount_minor, currency)


def payment_received(customer_id: uuid.UUID) -> None:
    """Tell the listeners, after the current transaction commits, that a payment credited the customer's loan."""
    for listener in list(_listeners):
        transaction.on_commit(functools.partial(listener, customer_id), robust=True)
