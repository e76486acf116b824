"""The review queue: who sees which cluster, evidence masked per policy and audited, the CLI export."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import pytest
from django.core.management import call_command

from clientvault.core.errors import NotFound, PermissionDenied
from clientvault.dedupe import selectors, services
from clientvault.dedupe.choices import ClusterStatus
from clientvault.dedupe.engine import evidence_of
from clientvault.dedupe.models import ClusterMember, DuplicateCluster, DuplicateScan, MatchPair
from clientvault.testing.actors import ctx
from clientvault.testing.customers import customer

pytestmark = pytest.mark.django_db
LEVELS = {"name": 6, "id_number": 1, "birth_date": 3, "sex": 1, "mobile": 2, "email": -1, "address": -1}


def _cluster(*members: Any, probability: float = 0.99) -> DuplicateCluster:
    """A cluster written directly (the scan that finds one is tested in test_scan.py)."""
    from clientvault.core import clock

    scan = DuplicateScan.objects.create(kind="full", state="done", started_at=clock.now(), threshold=0.95)
    cluster = DuplicateCluster.objects.create(
        legal_entity_id=members[0].legal_entity_id, best_probability=probability, size=len(members), first_seen=scan, last_seen=scan
    )
    ClusterMember.objects.bulk_create([ClusterMember(cluster=cluster, customer=m) for m in members])
    for i, a in enumerate(members):
        for b in members[i + 1 :]:
            left, right = sorted((a.pk, b.pk))
            MatchPair.objects.create(
                cluster=cluster,
                left_id=left,
                right_id=right,
                probability=probability,
                levels=LEVELS,
                evidence=evidence_of(LEVELS),
                scan=scan,
            )
    return cluster


@pytest.fixture
def clusters(org: Any) -> dict[str, DuplicateCluster]:
    bj = _cluster(customer(org["rep_bj1"], name="王小明"), customer(org["rep_bj1"], name="王晓明"), probability=0.99)
    mixed = _cluster(customer(org["rep_bj1"], name="李雷"), customer(org["rep_sh"], name="李雷"), probability=0.97)
    sh = _cluster(customer(org["rep_sh"], name="韩梅梅"), customer(org["rep_sh"], name="韓梅梅"), probability=0.96)
    return {"bj": bj, "mixed": mixed, "sh": sh}


def _queue(user: Any) -> list[uuid.UUID]:
    return [c.pk for c in selectors.queue(ctx(user))]


def test_a_cluster_is_listed_only_to_who_sees_every_member(org: Any, clusters: dict[str, DuplicateCluster]) -> None:
    bj, mixed, sh = clusters["bj"].pk, clusters["mixed"].pk, clusters["sh"].pk
    assert _queue(org["compliance"]) == [bj, mixed, sh]  # most likely first
    assert _queue(org["manager_bj"]) == [bj]  # the mixed cluster holds a Shanghai record
    assert _queue(org["manager_sh"]) == [sh]
    assert set(_queue(org["auditor"])) == {bj, mixed, sh}
    for name in ("rep_bj1", "risk", "admin", "norole"):
        with pytest.raises(PermissionDenied):
            selectors.queue(ctx(org[name]))
    with pytest.raises(NotFound):
        selectors.cluster_for(ctx(org["manager_bj"]), mixed)


def test_evidence_is_masked_per_policy_and_audited_per_member(org: Any, clusters: dict[str, DuplicateCluster], audit_events: Any) -> None:
    found = selectors.evidence(ctx(org["manager_bj"]), clusters["bj"].pk)
    names = [m.name for m in found.members]
    assert "王小明" not in names and "王晓明" not in names  # sales managers see names masked (access/defaults.py)
    assert all("*" in n for n in names)
    views: dict[str, Any] = found.members[0].field_views  # type: ignore[attr-defined]
    assert views["name"].decision == "masked"
    events = audit_events("duplicates.viewed")
    assert {e.customer_id for e in events} == {m.pk for m in found.members}
    assert all(e.actor_id == org["manager_bj"].pk and "name" in e.fields for e in events)
    assert all("王" not in json.dumps(e.detail, ensure_ascii=False) for e in events)
    shown = selectors.evidence(ctx(org["compliance"]), clusters["bj"].pk)
    assert {m.name for m in shown.members} == {"王小明", "王晓明"}  # compliance sees them in clear


def test_dismissing_needs_change_and_sight(org: Any, clusters: dict[str, DuplicateCluster]) -> None:
    with pytest.raises(PermissionDenied):
        services.dismiss(ctx(org["auditor"]), clusters["bj"], reason="different_people")
    with pytest.raises(NotFound):
        services.dismiss(ctx(org["manager_sh"]), clusters["bj"], reason="different_people")
    from clientvault.core.errors import Conflict, ValidationFailed

    with pytest.raises(ValidationFailed):
        services.dismiss(ctx(org["manager_bj"]), clusters["bj"], reason="他们不是同一人")
    services.dismiss(ctx(org["manager_bj"]), clusters["bj"], reason="same_household")
    clusters["bj"].refresh_from_db()
    assert clusters["bj"].status == ClusterStatus.DISMISSED and clusters["bj"].dismissed_by == org["manager_bj"]
    with pytest.raises(Conflict):
        services.dismiss(ctx(org["compliance"]), clusters["bj"], reason="different_people")


def test_merge_and_unmerge_outcomes_move_the_cluster(org: Any, clusters: dict[str, DuplicateCluster], audit_events: Any) -> None:
    from clientvault.core.context import system_context

    merge_id = uuid.uuid4()
    services.mark_merged(system_context(channel="task"), clusters["bj"], merge_id=merge_id)
    clusters["bj"].refresh_from_db()
    assert clusters["bj"].status == ClusterStatus.MERGED and clusters["bj"].merge_id == merge_id
    assert clusters["bj"].pk not in _queue(org["compliance"])
    services.reopen(system_context(channel="task"), clusters["bj"])
    clusters["bj"].refresh_from_db()
    assert clusters["bj"].status == ClusterStatus.OPEN and clusters["bj"].merge_id is None
    assert [e.detail for e in audit_events("duplicates.merged")] == [{"merge_id": str(merge_id)}]
    assert [e.detail for e in audit_events("duplicates.reopened")] == [{"previous_status": "merged"}]


def test_the_cluster_page_shows_masked_evidence_and_pair_codes(org: Any, clusters: dict[str, DuplicateCluster], client: Any) -> None:
    from clientvault.testing.actors import sign_in_verified

    sign_in_verified(client, org["manager_bj"])
    response = client.get(f"/duplicates/{clusters['bj'].pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "王小明" not in body and "王晓明" not in body
    assert 'data-testid="member"' in body and 'data-testid="dismiss"' in body
    # The merges app is installed: the button leads to its proposal page for this cluster.
    assert 'data-testid="propose-merge"' in body and f"/merges/propose/?cluster={clusters['bj'].pk}" in body
    queue = client.get("/duplicates/").content.decode()
    assert str(clusters["bj"].pk) in queue and str(clusters["mixed"].pk) not in queue


def test_cli_export_holds_ids_and_codes_only(org: Any, clusters: dict[str, DuplicateCluster], tmp_path: Any, audit_events: Any) -> None:
    out = tmp_path / "clusters.csv"
    call_command("duplicates", "export", "--format", "csv", "--output", str(out))
    text = out.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["cluster_id"] for r in rows] == [str(clusters[k].pk) for k in ("bj", "mixed", "sh")]
    members = {str(m) for m in ClusterMember.objects.filter(cluster=clusters["bj"]).values_list("customer_id", flat=True)}
    assert set(rows[0]["customer_ids"].split()) == members
    assert rows[0]["agree"].split() == ["name", "birth_date", "sex", "mobile"] and rows[0]["probability"] == "0.99"
    for value in ("王", "李", "韩", "韓", "@example"):
        assert value not in text  # no personal value: ids, probabilities and field codes only
    for c in clusters.values():
        for m in ClusterMember.objects.filter(cluster=c).select_related("customer"):
            from clientvault.customers import vault

            values = vault.unseal(m.customer, ("mobile", "id_number"))
            assert values["mobile"] not in text and values["id_number"] not in text
    buffer = io.StringIO()
    call_command("duplicates", "export", "--format", "json", stdout=buffer)
    assert {r["cluster_id"] for r in json.loads(buffer.getvalue())} == {str(c.pk) for c in clusters.values()}
    assert [e.detail["rows"] for e in audit_events("duplicates.exported")] == [3, 3]
