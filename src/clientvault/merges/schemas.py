"""API schemas of merges (issue #14): ids, statuses, dates, field codes and rule codes — nothing personal.
The side-by-side comparison is a page (it shows masked values); the API proposes, reads lineage, unmerges."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import Field

from clientvault.merges.models import MergeStatus
from clientvault.merges.selectors import MergeView


class MergeProposalIn(Schema):
    customer_ids: list[uuid.UUID] = Field(description="The records to merge; the first one survives", min_length=2, max_length=50)
    picks: dict[str, uuid.UUID] = Field(default_factory=dict, description="Field code → the record whose value the survivor keeps")
    reason: str = Field(max_length=500, description="Why these records are the same customer")
    cluster_id: uuid.UUID | None = Field(None, description="The duplicate cluster this merge resolves, if any")


class UnmergeIn(Schema):
    reason: str = Field(max_length=500)


class MergeRequestOut(Schema):
    merge_id: uuid.UUID
    change_request_id: uuid.UUID
    change_request_status: str


class MergeOut(Schema):
    id: uuid.UUID
    status: MergeStatus
    survivor_id: uuid.UUID
    merged_ids: list[uuid.UUID]
    sources: dict[str, int] = Field(description="Field code → position (1 = survivor) of the record it came from")
    rules: dict[str, str] = Field(description="Field code → the survivorship rule used (manual: the maker's pick)")
    proposed_at: dt.datetime
    applied_at: dt.datetime | None
    unmerged_at: dt.datetime | None
    unmerge_until: dt.datetime | None
    unmerge_blocked: list[str]
    change_request_id: uuid.UUID | None
    unmerge_request_id: uuid.UUID | None

    @staticmethod
    def of(view: MergeView) -> MergeOut:
        m = view.merge
        return MergeOut(
            id=m.id,
            status=MergeStatus(m.status),
            survivor_id=m.survivor_id,
            merged_ids=[uuid.UUID(i) for i in m.member_ids],
            sources={f: view.positions.get(src, 0) for f, src in m.picks.items()},
            rules={f: str((rule or ["", 0])[0]) for f, rule in m.rules.items()},
            proposed_at=m.created_at,
            applied_at=m.applied_at,
            unmerged_at=m.unmerged_at,
            unmerge_until=view.deadline if m.status == MergeStatus.APPLIED else None,
            unmerge_blocked=view.unmerge_blocked,
            change_request_id=m.request_id,
            unmerge_request_id=m.unmerge_request_id,
        )
