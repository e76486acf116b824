"""Follow-ups due (issue #13): the home page's card, the customer list's ``due`` filter and the worker's reminder.

A customer's next step is the one its latest follow-up names: recording a newer follow-up answers the
earlier next step, so only the latest follow-up's ``next_step_due`` counts. "Mine" is the customers the
person owns (and still sees); counts and the reminder carry no personal data — a number and a link.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.lookups import Exact, LessThan
from django.urls import reverse
from django.utils.translation import ngettext_lazy

from clientvault.access import engine
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.notifications import notify
from clientvault.customers.choices import Status
from clientvault.customers.models import Customer, FollowUp

TODAY, OVERDUE = "today", "overdue"
DUE_CHOICES = (TODAY, OVERDUE)
REMINDER_KIND = "followup.due"


@dataclass(frozen=True)
class DueCounts:
    today: int
    overdue: int


def _next_due(followups: QuerySet[FollowUp]) -> Subquery:
    """The due date of the customer's latest follow-up (an expression over the outer customer row)."""
    return Subquery(followups.filter(customer=OuterRef("pk")).order_by("-occurred_at", "-created_at").values("next_step_due")[:1])


def filter_due(ctx: Context, qs: QuerySet[Customer], due: str, *, today: dt.date | None = None) -> QuerySet[Customer]:
    """The customers of ``qs`` the actor owns whose next step is due ``today`` or ``overdue``."""
    if due not in DUE_CHOICES or ctx.actor is None:
        return qs
    day = today or clock.today()
    next_due = _next_due(FollowUp.objects.visible_to(ctx))
    return qs.filter(owner_id=ctx.actor.pk).filter(Exact(next_due, day) if due == TODAY else LessThan(next_due, day))


def my_due_counts(ctx: Context) -> DueCounts | None:
    """How many of the actor's customers have a next step due today / overdue; None for someone who records no follow-ups."""
    if ctx.actor is None or not ctx.purpose or not engine.can(ctx, "followup", "create"):
        return None
    day = clock.today()
    base = Customer.objects.visible_to(ctx).exclude(status=Status.CLOSED)
    return DueCounts(today=filter_due(ctx, base, TODAY, today=day).count(), overdue=filter_due(ctx, base, OVERDUE, today=day).count())


@transaction.atomic
def remind_followups_due(*, today: dt.date | None = None) -> int:
    """Notify each owner once a day of their customers whose next step is due today; returns owners notified."""
    day = today or clock.today()
    customers = Customer.objects.unrestricted(reason="the worker reminds owners of their follow-ups due today (ids only)")
    followups = FollowUp.objects.unrestricted(reason="the latest follow-up's due date of each customer (dates only)")
    due_today = customers.exclude(owner=None).exclude(status=Status.CLOSED).filter(Exact(_next_due(followups), day))
    owners = Counter(due_today.values_list("owner_id", flat=True))
    link = reverse("customers:list") + f"?due={TODAY}"
    notified = 0
    for owner_id, count in sorted(owners.items()):
        text = ngettext_lazy("%(count)d follow-up is due today", "%(count)d follow-ups are due today", count) % {"count": count}
        if notify([owner_id], REMINDER_KIND, text, link, dedupe_key=f"{REMINDER_KIND}:{day.isoformat()}"):
            notified += 1
    return notified
