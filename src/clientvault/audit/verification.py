"""``audit verify``: recompute every leaf, every checkpoint root, every signature and the chain.

Checks, in one pass over the log in leaf order:

1. checkpoints — each signature verifies with a published key, each names the hash of the one
   before it (the chain), times and sizes only grow;
2. leaves — indexes run 0, 1, 2 … without a gap; each event row still hashes to its leaf; a
   missing row is accepted only where the retention archive recorded it;
3. roots — the tree rebuilt from the leaves has each checkpoint's root at that checkpoint's size
   (so every checkpoint is a prefix of the next: consistency), and no leaf lies past the last one;
4. completeness — every event has exactly one leaf; an unsealed event is *pending* only while it is
   newer than the sealing grace period, otherwise it was slipped in and is reported;
5. the witness — every checkpoint the witness holds is in the database, unchanged, and the
   database's log is not shorter than the witness's (history cut off at the end is caught here).
   Once a checkpoint was published (``WitnessPublication``) the check fails closed: a witness that
   is not configured, missing, unreadable or unreachable, or that holds less than was published to
   it, is a problem, and so is a published checkpoint the database no longer has. ``witness=""``
   skips this step (the database checked on its own).

The first bad leaf position is reported; where an edit kept leaf and event consistent with each
other, the position is narrowed to the checkpoint range whose root no longer matches.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef

from clientvault.audit import canonical, interior, merkle, parallel, rowscan, sealing, signing
from clientvault.audit.models import ArchivedLeaf, AuditEvent, AuditLeaf, AuditNode, Checkpoint, WitnessPublication
from clientvault.core import clock

CHUNK = 10_000
UNSEALED_IN_MEMORY = 10_000
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str
    position: int | None = None


@dataclass
class Report:
    events: int = 0
    leaves: int = 0
    checkpoints: int = 0
    archived: int = 0
    pending: int = 0
    witnessed: int = 0
    tree_size: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_position(self) -> int | None:
        positions = [p.position for p in self.problems if p.position is not None]
        return min(positions) if positions else None

    def add(self, kind: str, message: str, position: int | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(kind, message, position))

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "events": self.events,
            "leaves": self.leaves,
            "tree_size": self.tree_size,
            "checkpoints": self.checkpoints,
            "archived": self.archived,
            "pending": self.pending,
            "witnessed": self.witnessed,
            "first_bad_position": self.first_bad_position,
            "problems": [{"kind": p.kind, "position": p.position, "message": p.message} for p in self.problems],
        }


def verify(*, witness: str | None = None, public_keys: dict[str, bytes] | None = None) -> Report:
    with rowscan.no_cyclic_gc():
        return _verify(witness, public_keys)


def _verify(witness: str | None, public_keys: dict[str, bytes] | None) -> Report:
    report = Report()
    keys = signing.public_keys() if public_keys is None else public_keys
    checkpoints = list(Checkpoint.objects.order_by("tree_size"))
    report.checkpoints = len(checkpoints)
    # Leaves against event rows: in worker processes on a large log, while this process does the rest.
    content = parallel.check_leaves_async()
    _check_chain(checkpoints, keys, report)
    completeness = Report()
    _check_completeness(checkpoints, completeness)
    _check_leaves(checkpoints, content, report)
    report.events, report.pending = completeness.events, completeness.pending
    for problem in completeness.problems:  # reported after the leaves, as one pass in order would
        report.add(problem.kind, problem.message, problem.position)
    if witness != "":
        _check_witness(settings.CLIENTVAULT_AUDIT_WITNESS if witness is None else witness, checkpoints, report)
    return report


def _check_chain(checkpoints: list[Checkpoint], keys: dict[str, bytes], report: Report) -> None:
    previous: Checkpoint | None = None
    for cp in checkpoints:
        body = sealing.body(cp)
        key = keys.get(cp.key_id)
        start = previous.tree_size if previous else 0
        if key is None:
            report.add("signature", f"checkpoint {cp.tree_size} is signed by unknown key {cp.key_id}", start)
        elif not signing.verify(key, body.encode("utf-8"), bytes(cp.signature)):
            report.add("signature", f"checkpoint {cp.tree_size}: the signature does not match its contents", start)
        expected = sealing.body_hash(previous) if previous else canonical.GENESIS
        if bytes(cp.previous_hash) != expected:
            report.add("chain", f"checkpoint {cp.tree_size} does not follow checkpoint {start}: the chain is broken", start)
        if previous is not None and (cp.created_at < previous.created_at or cp.max_event_pk < previous.max_event_pk):
            report.add("chain", f"checkpoint {cp.tree_size} goes back in time or in event ids", start)
        previous = cp


def _leaf_chunks(before: int) -> Iterator[list[tuple[int, bytes]]]:
    """``(index, leaf hash)`` below ``before`` in index order, read raw in chunks."""
    qn = connection.ops.quote_name
    sql = (
        f"SELECT {qn('index')}, {qn('leaf_hash')} FROM {qn(AuditLeaf._meta.db_table)} "  # noqa: S608 - quoted names only
        f"WHERE {qn('index')} > %s AND {qn('index')} < %s ORDER BY {qn('index')} LIMIT %s"
    )
    after = -1
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [after, before, CHUNK])
            chunk = cursor.fetchall()
            if not chunk:
                return
            yield chunk
            after = chunk[-1][0]


def _check_leaves(checkpoints: list[Checkpoint], content: parallel.Pending, report: Report) -> None:
    """Two halves: every leaf against its event row (``rowscan``, over index ranges, in parallel
    worker processes when the log is large), and the tree over the stored leaf hashes against every
    checkpoint. Problems are reported in leaf order, as one pass over the log would find them."""
    by_size = {cp.tree_size: cp for cp in checkpoints}
    found: list[tuple[tuple[int, int], str, str, int]] = []  # (order, kind, message, position)
    frontier = merkle.Frontier()
    range_start = 0
    gap: int | None = None
    # The leaves that existed when the content check started: both halves see the same log.
    for chunk in _leaf_chunks(content.hi):
        computed: dict[int, tuple[bytes, int]] = {}  # node key -> (hash the leaves give, last leaf under it)
        for index, stored in chunk:
            if index != frontier.size:
                gap = frontier.size
                found.append(((gap, 0), "leaf", f"leaf index {gap} is missing (next stored leaf is {index})", gap))
                break  # positions after a gap no longer line up with any checkpoint
            # The tree goes on with the stored hash: a root that fails later then means the leaf
            # table itself was changed, not only an event. The same merges name the interior nodes the
            # sealer stored for proofs, checked below against the leaves.
            for node in interior.completed_nodes(frontier, bytes(stored)):
                computed[node.key] = (bytes(node.node_hash), index)
            cp = by_size.get(frontier.size)
            if cp is not None:
                order = (cp.tree_size - 1, 1)  # after the range's last leaf
                if frontier.root() != bytes(cp.root_hash):
                    message = f"checkpoint {cp.tree_size}: the leaves {range_start}–{cp.tree_size - 1} do not give its root"
                    found.append((order, "root", message, range_start))
                elif [h.hex() for h in frontier.hashes] != list(cp.frontier):
                    found.append((order, "root", f"checkpoint {cp.tree_size}: its stored frontier differs from the tree", range_start))
                range_start = cp.tree_size
        _check_nodes(computed, found)
        if gap is not None:
            break
    checked = content.result()
    end = frontier.size if gap is None else gap
    for index, pk in checked.edited:
        if index < end:
            found.append(((index, 0), "edited", f"leaf {index}: event {pk} no longer matches its sealed hash", index))
    missing = {index: pk for index, pk in checked.missing if index < end}
    archived: set[int] = set()
    indexes = sorted(missing)
    for i in range(0, len(indexes), CHUNK):
        archived.update(ArchivedLeaf.objects.filter(index__in=indexes[i : i + CHUNK]).values_list("index", flat=True))
    for index, pk in missing.items():
        if index in archived:
            report.archived += 1
        else:
            found.append(((index, 0), "deleted", f"leaf {index}: event {pk} was deleted outside the retention archive", index))
    for _, kind, message, position in sorted(found, key=lambda f: f[0]):
        report.add(kind, message, position)
    if gap is not None:
        return
    report.leaves = frontier.size
    report.tree_size = checkpoints[-1].tree_size if checkpoints else 0
    if frontier.size != report.tree_size:
        if frontier.size > report.tree_size:
            report.add("leaf", f"{frontier.size - report.tree_size} leaf(s) past the last signed checkpoint", report.tree_size)
        else:
            report.add("leaf", f"the last checkpoint covers {report.tree_size} leaves but only {frontier.size} exist", frontier.size)


def _check_nodes(computed: dict[int, tuple[bytes, int]], found: list[tuple[tuple[int, int], str, str, int]]) -> None:
    """Every stored interior node (``AuditNode``, what proofs are served from) equals the hash the leaves
    give. A node that differs is reported (proofs would refuse it and rebuild, but the table was changed);
    a missing node is not a problem: a log sealed before the table existed gets its nodes from
    ``audit backfill-nodes``, and proofs rebuild without them."""
    keys = list(computed)
    for i in range(0, len(keys), CHUNK):
        for key, stored in AuditNode.objects.filter(key__in=keys[i : i + CHUNK]).values_list("key", "node_hash"):
            expected, last_leaf = computed[key]
            if bytes(stored) != expected:
                level, index = key & ((1 << interior.LEVEL_BITS) - 1), key >> interior.LEVEL_BITS
                message = f"interior node {level}/{index}: its stored hash differs from the leaves under it"
                found.append(((last_leaf, 1), "node", message, index << level))


def _check_completeness(checkpoints: list[Checkpoint], report: Report) -> None:
    report.events = AuditEvent.objects.count()
    duplicated = AuditLeaf.objects.values("event_pk").annotate(n=Count("index")).filter(n__gt=1).values_list("event_pk", flat=True)[:5]
    for pk in duplicated:
        report.add("duplicate", f"event {pk} has more than one leaf")
    unsealed = AuditEvent.objects.filter(~Exists(AuditLeaf.objects.filter(event_pk=OuterRef("pk"))))
    now = clock.now()
    grace = dt.timedelta(seconds=settings.CLIENTVAULT_AUDIT_SEAL_GRACE_SECONDS)
    # Until it is sealed, an event can vanish without a trace (nothing outside its row commits to it).
    # The sealer runs every few seconds, so an unsealed event older than the grace period means the
    # sealer stopped, or the row was slipped in afterwards: either way the window is no longer short.
    mark = sealing.watermark(now) if checkpoints else None
    late = unsealed.filter(occurred_at__lt=now - grace)
    if mark is not None:
        late = late | unsealed.filter(pk__lte=mark)
    # One anti-join: the unsealed events (normally only the few the sealer has not reached yet)
    # are sorted into late and pending here; past UNSEALED_IN_MEMORY the database counts them.
    rows = list(unsealed.order_by("pk").values_list("pk", "occurred_at")[: UNSEALED_IN_MEMORY + 1])
    if len(rows) <= UNSEALED_IN_MEMORY:
        late_pks = [pk for pk, at in rows if at < now - grace or (mark is not None and pk <= mark)]
        pending = len(rows) - len(late_pks)
    else:
        late_pks = list(late.order_by("pk").values_list("pk", flat=True)[:5])
        pending = unsealed.count() - late.count()
    for pk in late_pks[:5]:
        report.add(
            "unsealed",
            f"event {pk} has no leaf although it is older than the sealing grace period or lies in the sealed range"
            " (inserted afterwards, or the sealer is not running)",
        )
    report.pending = pending


def _check_witness(target: str, checkpoints: list[Checkpoint], report: Report) -> None:
    by_size = {cp.tree_size: cp for cp in checkpoints}
    sizes = sorted(by_size)
    largest = sizes[-1] if sizes else 0
    published = sealing.published_size()
    if published is not None:
        gone = WitnessPublication.objects.filter(tree_size__gt=largest).order_by("tree_size").values_list("tree_size", flat=True).first()
        if gone is not None:
            report.add(
                "witness",
                f"checkpoint {gone} was published to the witness, but the database ends at {largest}: events were cut off",
                largest,
            )
    if not target:
        if published is not None:
            report.add("witness", f"checkpoint {published} was published to a witness, but no witness is configured to compare with")
        return
    try:
        records = sealing.read_witness(target)
    except FileNotFoundError:
        if published is not None:
            report.add("witness", f"the witness file is missing, but checkpoint {published} was published to it")
        return
    except ValueError as exc:
        report.add("witness", str(exc))
        return
    except OSError as exc:
        if published is not None:
            report.add("witness", f"the witness cannot be read ({type(exc).__name__}), but checkpoint {published} was published to it")
        return
    held = max((int(r.get("tree_size", -1)) for r in records), default=0)
    if published is not None and held < published:
        report.add(
            "witness",
            f"the witness holds checkpoints up to {held}, but checkpoint {published} was published to it: the witness is behind",
            held,
        )
    for record in records:
        size = int(record.get("tree_size", -1))
        cp = by_size.get(size)
        if cp is None:
            if size > largest:
                report.add(
                    "witness", f"the witness holds checkpoint {size}, but the database ends at {largest}: events were cut off", largest
                )
            else:
                report.add("witness", f"the witness holds checkpoint {size}, which the database no longer has", size)
            continue
        if record.get("root") != base64.b64encode(bytes(cp.root_hash)).decode():
            start = max((s for s in sizes if s < size), default=0)
            report.add("witness", f"checkpoint {size}: the witness holds another root — history before it was rewritten", start)
        elif record.get("body") != sealing.body(cp):
            report.add("witness", f"checkpoint {size} was replaced (same tree, different checkpoint than the witness holds)")
        else:
            report.witnessed += 1
