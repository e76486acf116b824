"""A real Splink run (DuckDB in memory) over customers sealed in the database."""

from __future__ import annotations

from typing import Any

import pytest

from clientvault.core.context import system_context
from clientvault.dedupe import services
from clientvault.dedupe.choices import ClusterStatus, ScanKind
from clientvault.dedupe.models import ClusterMember
from clientvault.dedupe.tests.helpers import household_pairs, plant, true_pairs

pytestmark = pytest.mark.django_db


def _ctx():
    return system_context(channel="task", purpose="compliance_review")


def _clustered_pairs():
    members: dict[Any, list[Any]] = {}
    for cluster_id, customer_id in ClusterMember.objects.filter(active=True, cluster__status=ClusterStatus.OPEN).values_list(
        "cluster_id", "customer_id"
    ):
        members.setdefault(cluster_id, []).append(customer_id)
    return {tuple(sorted((a, b))) for group in members.values() for a in group for b in group if a < b}


def test_a_full_scan_finds_the_planted_duplicates_and_not_the_households(org, audit_events):
    data, ids = plant(org["rep_bj1"], 200)
    scan = services.scan(ctx=_ctx(), incremental=False)
    assert scan.kind == ScanKind.FULL and scan.state == "done"
    assert scan.customers_scanned == len(ids)
    found, truth, households = _clustered_pairs(), true_pairs(data, ids), household_pairs(data, ids)
    assert truth and households
    recall = len(found & truth) / len(truth)
    precision = len(found & truth) / len(found)
    assert recall >= 0.9, recall
    assert precision >= 0.9, precision
    assert not found & households  # a shared phone and address alone is not a duplicate
    [event] = audit_events("duplicates.scanned")
    assert event.detail["customers_decrypted"] == len(ids)
    assert event.detail["kind"] == "full"
    assert "customer.name" in event.fields
