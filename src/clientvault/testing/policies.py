"""Access-policy changes for tests (a widening needs a second officer, ARCHITECTURE.md rule 12)."""

from __future__ import annotations

from typing import Any

from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org, second_officer


def widen_policy(org: Org, code: str, data: dict[str, Any], reason: str = "widen") -> Any:
    """Propose a widening policy change as ``compliance`` and approve it as a second officer; the policy."""
    from clientvault.access import proposals
    from clientvault.access import services as access_services
    from clientvault.access.models import PolicyChange

    change = access_services.change_policy(ctx=ctx(org["compliance"]), code=code, data=data, reason=reason)
    assert isinstance(change, PolicyChange), "the change does not widen sight"
    return proposals.approve(ctx=ctx(second_officer(org)), change_id=change.pk, reason="second officer checked")
