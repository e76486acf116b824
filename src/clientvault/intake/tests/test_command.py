"""`clientvault import FILE` (issue #14): provenance options, --dry-run, --json, the report path, errors as exit codes."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from clientvault.intake.models import ImportBatch
from clientvault.intake.tests.helpers import HEADER, csv_bytes, rows

pytestmark = pytest.mark.django_db(databases=["default", "keys"])
BASE = ["--owner", "rep_bj1", "--source-system", "旧CRM", "--lawful-basis", "contract"]


def _call(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("import_file", *args, "--json", stdout=out, stderr=io.StringIO())
    result: dict[str, Any] = json.loads(out.getvalue().strip().splitlines()[-1])
    return result


def test_an_import_from_the_command_prints_its_counts_and_the_report_path(org, tmp_path, settings):
    settings.CLIENTVAULT_IMPORT_DIR = str(tmp_path / "imports")
    path = tmp_path / "客户.csv"
    path.write_bytes(csv_bytes(HEADER, [*rows(2, start=900), ["", "", "", "", ""], ["无证件", "123", "", "", ""]]))
    dry = _call(str(path), *BASE, "--dry-run")
    assert (dry["dry_run"], dry["create"], dry["reject"]) == (True, 2, 1)
    result = _call(str(path), *BASE, "--mapping", "手机号=mobile", "--save-template", "旧CRM导出")
    assert (result["state"], result["created"], result["rejected"]) == ("done", 2, 1)
    report = (tmp_path / "imports" / "reports" / f"{result['batch']}-rejected.csv").read_text(encoding="utf-8-sig")
    assert result["report"].endswith("-rejected.csv") and "123" not in report.replace(",", " ").split()
    batch = ImportBatch.objects.get(pk=result["batch"])
    assert (batch.operator_id, batch.channel, batch.source_system, batch.template_version) == (None, "cli", "旧CRM", 1)


def test_errors_are_command_errors(org, tmp_path):
    with pytest.raises(CommandError):
        _call(str(tmp_path / "missing.csv"), *BASE)
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes(HEADER, rows(1, start=950)))
    with pytest.raises(CommandError, match="lawful_basis"):
        _call(str(path), "--owner", "rep_bj1", "--source-system", "x", "--lawful-basis", "legitimate_interest")
    with pytest.raises(CommandError):
        _call(str(path), *BASE[2:], "--owner", "nobody")
    with pytest.raises(CommandError):
        _call("--resume", "not-a-uuid")
    assert not ImportBatch.objects.exists()
