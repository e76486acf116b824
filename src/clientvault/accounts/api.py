from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from clientvault.access.engine import capabilities

router = Router(tags=["me"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    department: str | None
    roles: list[str]
    capabilities: list[str]


@router.get("/me", response=MeOut, summary="The signed-in user, roles and capabilities")
def me(request: HttpRequest) -> MeOut:
    ctx = request.cv_ctx  # type: ignore[attr-defined]
    user = ctx.actor
    return MeOut(
        id=user.pk,
        username=user.username,
        display_name=user.display_name,
        department=user.department.name if user.department else None,
        roles=sorted(ctx.roles),
        capabilities=sorted(capabilities(ctx)),
    )
