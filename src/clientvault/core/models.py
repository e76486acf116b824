from __future__ import annotations

from django.db import models
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
