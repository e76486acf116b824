"""The permission matrix's import cases (issue #14): the wizard, the batch and template pages and the import API.

Importing is a code capability (core/capabilities.py IMPORTS): sales managers and compliance officers run imports
and see their own batches (compliance: every batch of its legal entity); administrators read batch metadata and
import nothing; every other role gets 404 on the web and 403 over the API. The case's batch is staged and mapped
by ``manager_bj`` through the engine's services when a case first needs it; ``@foreign`` cases act on a batch of
``manager_sh`` (another branch), which ``manager_bj`` may not see.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from clientvault.approvals.models import ChangeRequest
from clientvault.audit.models import AuditEvent
from clientvault.intake import services
from clientvault.intake.models import ImportBatch, MappingTemplate, State
from clientvault.testing.actors import ctx
from clientvault.testing.imports import csv_bytes, people
from tests.matrix.world import USERS, World

# Importing creates customers: sales managers (customer "create" under their purpose) upload, and the operator alone
# maps, checks and starts a batch (intake.services). Compliance sees every batch of its entity and may ask to undo
# one; administrators read batch metadata. Everyone else has no IMPORTS capability.
UPLOADERS = ("manager_bj", "manager_sh")
NOT_UPLOADERS = tuple(u for u in USERS if u not in UPLOADERS)
OPERATOR = ("manager_bj",)
NOT_OPERATOR = tuple(u for u in USERS if u not in ("manager_bj", "manager_sh"))
IMPORTERS = ("manager_bj", "compliance")  # may request the undo of manager_bj's import
BATCH_READERS = (*IMPORTERS, "admin")  # administrators: metadata only
# The other importer who cannot see manager_bj's batch (another branch), and manager_bj on manager_sh's batch.
BATCH_OUT = ("manager_sh", "manager_bj@foreign")
NOT_IMPORTERS = tuple(u for u in USERS if u not in (*IMPORTERS, "manager_sh"))
NOT_BATCH_READERS = tuple(u for u in USERS if u not in (*BATCH_READERS, "manager_sh"))
TEMPLATE_READERS = ("manager_bj", "manager_sh", "compliance", "admin")
NOT_TEMPLATE_READERS = tuple(u for u in USERS if u not in TEMPLATE_READERS)
ROWS = 4
BAD_ROWS = (3,)
BATCH_URL = r"/imports/[0-9a-f-]{36}/"


def _memo(w: World) -> dict[str, Any]:
    memo: dict[str, Any] | None = getattr(w, "_intake_memo", None)
    if memo is None:
        memo = {}
        w._intake_memo = memo  # type: ignore[attr-defined]
    return memo


def batch_for(w: World, foreign: bool) -> ImportBatch:
    """A mapped batch of ROWS rows (one with a bad ID number), staged by manager_bj (foreign: manager_sh)."""
    memo = _memo(w)
    name = "foreign" if foreign else "target"
    if name not in memo:
        operator = w.org["manager_sh" if foreign else "manager_bj"]
        actor = ctx(operator)
        batch = services.stage(
            actor,
            file=io.BytesIO(csv_bytes(people(ROWS, bad_rows=BAD_ROWS, seed=9100 if foreign else 9000))),
            filename="matrix.csv",
            provenance=services.Provenance(source_system="matrix", lawful_basis="contract"),
        )
        services.set_mapping(actor, batch, {"姓名": "name", "身份证号": "id_number", "手机": "mobile", "邮箱": "email"})
        memo[name] = batch.pk
    return ImportBatch.objects.get(pk=memo[name])


def batch_id(w: World, foreign: bool) -> uuid.UUID:
    return batch_for(w, foreign).pk


def run(w: World, foreign: bool) -> ImportBatch:
    """The case's batch imported to the end (what the worker does after ``start``)."""
    batch = batch_for(w, foreign)
    if batch.state in (State.STAGED, State.MAPPED):
        operator = w.org["manager_sh" if foreign else "manager_bj"]
        services.start(ctx(operator), batch)
        services.run_chunks(batch.pk)
    return ImportBatch.objects.get(pk=batch.pk)


def template_id(w: World, foreign: bool) -> uuid.UUID:
    memo = _memo(w)
    if "template" not in memo:
        memo["template"] = MappingTemplate.objects.create(
            name="matrix", version=1, mapping={"姓名": "name"}, created_by=w.org["manager_bj"]
        ).pk
    return memo["template"]  # type: ignore[no-any-return]


def upload_form(w: World, foreign: bool) -> dict[str, Any]:
    return {
        "file": SimpleUploadedFile("matrix-new.csv", csv_bytes(people(2, seed=9300)), content_type="text/csv"),
        "source_system": "matrix",
        "lawful_basis": "contract",
        "on_match": "skip",
    }


def upload_payload(w: World, foreign: bool) -> dict[str, Any]:
    return {**upload_form(w, foreign)}


def staged(w: World, foreign: bool, ok: bool) -> None:
    assert ImportBatch.objects.filter(file_name="matrix-new.csv").count() == (1 if ok else 0)


def mapping_form(w: World, foreign: bool) -> dict[str, Any]:
    batch = batch_for(w, foreign)
    codes = {"姓名": "name", "身份证号": "id_number", "手机": "mobile"}  # e-mail dropped: a visible change
    return {f"col_{i}": codes.get(h, "") for i, h in enumerate(batch.headers)}


def mapping_payload(w: World, foreign: bool) -> dict[str, Any]:
    batch_for(w, foreign)
    return {"mapping": {"姓名": "name", "身份证号": "id_number", "手机": "mobile"}}


def mapped(w: World, foreign: bool, ok: bool) -> None:
    assert ("邮箱" in batch_for(w, foreign).mapping) is not ok


def remember_state(w: World, foreign: bool) -> dict[str, str]:
    """The batch's state before a start request (cases sharing one world, as the MFA sweep, may have run it)."""
    _memo(w)["state_before"] = batch_for(w, foreign).state
    return {}


def started(w: World, foreign: bool, ok: bool) -> None:
    """Started by the request; a refused one started nothing (cases sharing one world may have run the batch
    through its operator first: ``run``)."""
    batch = batch_for(w, foreign)
    if ok:
        assert batch.state == State.QUEUED and _memo(w).get("state_before") == State.MAPPED, batch.state
    else:
        others = AuditEvent.objects.filter(event_type="import.started", object_id=str(batch.pk)).exclude(actor_id=batch.operator_id)
        assert not others.exists(), "a refused start left import.started"


def finished_query(w: World, foreign: bool) -> dict[str, str]:
    """The report of a finished import: run it before the request (the page ignores the parameter)."""
    run(w, foreign)
    return {"finished": "1"}


def undo_form(w: World, foreign: bool) -> dict[str, Any]:
    run(w, foreign)
    return {"reason": "matrix"}


def undo_requested(w: World, foreign: bool, ok: bool) -> None:
    assert ChangeRequest.objects.unrestricted(reason="matrix assertion").filter(change_type="intake.undo").count() == (1 if ok else 0)
