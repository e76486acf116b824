"""The credit checkpoints the asset ledger calls (``assets/credit_hooks.py``), registered when the risk app loads.

- ``check``: before a LOAN asset is opened (new credit) and before a drawdown, evaluate the control rules acting
  at that checkpoint with the amount proposed; a rule whose action is "block" refuses (``CreditBlocked``, 409, the
  fired rule codes in its details) and the ledger's transaction rolls back — nothing is posted.
  **A customer without a credit file passes**: credit control applies to customers a risk officer has opened a file
  for (the ledger predates credit files, and a loan booked for a customer nobody assessed is the institution's
  decision, not a rule's); opening the file brings the customer under control from then on.
  The rules read the whole ledger as system work; the asking person learns only "blocked" and the rule codes.
  An amount in another currency is converted at the latest rate; without one the request is refused (422).
- ``payment_received``: after a repayment commits, enqueue the re-evaluation of the customer's file (the task
  takes the file's id: rule 8).
"""

from __future__ import annotations

import uuid

from clientvault.assets import credit_hooks, fx
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.risk import control, features
from clientvault.risk.models import ControlRule, CreditFile

_SYSTEM = "credit checkpoint: the rules read the file as system work; the asking person learns only the rule codes"


def _file(customer_id: uuid.UUID, *, lock: bool = False) -> CreditFile | None:
    qs = CreditFile.objects.unrestricted(reason=_SYSTEM)
    return (qs.select_for_update() if lock else qs).filter(customer_id=customer_id).first()


def check(ctx: Context, checkpoint: str, customer_id: uuid.UUID, amount_minor: int, currency: str) -> None:
    """Refuse (``CreditBlocked``) what a blocking rule forbids at ``checkpoint``; pass customers without a file."""
    # Locked until the posting commits: two drawdowns of one customer on different loans (each holding only its own
    # asset's lock) queue here, so the second one sees the first one's exposure — a limit cannot be overrun by racing.
    credit_file = _file(customer_id, lock=True)
    if credit_file is None:
        return
    today = clock.today()
    proposed = amount_minor if currency == credit_file.currency else fx.rate(currency, credit_file.currency, today).convert(amount_minor)
    figures = features.figures_for(credit_file, today)
    rules = list(ControlRule.objects.filter(active=True))
    outcome = control.evaluate(figures, rules, checkpoint, proposed=proposed)
    if outcome.blocked:
        raise credit_hooks.CreditBlocked(outcome.blocks, checkpoint=checkpoint, customer_id=customer_id)


def payment_received(customer_id: uuid.UUID) -> None:
    """Enqueue the re-evaluation of the customer's file (runs after the payment's commit)."""
    from clientvault.risk.tasks import reevaluate_on_payment

    file_id = CreditFile.objects.unrestricted(reason=_SYSTEM).filter(customer_id=customer_id).values_list("pk", flat=True).first()
    if file_id is not None:
        reevaluate_on_payment.enqueue(str(file_id))


def register() -> None:
    credit_hooks.register(checker=check, listener=payment_received)
