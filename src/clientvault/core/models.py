from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ScheduledJob(models.Model):
    """When each periodic job was last enqueued; the row lock stops two workers enqueuing it twice."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    last_enqueued_at = models.DateTimeField(_("last enqueued"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name


class OutboxEvent(models.Model):
    """A domain event for integrations (core/events.py). Codes and ids only.

    Ids are taken at insert but rows are seen at commit, so ids do not give the order readers can rely on.
    ``seq`` is the feed position: the sequencer (``events.sequence``) gives each committed event the next
    one, one run at a time under a lock, and the feed pages by it — a cursor never passes an event that
    commits later, because that event gets a position after every one already handed out."""

    id = models.BigAutoField(primary_key=True)
    seq = models.BigIntegerField(_("feed position"), null=True, blank=True, unique=True)
    topic = models.CharField(_("topic"), max_length=60, db_index=True)
    payload = models.JSONField(_("payload"), default=dict)
    occurred_at = models.DateTimeField(_("time"))
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class Notification(models.Model):
    """Something a person should look at (issue #13): the bell's items, also e-mailed (core/notifications.py).

    ``text`` is non-personal (a request's summary, a count, a change type): notifications outlive a customer's
    key and are e-mailed, so they never carry a customer's name or values. ``dedupe_key`` makes a reminder
    idempotent: one row per (user, key) — a second ``notify`` with the same key sends nothing.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient"))
    kind = models.CharField(_("kind"), max_length=60)
    text = models.CharField(_("text"), max_length=300)
    link = models.CharField(_("link"), max_length=300, blank=True)
    dedupe_key = models.CharField(_("de-duplication key"), max_length=160, blank=True)
    created_at = models.DateTimeField(_("created"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]
        constraints = [
            models.UniqueConstraint(fields=["user", "dedupe_key"], condition=~Q(dedupe_key=""), name="notification_once_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"


class FeedCursor(models.Model):
    """How far an in-process consumer has read the outbox feed (``events.consume``): its effects and the new
    position commit in one transaction, so an event is handled once even when the after-commit delivery was lost
    to a crash (``kill -9`` between commit and callback)."""

    name = models.CharField(_("consumer"), max_length=60, primary_key=True)
    seq = models.BigIntegerField(_("feed position"), default=0)

    class Meta:
        verbose_name = _("feed cursor")
        verbose_name_plural = _("feed cursors")

    def __str__(self) -> str:
        return f"{self.name}@{self.seq}"
