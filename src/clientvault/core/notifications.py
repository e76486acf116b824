"""Notifications (issue #13): the bell's items and their e-mails.

``notify`` writes one ``Notification`` row per recipient in the caller's transaction — a rolled-back action
notifies nobody — and e-mails them through Django's mail after commit, from the worker (ARCHITECTURE.md rule 8:
side effects after commit; tasks take ids). The text is rendered in each recipient's language and is never
personal: notifications are e-mailed and outlive a customer's key (rule 6).

Marking one's own notifications read changes nothing but the reader's own list, so it records no audit event.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.functional import Promise
from django_tasks import task

from clientvault.core import clock
from clientvault.core.models import Notification

log = logging.getLogger(__name__)

TEXT_MAX = 300


def _render(text: str | Promise, language: str) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return str(text)[:TEXT_MAX]


def notify(user_ids: Iterable[int], kind: str, text: str | Promise, link: str = "", *, dedupe_key: str = "") -> list[int]:
    """Notify each user once (per ``dedupe_key`` when given); returns the ids of the rows written.

    Runs in the caller's transaction; the e-mails go out after it commits.
    """
    User = get_user_model()  # accounts sits above core
    wanted = sorted({int(u) for u in user_ids})
    if not wanted:
        return []
    recipients = list(User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", "language"))
    if dedupe_key:
        done = set(Notification.objects.filter(user_id__in=wanted, dedupe_key=dedupe_key).values_list("user_id", flat=True))
        recipients = [r for r in recipients if r[0] not in done]
    now = clock.now()
    created: list[int] = []
    for user_id, language in recipients:
        row = Notification(user_id=user_id, kind=kind, text=_render(text, language), link=link[:300], dedupe_key=dedupe_key, created_at=now)
        if dedupe_key:
            try:
                with transaction.atomic():  # a concurrent reminder with the same key won the race: skip it
                    row.save()
            except IntegrityError:
                continue
        else:
            row.save()
        created.append(row.pk)
    if created:
        # robust: the act has committed; a mail that cannot be queued (a locked SQLite table under load) is logged
        # by Django and must not turn a committed approval into an error for its caller (the in-app rows stand).
        transaction.on_commit(lambda: send_notification_mail.enqueue(created), robust=True)
    return created


@task()
def send_notification_mail(notification_ids: list[int]) -> int:
    """E-mail each notification to its recipient (those without an address are skipped); returns the count sent."""
    sent = 0
    rows = Notification.objects.filter(pk__in=notification_ids).select_related("user").order_by("id")
    for row in rows:
        address = getattr(row.user, "email", "")
        if not address:
            continue
        body = row.text + (f"\n\n{row.link}" if row.link else "")
        try:
            sent += send_mail(f"[clientvault] {row.text[:120]}", body, None, [address])
        except OSError:
            # The mail server is down: the bell still has the item; log without the address (no personal data).
            log.warning("notification %s could not be e-mailed", row.pk)
    return sent


@dataclass(frozen=True)
class Inbox:
    items: list[Notification]
    unread: int


def unread_count(user_id: int | None) -> int:
    """The bell's number."""
    if user_id is None:
        return 0
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def for_user(user_id: int, *, unread_only: bool = False, limit: int = 100) -> Inbox:
    """The person's newest notifications (their own only) and how many are unread."""
    qs: QuerySet[Notification] = Notification.objects.filter(user_id=user_id)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return Inbox(items=list(qs.order_by("-created_at", "-id")[:limit]), unread=unread_count(user_id))


@transaction.atomic
def mark_read(user_id: int, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notifications read (all unread ones when no ids are given); returns how many changed.

    Another person's notification ids are ignored: the filter is on the reader.
    """
    qs = Notification.objects.filter(user_id=user_id, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=[int(i) for i in notification_ids])
    return qs.update(read_at=clock.now())


def link_of(user_id: int, notification_id: int) -> str:
    """The link of the user's own notification ("" for another person's or a missing one)."""
    row = Notification.objects.filter(user_id=user_id, pk=notification_id).values_list("link", flat=True).first()
    return row or ""
