"""Rules that make the design hold (ARCHITECTURE.md), checked on the source itself."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from clientvault.classification.catalogue import DEFAULTS, MODEL_OF_PREFIX, personal_model_labels, prefix_of

SRC = Path(__file__).resolve().parents[1] / "src" / "clientvault"
APPS = [p for p in SRC.iterdir() if p.is_dir() and (p / "apps.py").exists()]
WRITE_METHODS = {"save", "delete", "update", "bulk_create", "bulk_update", "create", "get_or_create", "update_or_create"}
# Rule 11: the personal-data models are the models behind the field catalogue's keys, not a hand list.
PERSONAL_MODEL_LABELS = personal_model_labels()
PERSONAL_MODELS = {label.split(".")[1] for label in PERSONAL_MODEL_LABELS}
# Modules that, besides services.py, create personal rows (each records its audit event or is called by
# a service that does).
SERVICE_MODULES = {
    "customers/imports.py", "customers/profiles.py", "customers/custom_fields.py", "access/breakglass.py",
    "customers/matching.py",  # writes duplicate-matching keys for the customer services (issue #14)
    "risk/holds.py",  # credit holds, placed and released with their audit events (issue #16)
    "risk/human_review.py",  # PIPL-24: human reviews of automated credit decisions, with their audit events (issue #16)
}  # fmt: skip
# Modules whose name matches an entry-point pattern but which are services (each with its reason).
NOT_ENTRY_POINTS = {
    "risk/reviews.py": "the credit-review services (issue #16): the name ends in 'views.py', it is no view",
}
# Entry points that delete rows of framework tables holding no personal data, each with the reason.
ENTRY_POINT_WRITES = {
    "accounts/tasks.py": "expired Django sessions and their tracking rows (no personal data)",
    "core/tasks.py": "finished task results (ids only, never personal data)",
}
# Public functions of services.py that are not writes of their own (they read settings, or are
# building blocks whose callers record the event), each with the reason.
SERVICE_HELPERS = {
    "intake.services.is_operator_command": "reads the context",
    "intake.services.require_imports": "a permission check",
    "intake.services.best_template": "reads saved mapping templates (no personal data)",
    "risk.holds.active_reason_codes": "the reason codes and kinds of a file's holds in force (no personal value)",
    "intake.services.guess_mapping": "pure guess from header texts and saved templates",
    "intake.services.context_of": "builds the context an import runs under",
    "intake.services.run_chunks": "records import.finished/failed (_finish/_fail), customer.created per chunk (engine.write_chunk)",
    "intake.services.counters": "pure: the batch's counters",
    "accounts.services.mfa_required": "reads the user's roles",
    "accounts.services.confirmed_device": "reads the user's own device",
    "accounts.services.start_totp_enrolment": "pending device, audited when confirmed",
    "accounts.services.end_sessions": "called by deactivate_user, which records the event",
    "accounts.services.move_session": "part of change_password, which records the event",
    "accounts.services.authenticate_token": "authentication lookup; last-use timestamp only",
    "customers.custom_fields.field_definitions": "reads custom field definitions (no personal data)",
    "customers.profiles.eligible_owner": "reads a user: who may own a customer (an approved reassignment re-checks it)",
    "customers.profiles.write_approved": "part of an approved change's apply (customers/changes.py), which records the event",
    "rights.services.verify_code": "raises after _check_code's transaction, which records the event, has committed",
    "rights.services.request_code": "raises after _issue's transaction, which records the event, has committed",
    "classification.services.clean": "pure validation",
    "access.services.clean": "pure validation",
    "access.services.policy_snapshot": "pure: the editable values of a policy",
    "access.services.clean_policy": "pure validation",
    "accounts.services.live_token": "authentication lookup; last-use timestamp only",
    "accounts.services.token_max_days": "pure: the longest life a new token of a user may have",
    "classification.services.change_classification": "records classification.changed through core.catalogue_service.save_version",
    "classification.services.classify": "records classification.changed (or carries the caller's event) via core.catalogue_service.write",
    "access.services.change_purpose": "records purpose.changed through core.catalogue_service.save_version",
    "access.services.change_policy": "records policy.changed through core.catalogue_service.save_version, or proposes",
    "access.services.create_policy": "records policy.created through core.catalogue_service.create_entry, or proposes",
    "audit.services.retention_days": "reads settings",
    "rights.services.purge_codes": "scheduled deletion of sign-in codes past the rate-limit window; reads no one's data",
    "rights.services.take_message": "the worker blanks the sealed message portal.code_requested recorded",
    "crypto.services.require_key_custodian": "permission check only",
    "backups.services.deletion_window": "reads settings (the window stated on deletion certificates)",
    "backups.services.window_statement": "a sentence from settings for the certificate; writes nothing",
    "backups.services.list_backups": "reads backup manifests on disk (ids, sizes, counts: nothing personal)",
    "approvals.services.needs_approval": "pure on the active approval rules; writes nothing",
    # Asset movements share one path (_execute): it records asset.moved / asset.pledged / asset.released /
    # asset.opened / asset.terms_changed / asset.closed once per customer asset in _audit_posting — or posts
    # nothing (a change request, whose approval.submitted approvals records; or a replayed retry).
    **{
        f"assets.services.{name}": "records its asset.* events through _audit_posting (one per customer asset moved)"
        for name in ("deposit", "withdraw", "transfer", "fx_transfer", "pledge", "release", "open_asset", "change_terms", "close_asset")
    },
    "dedupe.services.scan": "records duplicates.scanned in _run (with the stored results) or _failed (outcome failure)",
    "assets.services.clearing_account": "opens the institution's clearing account (no customer data); the posting that uses it records",
}
SELECTOR_HELPERS = {
    # Issue #15: codes, dates and states only; the caller's act (a request's fulfilment, the access package) records its event.
    "lifecycle.selectors.erasure_status": "an erasure's state, certificate id and hold bases: nothing personal",
    "lifecycle.selectors.active_holds": "hold bases, categories and dates: nothing personal",
    "lifecycle.selectors.retention_summary": "retention rules and hold bases per category: nothing personal",
    "customers.selectors.filtered_customers": "queryset builder used inside audited selectors",
    "customers.selectors.customer_meta": "type, status and permissions only — no personal data",
    "customers.selectors.reveal_fields": "calls reveal_field, which records one event per field",
    "accounts.selectors.staff_list": "staff accounts, not customer data",
    "accounts.selectors.tokens_of": "the actor's own tokens",
    "consents.selectors.consent_purposes": "the catalogue of consent-based purposes, no personal data",
    "consents.selectors.states_of": "used inside audited selectors and by badges",
    "consents.selectors.badges": "consent states in the header of a customer page, which records customer.viewed",
    "rights.selectors.entity_names": "names of the legal entities holding the signed-in person's own records",
    "rights.selectors.is_minor": "yes or no for the signed-in person's own record, to refuse self-service consent",
    "rights.selectors.request_list": "request metadata (kinds, dates, statuses, codes); the sealed details open in get_request",
    "approvals.selectors.sla_state": "pure: the SLA colour of a request from its due time",
    "approvals.selectors.inbox": "codes, statuses, dates and the non-personal summary line; values stay sealed",
    "approvals.selectors.mine": "the actor's own requests: codes, statuses, dates, summary; values stay sealed",
    "approvals.selectors.open_for": "non-personal summaries for a caller that has already checked sight of the target",
    "approvals.selectors.counts": "counts only",
    "approvals.selectors.open_on_subjects": "non-personal summaries (codes, statuses, dates): does a merge's record have an open request",
    "merges.selectors.visible_merges": "merges whose survivor the viewer sees: ids, statuses and dates, nothing personal",
    "merges.selectors.merged_from": "the merges a customer shown on its page survived: ids, dates and statuses",
    "merges.selectors.merges_of": "the merges a visible customer survived: ids and dates for its history page",
    "assets.selectors.open_alerts": "alerts hold ids, codes and counts only: nothing personal",
    "intake.selectors.batches_for": "import batches: file metadata, states and counts; no personal value",
    "intake.selectors.batch_for": "one import batch: file metadata, state and counts; no personal value",
    "intake.selectors.progress": "counts only",
    "intake.selectors.template_by_name": "a saved mapping: column names and field codes",
    "intake.selectors.owner_id_by_username": "a staff account's id",
    "dedupe.selectors.queue": "queryset builder of duplicate clusters (ids, probabilities); used inside audited selectors",
    "dedupe.selectors.cluster_for": "one cluster's id, status and probability: nothing personal (evidence records its events)",
    "dedupe.selectors.last_scan": "when the last scan ran and its counts",
}


def _modules(name: str) -> list[Path]:
    return sorted(p for app in APPS for p in app.glob(name))


def _public_functions(path: Path) -> list[ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]


def _calls_audit(fn: ast.FunctionDef) -> bool:
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in {"record", "record_many"}:
            value = node.func.value
            if isinstance(value, ast.Name) and value.id == "audit":
                return True
    return False


@pytest.mark.parametrize(
    "path",
    # customers/matching.py: key maintenance inside the caller's write (create/update/import record the event;
    # the rebuild command records customer.match_keys_rebuilt); its other functions are pure or read ids only.
    [*_modules("services.py"), *(SRC / m for m in sorted(SERVICE_MODULES - {"access/breakglass.py", "customers/matching.py"}))],
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_every_service_records_an_audit_event(path: Path) -> None:
    module = ".".join(path.relative_to(SRC).with_suffix("").parts)
    missing = [fn.name for fn in _public_functions(path) if f"{module}.{fn.name}" not in SERVICE_HELPERS and not _calls_audit(fn)]
    assert not missing, f"{module}: service functions without an audit event: {missing}"


@pytest.mark.parametrize("path", _modules("*selectors.py"), ids=lambda p: str(p.relative_to(SRC)))
def test_every_selector_that_reveals_records_an_audit_event(path: Path) -> None:
    module = ".".join(path.relative_to(SRC).with_suffix("").parts)
    missing = [fn.name for fn in _public_functions(path) if f"{module}.{fn.name}" not in SELECTOR_HELPERS and not _calls_audit(fn)]
    assert not missing, f"{module}: selectors that reveal data without an audit event: {missing}"


def _is_write(node: ast.AST) -> bool:
    """ORM writes take keywords only (obj.save(), qs.update(x=1), objects.create(**kw)); dict.update(d) and
    image.save(buf) take a positional argument, ``router.delete(...)`` declares an API route."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITE_METHODS and not node.args):
        return False
    value = node.func.value
    return not (isinstance(value, ast.Name) and value.id == "router")


