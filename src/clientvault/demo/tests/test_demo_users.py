"""Issue #11, item 4: the demo's users are made through the accounts services and the grant path, so the
demo leaves the events a real set-up leaves."""

from __future__ import annotations

import pytest

from clientvault.accounts import grants
from clientvault.accounts.models import RoleGrant, User
from clientvault.core import roles as R
from clientvault.core.context import system_context
from clientvault.core.errors import PermissionDenied
from clientvault.demo import seeding
from clientvault.testing.organisation import ensure_roles

pytestmark = pytest.mark.django_db


def test_demo_users_leave_created_and_grant_events(audit_events):
    ensure_roles()
    users = seeding.build_organisation(system_context(channel="cli"))
    admin, officer = users["admin"], users["compliance"]
    created = {e.object_id: e for e in audit_events("user.created")}
    assert set(created) == {str(u.pk) for u in users.values()}
    first = {s.username for s in seeding.bootstrapped_users()}
    assert first == {"admin", "compliance"}
    for spec in seeding.DEMO_USERS:
        user = User.objects.get(username=spec.username)
        assert user.role_codes() == [spec.role] and user.check_password(seeding.DEMO_PASSWORD)
        event = created[str(user.pk)]
        if spec.username in first:
            assert event.actor_id is None and event.detail == {"role_codes": [spec.role], "bootstrap": True}
        else:
            assert event.actor_id == admin.pk and event.detail == {"role_codes": [], "requested_role_codes": [spec.role]}
            grant = RoleGrant.objects.get(user=user)
            assert (grant.status, grant.requested_by, grant.decided_by) == ("approved", admin, officer)
    data_users = [s for s in seeding.DEMO_USERS if s.username not in first]
    requested = audit_events("role_grant.requested")
    approved = audit_events("role_grant.approved")
    assert len(requested) == len(approved) == len(data_users)
    assert {e.actor_id for e in requested} == {admin.pk} and {e.actor_id for e in approved} == {officer.pk}


def test_bootstrap_makes_only_the_first_officers(audit_events):
    ensure_roles()
    users = seeding.build_organisation(system_context(channel="cli"))
    data = {"username": "late", "department_id": str(users["admin"].department_id), "roles": [R.COMPLIANCE_OFFICER]}
    with pytest.raises(PermissionDenied):  # a compliance officer exists already
        grants.bootstrap_user(ctx=system_context(), data=data, password=seeding.DEMO_PASSWORD)
    with pytest.raises(PermissionDenied):  # never a sales role
        grants.bootstrap_user(ctx=system_context(), data=data | {"roles": [R.SALES_REP]}, password=seeding.DEMO_PASSWORD)
    assert not User.objects.filter(username="late").exists()
