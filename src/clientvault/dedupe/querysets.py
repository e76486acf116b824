"""Who sees which duplicate cluster: a person with the ``duplicates`` capability, and only the clusters
whose every current member they can see under their declared purpose (a cluster would otherwise tell
them that a record they cannot see exists and resembles one they can)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef

from clientvault.core.capabilities import DUPLICATES, VIEW, allows

if TYPE_CHECKING:
    from clientvault.core.context import Context


class ClusterQuerySet(models.QuerySet[Any]):
    def visible_to(self, ctx: Context, action: str = VIEW) -> ClusterQuerySet:
        if ctx.actor is None or not allows(ctx.roles, DUPLICATES, action):
            return self.none()
        customer = apps.get_model("customers", "Customer")
        member = apps.get_model("dedupe", "ClusterMember")
        seen = customer.objects.visible_to(ctx).values("pk")
        hidden = member.objects.filter(cluster=OuterRef("pk"), active=True).exclude(customer_id__in=seen)
        return self.filter(~Exists(hidden))