def _personal_manager_uses(tree: ast.AST) -> list[tuple[int, str, str]]:
    """(line, model, what follows ``.objects``) for every ``<PersonalModel>.objects`` in the tree."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    uses = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "objects"
            and isinstance(node.value, ast.Name)
            and node.value.id in PERSONAL_MODELS
        ):
            parent = parents.get(node)
            uses.append((node.lineno, node.value.id, parent.attr if isinstance(parent, ast.Attribute) else ""))
    return uses


def entry_point_problems(source: str, where: str) -> list[str]:
    """Rule 1: an entry point calls services and selectors; it never writes rows or queries personal models."""
    tree = ast.parse(source)
    problems = [f"{where}:{n.lineno} calls .{n.func.attr}()" for n in ast.walk(tree) if _is_write(n)]  # type: ignore[attr-defined]
    problems += [f"{where}:{line} queries {model}.objects" for line, model, _ in _personal_manager_uses(tree)]
    return problems


def selector_problems(source: str, where: str) -> list[str]:
    """A write in a selector is a write: it belongs in a service with its audit event."""
    return [f"{where}:{n.lineno} writes with .{n.func.attr}()" for n in ast.walk(ast.parse(source)) if _is_write(n)]  # type: ignore[attr-defined]


def scoping_problems(source: str, where: str, *, may_create: bool) -> list[str]:
    """Rules 4 and 11: a personal model is reached only through ``visible_to(ctx)`` or a named
    ``unrestricted(reason=…)``; creating rows (which reads nothing) only in services."""
    tree = ast.parse(source)
    allowed = {"visible_to", "unrestricted"} | ({"create", "bulk_create"} if may_create else set())
    problems = [
        f"{where}:{line} {model}.objects.{what or '…'} is not scoped"
        for line, model, what in _personal_manager_uses(tree)
        if what not in allowed
    ]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "unrestricted":
            reason = next((k.value for k in node.keywords if k.arg == "reason"), None)
            if reason is None or (isinstance(reason, ast.Constant) and not str(reason.value).strip()):
                problems.append(f"{where}:{node.lineno} unrestricted() without a reason")
    return problems


def _entry_points() -> list[Path]:
    """Every module that handles a request, a task or a command: views of every name, APIs, forms, tasks,
    management commands, middleware, the portal and exports."""
    names = ("*views.py", "api.py", "forms.py", "tasks.py", "middleware.py", "portal.py", "exports.py")
    found = {p for name in names for p in SRC.rglob(name)} | set(SRC.rglob("management/commands/*.py"))
    found -= {SRC / where for where in NOT_ENTRY_POINTS}
    return sorted(p for p in found if "tests" not in p.parts and p.name != "__init__.py")


def _production_modules() -> list[Path]:
    """Every module of the running system: not tests, migrations or the test factories (``testing/``)."""
    return sorted(
        p for p in SRC.rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts and p.relative_to(SRC).parts[0] != "testing"
    )


def _imported_modules(source: str) -> set[str]:
    """The dotted names a module imports, at any depth (function-level imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found


def test_production_code_imports_neither_the_test_factories_nor_the_demo() -> None:
    """``clientvault.testing`` is for tests and ``clientvault.demo`` seeds demo databases: the running
    system imports neither (the demo app imports itself, never the test factories)."""
    offenders = []
    for path in _production_modules():
        where = path.relative_to(SRC)
        forbidden = ("clientvault.testing",) if where.parts[0] == "demo" else ("clientvault.testing", "clientvault.demo")
        for name in sorted(_imported_modules(path.read_text(encoding="utf-8"))):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                offenders.append(f"{where} imports {name}")
    assert not offenders, "\n".join(offenders)
    assert _imported_modules("def f():\n    from clientvault.testing.actors import ctx\n") >= {"clientvault.testing.actors"}


# App-to-app imports that may still close a cycle, each with its reason (the same edges would be in
# pyproject.toml's ignore_imports). None: keep it that way.
PENDING_CYCLE_EDGES: set[tuple[str, str]] = set()


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The ids of import nodes under ``if TYPE_CHECKING:``: static types only, nothing imported at run time."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}:
            found |= {id(n) for stmt in node.body for n in ast.walk(stmt) if isinstance(n, ast.Import | ast.ImportFrom)}
    return found


def _app_import_graph(source_of: dict[str, list[str]] | None = None) -> dict[str, set[str]]:
    """app -> the apps it imports, at module level AND inside functions (every ``import`` node of the tree)."""
    apps = {p.name for p in APPS}
    if source_of is None:
        source_of = {}
        for path in sorted(SRC.rglob("*.py")):
            parts = path.relative_to(SRC).parts
            if len(parts) > 1 and parts[0] in apps and "tests" not in parts:
                source_of.setdefault(parts[0], []).append(path.read_text(encoding="utf-8"))
    graph: dict[str, set[str]] = {app: set() for app in source_of}
    for app, sources in source_of.items():
        for text in sources:
            tree = ast.parse(text)
            skip = _type_checking_only(tree)
            for node in ast.walk(tree):
                if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in skip:
                    continue
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for name in names:
                    target = name.split(".")[1] if name.startswith("clientvault.") and name.count(".") else ""
                    if target in apps and target != app and (app, target) not in PENDING_CYCLE_EDGES:
                        graph[app].add(target)
    return graph


def _a_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle between apps (as a path that ends where it starts), or [] when there is none."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(app: str) -> list[str]:
        state[app] = 1
        path.append(app)
        for target in sorted(graph.get(app, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        state[app] = 2
        path.pop()
        return []

    for app in sorted(graph):
        if app not in state and (found := visit(app)):
            return found
    return []


def test_no_import_cycles_between_apps() -> None:
    """Issue #12: imports between apps point one way (the layers in pyproject.toml's import-linter contract).
    Function-level imports count too: an import moved into a function to dodge a cycle is still a cycle."""
    cycle = _a_cycle(_app_import_graph())
    assert not cycle, "import cycle between apps: " + " -> ".join(cycle)
    planted = {
        "core": ["from clientvault.core import clock\n"],
        "crypto": ["import clientvault.core.clock\n"],
        "access": ["def f():\n    from clientvault.crypto import cipher\n"],
        "audit": ["from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from clientvault.access import engine\n"],
    }
    assert _a_cycle(_app_import_graph(planted)) == []  # a type-only import closes no cycle
    planted["crypto"].append("from clientvault.access import policies\n")
    assert _a_cycle(_app_import_graph(planted)) == ["access", "crypto", "access"]  # found inside a function


def test_the_entry_point_scan_covers_every_kind_of_entry_point() -> None:
    scanned = {str(p.relative_to(SRC)) for p in _entry_points()}
    for expected in (
        "api.py",
        "middleware.py",
        "access/session_views.py",
        "rights/views.py",
        "rights/tasks.py",
        "rights/portal.py",
        "customers/exports.py",
        "demo/management/commands/demo.py",
    ):
        assert expected in scanned, expected


@pytest.mark.parametrize("path", _entry_points(), ids=lambda p: str(p.relative_to(SRC)))
def test_entry_points_do_not_write_models_or_query_personal_data(path: Path) -> None:
    """Rule 1: views, API handlers, forms, tasks, commands and middleware call services and selectors."""
    where = str(path.relative_to(SRC))
    problems = entry_point_problems(path.read_text(encoding="utf-8"), where)
    if where in ENTRY_POINT_WRITES:
        problems = [p for p in problems if "queries" in p]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", _modules("*selectors.py"), ids=lambda p: str(p.relative_to(SRC)))
def test_selectors_do_not_write(path: Path) -> None:
    problems = selector_problems(path.read_text(encoding="utf-8"), str(path.relative_to(SRC)))
    assert not problems, "\n".join(problems)


def test_personal_models_are_reached_only_scoped_or_named_unrestricted() -> None:
    problems = []
    for path in _production_modules():
        where = str(path.relative_to(SRC))
        may_create = path.name == "services.py" or where in SERVICE_MODULES
        problems += scoping_problems(path.read_text(encoding="utf-8"), where, may_create=may_create)
    assert not problems, "\n".join(problems)


def test_the_checkers_find_planted_violations() -> None:
    """The scans above would pass vacuously if the checkers saw nothing: plant one of each."""
    view = "def v(request):\n    rows = ConsentRecord.objects.filter(purpose='x')\n    row.save()\n    return rows\n"
    assert entry_point_problems(view, "x/views.py") == ["x/views.py:3 calls .save()", "x/views.py:2 queries ConsentRecord.objects"]
    selector = "def set_language(*, ctx, user, language):\n    user.language = language\n    user.save(update_fields=['language'])\n"
    assert selector_problems(selector, "x/selectors.py") == ["x/selectors.py:3 writes with .save()"]
    assert selector_problems("def f(d):\n    d.update({'a': 1})\n", "x/selectors.py") == []
    unscoped = (
        "a = PortalCode.objects.filter(pk=1)\n"
        "b = BreakGlassSession.objects.unrestricted(reason='')\n"
        "c = Customer.objects.visible_to(ctx)\n"
        "d = FollowUp.objects.create(x=1)\n"
    )
    assert scoping_problems(unscoped, "m.py", may_create=False) == [
        "m.py:1 PortalCode.objects.filter is not scoped",
        "m.py:4 FollowUp.objects.create is not scoped",
        "m.py:2 unrestricted() without a reason",
    ]
    assert scoping_problems("d = FollowUp.objects.create(x=1)\n", "services.py", may_create=True) == []


# Django's model signals, imported or connected (``Field.pre_save``, the field method core/bulk.py calls to
# prepare a value, is not a signal).
SIGNAL_USE = re.compile(
    r"django\.db\.models\.signals|models import signals|@receiver\b|\b(post_save|pre_save|post_delete|pre_delete)\.connect\b"
    r"|import[^\n]*\b(post_save|pre_save|post_delete|pre_delete)\b"
)


def test_no_signals_for_audit_or_business_logic() -> None:
    """Rule 2: bulk and shell changes skip signals, so nothing may depend on them."""
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "migrations" not in p.parts and re.search(SIGNAL_USE, p.read_text(encoding="utf-8"))
    ]
    assert not offenders


def test_every_recorded_event_type_is_registered() -> None:
    from clientvault.audit.registry import EVENT_TYPES

    used: set[str] = set()
    for path in SRC.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for match in re.finditer(r"""record\(\s*\w+,\s*"([a-z_]+\.[a-z_]+)\"""", path.read_text(encoding="utf-8")):
            used.add(match.group(1))
        for match in re.finditer(r"""\(\s*"([a-z_]+\.[a-z_]+)",\s*c,""", path.read_text(encoding="utf-8")):
            used.add(match.group(1))
    assert used, "the scan found no audit calls: the pattern is stale"
    assert used <= set(EVENT_TYPES), f"unregistered: {sorted(used - set(EVENT_TYPES))}"


def _personal_models() -> list[type[Any]]:
    from django.apps import apps

    return [apps.get_model(label) for label in PERSONAL_MODEL_LABELS]


def _catalogue_field(model: type[Any], suffix: str) -> str | None:
    """The model field a catalogue key names: ``name`` is held as ``name``, ``name_ct`` or ``name_bidx``."""
    names = {f.name for f in model._meta.get_fields()}
    return next((n for n in (suffix, f"{suffix}_ct", f"{suffix}_bidx") if n in names), None)


def test_the_personal_model_list_comes_from_the_field_catalogue() -> None:
    """Every catalogue key names a model (through its prefix) and a field of that model."""
    from clientvault.customers.models import Customer, FollowUp

    assert {Customer, FollowUp} <= set(_personal_models())
    for d in DEFAULTS:
        prefix, _dot, field = d.key.partition(".")
        assert prefix in MODEL_OF_PREFIX, f"{d.key}: no model for the prefix {prefix!r} in MODEL_OF_PREFIX"
        model = next(m for m in _personal_models() if f"{m._meta.app_label}.{m.__name__}" == MODEL_OF_PREFIX[prefix])
        assert _catalogue_field(model, field) is not None, f"{d.key}: {model.__name__} has no field {field!r}"


def test_a_model_with_a_classified_field_cannot_be_left_off_the_list() -> None:
    """A model holding ciphertext or a blind index (``*_ct``, ``*_bidx``), or named by a catalogue prefix,
    is a personal-data model: each such field has a catalogue key, so the model is derived, not listed."""
    from django.apps import apps

    derived = set(_personal_models())
    prefixes = {prefix_of(d.key) for d in DEFAULTS}
    keys = {d.key for d in DEFAULTS}
    for model in apps.get_models():
        if not model.__module__.startswith("clientvault."):
            continue
        sealed = [f.name for f in model._meta.concrete_fields if f.name.endswith(("_ct", "_bidx"))]
        if sealed or model._meta.model_name in prefixes:
            assert model in derived, f"{model.__name__} holds personal data ({sealed}) but is not in the field catalogue"
        for name in sealed:
            base = name.removesuffix("_ct").removesuffix("_bidx")
            key = f"{model._meta.model_name}.{base}"
            covered = key in keys or (base == "custom_data" and key == "customer.custom_data")  # customer.custom.<key>
            assert covered, f"{model.__name__}.{name} is sealed but the catalogue has no {key!r}"


@pytest.mark.django_db
@pytest.mark.parametrize("label", PERSONAL_MODEL_LABELS)
def test_every_personal_model_refuses_unscoped_queries(label: str) -> None:
    """Rules 4 and 11, against the database: the default manager refuses, ``visible_to`` and a named
    ``unrestricted`` run, and the base manager Django uses for relations stays plain."""
    import uuid

    from django.apps import apps
    from django.db.models import Count

    from clientvault.core.context import Context
    from clientvault.core.querysets import GuardedQuerySet, UnscopedQuery

    model = apps.get_model(label)
    manager = model._default_manager
    assert isinstance(manager.all(), GuardedQuerySet), label
    for attempt in (
        lambda: list(manager.all()),
        lambda: manager.count(),
        lambda: manager.exists(),
        lambda: manager.filter(pk__isnull=False).first(),
        lambda: manager.aggregate(n=Count("pk")),
        lambda: list(manager.values("pk")),
        lambda: manager.get(pk=uuid.uuid4()) if model._meta.pk.get_internal_type() == "UUIDField" else manager.get(pk=0),
        lambda: manager.all().delete(),
    ):
        with pytest.raises(UnscopedQuery):
            attempt()
    subject = Context(
        actor=None, roles=frozenset({"data_subject"}), purpose="rights_request", channel="portal", subject_ids=frozenset({uuid.uuid4()})
    )
    assert list(manager.visible_to(subject)) == []
    assert manager.unrestricted(reason="architecture test").count() == 0
    assert model._base_manager.count() == 0 and not isinstance(model._base_manager.all(), GuardedQuerySet)


def test_templates_load_nothing_from_the_internet() -> None:
    pattern = re.compile(r"""(src|href)=["']https?://""")
    offenders = [str(p) for p in (SRC / "templates").rglob("*.html") if pattern.search(p.read_text(encoding="utf-8"))]
    assert not offenders


def test_templates_have_no_inline_scripts_or_styles() -> None:
    """The CSP forbids inline code; a template that needs it would break silently in the browser."""
    offenders = []
    for path in (SRC / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            if 'type="application/json"' not in m.group(0):
                offenders.append(f"{path.name}: inline <script>")
        if re.search(r"<style\b|\sstyle=\"|\son[a-z]+=\"", text):
            offenders.append(f"{path.name}: inline style or event handler")
    assert not offenders, offenders


def _po_entries(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    text = path.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        if "#, fuzzy" in block and 'msgid ""\nmsgstr ""' not in block:
            entries["<fuzzy>" + block[:60]] = ""
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        msgstr = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', block, re.M)
        if msgid and msgstr:
            key = "".join(re.findall(r'"(.*)"', msgid.group(1)))
            if key:
                entries[key] = "".join(re.findall(r'"(.*)"', msgstr.group(1)))
    return entries


def test_chinese_catalogue_is_complete() -> None:
    entries = _po_entries(SRC / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    missing = [k for k, v in entries.items() if not v]
    assert not missing, f"untranslated or fuzzy zh-Hans entries: {missing[:10]}"
    assert (SRC / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists()


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed (CI installs it)")
def test_catalogues_hold_every_string_in_the_code(tmp_path: Path) -> None:
    """Running makemessages would add nothing: every user-facing string is in both catalogues."""
    copy = tmp_path / "clientvault"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("static", "__pycache__", "*.mo"))
    django_admin = Path(__import__("sys").executable).with_name("django-admin")
    subprocess.run(
        [
            str(django_admin),
            "makemessages",
            "-l",
            "zh_Hans",
            "-l",
            "en",
            "--no-obsolete",
            "--no-location",
            "--settings=clientvault.settings",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    for lang in ("zh_Hans", "en"):
        fresh = set(_po_entries(copy / "locale" / lang / "LC_MESSAGES" / "django.po"))
        committed = set(_po_entries(SRC / "locale" / lang / "LC_MESSAGES" / "django.po"))
        assert not fresh - committed, f"{lang}: strings missing from the catalogue (run `make messages`): {sorted(fresh - committed)[:10]}"


def _relations_to_customer() -> set[str]:
    """Every model (by label) with a foreign key to Customer or a ``customer_id`` column, from model metadata."""
    from django.apps import apps

    from clientvault.customers.models import Customer

    found = set()
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if getattr(field, "related_model", None) is Customer or field.attname == "customer_id":
                found.add(model._meta.label_lower)
    return found


@pytest.mark.django_db
def test_every_relation_to_a_customer_follows_a_merge_or_says_why_not() -> None:
    """Issue #14: a merge re-points every child of the merged records through ``customers.lineage``. A new model
    pointing at Customer fails here until its app registers a re-pointer or declares it exempt with a reason."""
    from clientvault.customers import lineage

    relations = _relations_to_customer()
    assert {"customers.followup", "consents.consentrecord", "assets.asset", "audit.auditevent"} <= relations  # the walk works
    missing = relations - lineage.covered_models()
    assert not missing, f"register a lineage.Repointer or lineage.exempt(model, reason) for: {sorted(missing)}"
    assert all(reason.strip() for reason in lineage.exemptions().values())
    registered = {r.model for r in lineage.registered()}
    assert not registered & set(lineage.exemptions()), "a model is both re-pointed and exempt"


@pytest.mark.django_db
def test_a_freshly_migrated_database_holds_no_audit_event() -> None:
    """Catalogue seeding (data migrations and ``core.seeding.AFTER_MIGRATE``) is unaudited set-up: a test database,
    like a new installation, starts with an empty audit trail — every audit test relies on it."""
    from clientvault.audit.models import AuditEvent

    assert list(AuditEvent.objects.values_list("event_type", flat=True)[:5]) == []


def _plaintext_personal_models() -> dict[str, list[str]]:
    """Per model label, the catalogue-classified fields it keeps in plaintext (no ``_ct`` ciphertext): crypto-shredding
    the customer's key does not erase those."""
    found: dict[str, list[str]] = {}
    for d in DEFAULTS:
        prefix, _dot, field = d.key.partition(".")
        model = next(m for m in _personal_models() if f"{m._meta.app_label}.{m.__name__}" == MODEL_OF_PREFIX[prefix])
        if _catalogue_field(model, field) == field:
            found.setdefault(model._meta.label_lower, []).append(field)
    return found


def test_an_erasure_deletes_or_names_every_plaintext_personal_field() -> None:
    """PIPL-47: an erasure shreds the customer's key, which erases sealed columns everywhere, but a classified field kept
    in plaintext (balances, limits, tiers, scores) survives it. Each model holding one is deleted or anonymised by the
    erasure (``ROW_ACTIONS``, ``EXTRA_DELETE``, a registered deleter), goes with such a row (``on_delete=CASCADE``),
    or is kept with its basis stated in every certificate (``KEPT_BASIS``). Found from the field catalogue: a new
    plaintext field fails here until the erasure says what becomes of it."""
    from django.apps import apps
    from django.db import models

    from clientvault.lifecycle import erasure

    deleted = {label for label, action in erasure.ROW_ACTIONS.items() if action == erasure.DELETE}
    deleted |= set(erasure.EXTRA_DELETE) | set(erasure.deleters())
    handled = deleted | {label for label, action in erasure.ROW_ACTIONS.items() if action != erasure.KEEP} | set(erasure.KEPT_BASIS)
    plaintext = _plaintext_personal_models()
    assert {"risk.creditfile", "risk.creditlimit", "assets.asset"} <= set(plaintext)  # the walk finds them

    def covered(label: str) -> bool:
        if label in handled:
            return True
        model = apps.get_model(label)
        parents = [
            f.related_model._meta.label_lower
            for f in model._meta.concrete_fields
            if f.is_relation and f.remote_field.on_delete is models.CASCADE and f.related_model is not model
        ]
        return any(p in deleted for p in parents)  # only a row that is deleted takes its cascade with it

    missing = {label: fields for label, fields in plaintext.items() if not covered(label)}
    assert not missing, f"say in lifecycle/erasure.py what an erasure does with these plaintext personal fields: {missing}"


def test_the_tombstone_basis_names_the_plaintext_fields_it_keeps() -> None:
    """The erased customer's row stays as a tombstone: every plaintext classified field on it is a code the
    certificate's basis names (a new plaintext field on Customer fails here until the basis says so, or it is blanked)."""
    from clientvault.lifecycle import erasure

    basis = erasure.KEPT_BASIS["customers.customer"]
    kept = _plaintext_personal_models().get("customers.customer", [])
    assert all(field.replace("_", " ") in basis for field in kept), (kept, basis)
