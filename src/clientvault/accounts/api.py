from __future__ import annotations

from ninja import Router, Schema

from clientvault.access.engine import capabilities
from clientvault.core.http import AppRequest

router = Router(tags=["me"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    department: str | None
    roles: list[str]
    capabilities: list[str]


@router.get("/me", response=MeOut, summary="The signed-in user, roles and capabilities")
def me(request: AppRequest) -> MeOut:
    ctx = request.cv_ctx
    user = ctx.actor
    assert user is not None  # the API's auth classes admit signed-in users and tokens only
    return MeOut(
        id=user.pk,
        username=user.username,
        display_name=user.display_name,
        department=user.department.name if user.department else None,
        roles=sorted(ctx.roles),
        capabilities=sorted(capabilities(ctx)),
    )
