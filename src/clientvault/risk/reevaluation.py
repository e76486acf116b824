"""Re-evaluating credit files (issue #16): nightly for every file, and for one file when a payment arrives.

Each file is scored and evaluated in ONE transaction (``reevaluate``): a crash mid-file leaves nothing of it
written. The nightly run walks the files in id order, in chunks (``CLIENTVAULT_RISK_REEVALUATE_CHUNK``), and skips
a file that already has a nightly score dated today: a run that stopped half-way is finished by the next one, and
running it twice the same day changes nothing (idempotent, resumable — ``core/tasks.py`` RESUMABLE_TASKS).
A file that fails with a domain error is logged by id and left for the next run; the others go on. Files of erased
or restricted customers are left out (PIPL-47).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from clientvault.core import clock
from clientvault.core.context import Context, system_context
from clientvault.core.errors import DomainError
from clientvault.risk import control, indicators, scoring_setup, services, warnings
from clientvault.risk.models import CreditFile, CreditScore, Trigger

log = logging.getLogger(__name__)
PURPOSE = "credit_assessment"
_SYSTEM = "nightly credit re-evaluation walks every file (system work: ids only)"


def system_ctx() -> Context:
    return system_context(channel="task", purpose=PURPOSE)


def chunk_size() -> int:
    return max(1, int(getattr(settings, "CLIENTVAULT_RISK_REEVALUATE_CHUNK", 200)))


@transaction.atomic
def reevaluate(file_id: uuid.UUID, trigger: str, ctx: Context | None = None) -> control.Outcome:
    """Score the file, evaluate its rules and raise the warnings its figures give, all or nothing."""
    ctx = ctx or system_ctx()
    before = CreditFile.objects.unrestricted(reason=_SYSTEM).values_list("evaluation", flat=True).get(pk=file_id)
    services.score_file(ctx, file_id=file_id, trigger=trigger)
    outcome = services.evaluate_file(ctx, file_id=file_id, checkpoint=control.EVALUATION)
    # Early warning from the figures (overdue, rising utilisation): today's evaluation against the previous one.
    now = CreditFile.objects.unrestricted(reason=_SYSTEM).values_list("evaluation", flat=True).get(pk=file_id)
    current = scoring_setup.previous_figures(now)
    if current is not None:
        signals = indicators.from_figures(scoring_setup.previous_figures(before or {}), current)
        if signals:
            warnings.raise_warnings(ctx, file_id, signals)
    return outcome


def nightly(*, chunk: int | None = None, day: dt.date | None = None) -> int:
    """Re-evaluate every file not yet done today; returns how many were done by this run."""
    today = day or clock.today()
    since = dt.datetime.combine(today, dt.time.min, tzinfo=timezone.get_current_timezone())
    size = chunk or chunk_size()
    files = _live(CreditFile.objects.unrestricted(reason=_SYSTEM)).order_by("pk")
    done = 0
    last: uuid.UUID | None = None
    while True:
        page = files if last is None else files.filter(pk__gt=last)
        ids = list(page.values_list("pk", flat=True)[:size])
        if not ids:
            return done
        finished = set(
            CreditScore.objects.unrestricted(reason=_SYSTEM)
            .filter(credit_file_id__in=ids, trigger=Trigger.NIGHTLY, scored_at__gte=since)
            .values_list("credit_file_id", flat=True)
        )
        for file_id in ids:
            if file_id in finished:
                continue
            try:
                reevaluate(file_id, Trigger.NIGHTLY)
            except DomainError as exc:
                log.warning("credit file %s not re-evaluated: %s", file_id, exc.code)
                continue
            done += 1
        last = ids[-1]


def _live(files: QuerySet[CreditFile]) -> QuerySet[CreditFile]:
    """Files whose customer may still be processed: an erased record has no key left to seal a score under, and a
    restricted one is stored only (PIPL-47: no further processing) — neither is scored or evaluated."""
    return files.filter(customer__erased_at__isnull=True, customer__restricted_at__isnull=True)


def on_payment(file_id: uuid.UUID) -> control.Outcome | None:
    """Re-evaluate one file after a payment (None: the file is gone, or its customer erased or restricted)."""
    if not _live(CreditFile.objects.unrestricted(reason=_SYSTEM)).filter(pk=file_id).exists():
        return None
    return reevaluate(file_id, Trigger.PAYMENT)
