"""A real Splink run (DuckDB in memory) over customers sealed in the database."""

from __future__ import annotations

from typing import Any

import pytest

from clientvault.core.context import system_context
from clientvault.dedupe import services
from clientvault.dedupe.choices import ClusterStatus, ScanKind
from clientvault.dedupe.models import ClusterMember, DuplicateCluster, MatchPair
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


def _open_ids() -> set[Any]:
    return set(DuplicateCluster.objects.filter(status=ClusterStatus.OPEN).values_list("pk", flat=True))


def test_cluster_ids_are_stable_across_scans(org):
    plant(org["rep_bj1"], 120, seed=8)
    services.scan(ctx=_ctx(), incremental=False)
    first = _open_ids()
    first_members = {c: set(ClusterMember.objects.filter(cluster_id=c, active=True).values_list("customer_id", flat=True)) for c in first}
    assert first
    second_scan = services.scan(ctx=_ctx(), incremental=False)
    assert _open_ids() == first
    for cluster_id, members in first_members.items():
        assert set(ClusterMember.objects.filter(cluster_id=cluster_id, active=True).values_list("customer_id", flat=True)) == members
    assert second_scan.clusters_new == 0
    assert DuplicateCluster.objects.filter(last_seen=second_scan).count() == len(first)


def test_an_incremental_scan_matches_new_customers_against_existing_clusters(org):
    from clientvault.testing.customers import customer

    data, ids = plant(org["rep_bj1"], 120, seed=9)
    services.scan(ctx=_ctx(), incremental=False)
    before = _open_ids()
    # Another record of a person already in a cluster (romanised name, same mobile and birth date), and
    # another of a person with no duplicate yet (one-digit ID typo).
    clustered = ClusterMember.objects.filter(cluster_id__in=before, active=True).values_list("customer_id", flat=True)[0]
    in_cluster = next(r for r in data.rows if ids[r["unique_id"]] == clustered)
    alone_row = next(r for r in data.rows if ids[r["unique_id"]] not in set(ClusterMember.objects.values_list("customer_id", flat=True)))
    from pypinyin import lazy_pinyin

    roman = " ".join(p.capitalize() for p in lazy_pinyin(in_cluster["name"]))
    joined = customer(
        org["rep_bj1"], name=roman, id_number="", mobile=in_cluster["mobile"], birth_date=in_cluster["birth_date"], sex=in_cluster["sex"]
    )
    typo = alone_row["id_number"][:-2] + alone_row["id_number"][-1] + alone_row["id_number"][-2]  # two digits transposed
    fresh = customer(
        org["rep_bj1"],
        name=alone_row["name"],
        id_number=typo,
        birth_date=alone_row["birth_date"],
        sex=alone_row["sex"],
        mobile="",
        email="",
    )
    scan = services.scan(ctx=_ctx())
    assert scan.kind == ScanKind.INCREMENTAL
    assert scan.customers_compared == 2  # only the new records were compared (against everyone)
    assert scan.customers_scanned == len(ids) + 2
    target = ClusterMember.objects.get(customer=joined, active=True).cluster
    assert target.pk == ClusterMember.objects.get(customer_id=clustered, active=True).cluster_id
    assert target.pk in before  # joined the existing cluster, same id
    pair_cluster = ClusterMember.objects.get(customer=fresh, active=True).cluster
    assert pair_cluster.pk not in before and pair_cluster.first_seen_id == scan.pk
    assert ClusterMember.objects.filter(cluster=pair_cluster, customer_id=ids[alone_row["unique_id"]]).exists()
    assert before <= _open_ids()  # the clusters of unchanged customers stay open with their ids


def test_a_dismissed_cluster_is_remembered_by_later_scans(org, audit_events):
    from clientvault.testing.actors import ctx as ctx_for

    plant(org["rep_bj1"], 120, seed=10)
    services.scan(ctx=_ctx(), incremental=False)
    cluster = DuplicateCluster.objects.filter(status=ClusterStatus.OPEN).first()
    assert cluster is not None
    members = set(ClusterMember.objects.filter(cluster=cluster, active=True).values_list("customer_id", flat=True))
    services.dismiss(ctx_for(org["compliance"]), cluster, reason="different_people")
    [event] = audit_events("duplicates.dismissed")
    assert event.detail["reason"] == "different_people" and event.actor_id == org["compliance"].pk
    rescan = services.scan(ctx=_ctx(), incremental=False)
    assert rescan.params["suppressed_pairs"] >= 1
    cluster.refresh_from_db()
    assert cluster.status == ClusterStatus.DISMISSED
    for other in DuplicateCluster.objects.filter(status=ClusterStatus.OPEN):
        assert not members <= set(ClusterMember.objects.filter(cluster=other, active=True).values_list("customer_id", flat=True))


def test_a_failed_scan_is_recorded_without_values(org, audit_events, monkeypatch):
    from clientvault.dedupe import engine

    plant(org["rep_bj1"], 10, seed=12)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("pretend DuckDB ran out of memory")

    monkeypatch.setattr(engine, "run", broken)
    with pytest.raises(MemoryError):
        services.scan(ctx=_ctx(), incremental=False)
    [event] = audit_events("duplicates.scanned")
    assert event.outcome == "failure" and event.detail == {"kind": "full", "error": "memoryerror"}
    assert not DuplicateCluster.objects.exists() and not MatchPair.objects.exists()


def test_a_scan_leaves_restricted_customers_alone(org, audit_events):
    """PIPL-47 / GDPR-18: a restricted record is stored only; duplicate matching would be processing it."""
    from clientvault.customers.models import Customer
    from clientvault.lifecycle import services as lifecycle
    from clientvault.testing.actors import ctx

    data, ids = plant(org["rep_bj1"], 120, seed=8)
    truth = true_pairs(data, ids)
    held = truth and next(iter(truth))[0]
    assert held
    lifecycle.restrict_on_request(ctx(org["compliance"]), customer_id=held, request_ref="rr-dedupe", reason="客户要求")
    Customer.objects.unrestricted(reason="test").get(pk=held)  # still stored
    scan = services.scan(ctx=_ctx(), incremental=False)
    assert scan.customers_scanned == len(ids) - 1
    assert not ClusterMember.objects.filter(customer_id=held, active=True).exists()
    assert not any(held in pair for pair in _clustered_pairs())
