"""Rules that make the design hold (ARCHITECTURE.md), checked on the source itself."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "clientvault"
APPS = [p for p in SRC.iterdir() if p.is_dir() and (p / "apps.py").exists()]
WRITE_METHODS = {"save", "delete", "update", "bulk_create", "bulk_update", "create", "get_or_create", "update_or_create"}
PERSONAL_MODELS = {"Customer", "FollowUp"}
# Public functions of services.py that are not writes of their own (they read settings, or are
# building blocks whose callers record the event), each with the reason.
SERVICE_HELPERS = {
    "accounts.services.mfa_required": "reads the user's roles",
    "accounts.services.confirmed_device": "reads the user's own device",
    "accounts.services.start_totp_enrolment": "pending device, audited when confirmed",
    "accounts.services.end_sessions": "called by deactivate_user, which records the event",
    "accounts.services.move_session": "part of change_password, which records the event",
    "accounts.services.authenticate_token": "authentication lookup; last-use timestamp only",
    "customers.services.field_definitions": "reads custom field definitions (no personal data)",
    "rights.services.verify_code": "raises after _check_code's transaction, which records the event, has committed",
    "rights.services.request_code": "raises after _issue's transaction, which records the event, has committed",
    "classification.services.snapshot": "pure: the editable values of a row",
    "classification.services.clean": "pure validation",
    "access.services.snapshot": "pure: the editable values of a row",
    "access.services.clean": "pure validation",
    "access.services.policy_snapshot": "pure: the editable values of a policy",
    "access.services.clean_policy": "pure validation",
    "accounts.services.live_token": "authentication lookup; last-use timestamp only",
    "accounts.services.token_max_days": "pure: the longest life a new token of a user may have",
    "classification.services.change_classification": "records classification.changed through classify()",
    "audit.operations.retention_days": "reads settings",
}
SELECTOR_HELPERS = {
    "customers.selectors.filtered_customers": "queryset builder used inside audited selectors",
    "customers.selectors.customer_meta": "type, status and permissions only — no personal data",
    "customers.selectors.reveal_fields": "calls reveal_field, which records one event per field",
    "accounts.selectors.staff_list": "staff accounts, not customer data",
    "accounts.selectors.tokens_of": "the actor's own tokens",
    "consents.selectors.consent_purposes": "the catalogue of consent-based purposes, no personal data",
    "consents.selectors.states_of": "used inside audited selectors and by badges",
    "consents.selectors.badges": "consent states in the header of a customer page, which records customer.viewed",
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
    [p for p in _modules("services.py") if p.parent.name != "audit"] + [SRC / "customers" / "imports.py", SRC / "audit" / "operations.py"],
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_every_service_records_an_audit_event(path: Path) -> None:
    module = ".".join(path.relative_to(SRC).with_suffix("").parts)
    missing = [fn.name for fn in _public_functions(path) if f"{module}.{fn.name}" not in SERVICE_HELPERS and not _calls_audit(fn)]
    assert not missing, f"{module}: service functions without an audit event: {missing}"


@pytest.mark.parametrize("path", _modules("selectors.py"), ids=lambda p: str(p.relative_to(SRC)))
def test_every_selector_that_reveals_records_an_audit_event(path: Path) -> None:
    module = ".".join(path.relative_to(SRC).with_suffix("").parts)
    missing = [
        fn.name
        for fn in _public_functions(path)
        if f"{module}.{fn.name}" not in SELECTOR_HELPERS and not _calls_audit(fn) and not fn.name.startswith("set_")
    ]
    assert not missing, f"{module}: selectors that reveal data without an audit event: {missing}"


@pytest.mark.parametrize("name", ["views.py", "api.py", "forms.py"])
def test_entry_points_do_not_write_models_or_query_personal_data(name: str) -> None:
    """Rule 1: views, API handlers and forms call services and selectors; they never write or read personal rows."""
    problems = []
    for path in _modules(name) + ([SRC / name] if (SRC / name).exists() else []):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            is_router = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "router"
            )
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in WRITE_METHODS
                and not is_router
                and not node.args
            ):
                # ORM writes take keywords only (obj.save(), qs.update(x=1), objects.create(**kw));
                # dict.update(d) and image.save(buf) take a positional argument.
                problems.append(f"{path.relative_to(SRC)}:{node.lineno} calls .{node.func.attr}()")
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "objects"
                and isinstance(node.value, ast.Name)
                and node.value.id in PERSONAL_MODELS
            ):
                problems.append(f"{path.relative_to(SRC)}:{node.lineno} queries {node.value.id}.objects")
    assert not problems, "\n".join(problems)


def test_no_signals_for_audit_or_business_logic() -> None:
    """Rule 2: bulk and shell changes skip signals, so nothing may depend on them."""
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "migrations" not in p.parts and re.search(r"\b(post_save|pre_save|post_delete|pre_delete)\b", p.read_text(encoding="utf-8"))
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


def test_personal_data_models_have_restricted_default_managers() -> None:
    from clientvault.core.querysets import PolicyQuerySet
    from clientvault.customers.models import Customer, FollowUp

    for model in (Customer, FollowUp):
        assert isinstance(model._default_manager.all(), PolicyQuerySet), model


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
