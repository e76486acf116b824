"""The demo's merge is made through the services and can be undone (issue #14)."""

from __future__ import annotations

import pytest

from clientvault.core.context import system_context
from clientvault.customers.models import Customer
from clientvault.demo import seeding
from clientvault.demo.merges import seed_merge
from clientvault.merges import planning
from clientvault.merges.models import MergeStatus
from clientvault.testing.customers import all_rows

pytestmark = pytest.mark.django_db


def test_demo_merge_is_applied_and_undoable() -> None:
    users = seeding.build_organisation(system_context(channel="cli"))
    merge = seed_merge(users)
    assert merge.status == MergeStatus.APPLIED
    assert planning.can_unmerge(merge) == []
    survivor = all_rows(Customer).get(pk=merge.survivor_id)
    merged = all_rows(Customer).get(pk=merge.member_ids[0])
    assert merged.merged_into_id == survivor.pk and bytes(survivor.mobile_bidx) != b""
