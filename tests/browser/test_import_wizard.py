"""In Chromium: a sales manager imports a GB18030 CSV of a few hundred customers through the wizard — upload with
provenance, column mapping (samples masked as the manager's policy shows them), dry run, run with live progress
polled every second until 100 %, the result with the rejected-rows report — in Chinese, then the same pages in
English. Screenshots under test-artifacts/screenshots/ and /tmp/intakeui-*.png."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import expect

from clientvault.intake import services
from clientvault.intake.models import ImportBatch
from clientvault.testing.imports import BAD_ID, SECRET_NOTE, csv_bytes, people
from clientvault.testing.organisation import PASSWORD, Org
from tests.browser.conftest import Tab

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIGN_IN_BUTTON = "form:has(#id_username) button[type=submit]"
ROWS = 300
BAD_ROWS = (5, 77, 150)


def _sign_in(tab: Tab, username: str) -> None:
    page = tab.page
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(SIGN_IN_BUTTON)
    page.wait_for_url(re.compile(r"/access/purpose/"))
    page.check("[data-testid=purpose-sales_followup]")
    page.click("[data-testid=purpose-submit]")
    page.wait_for_url(re.compile(r"/(home|customers)/"))


def _shot(tab: Tab, step: str) -> None:
    path = tab.shot(step)
    shutil.copy(path, Path("/tmp") / f"intakeui-{path.name}")


def _worker(batch_id: Any, errors: list[BaseException]) -> None:
    """What `clientvault worker` does with the enqueued task, in a thread of the test process."""
    try:
        services.run_chunks(batch_id)
    except BaseException as exc:  # reported by the test
        errors.append(exc)
    finally:
        connection.close()


def test_a_manager_imports_a_gb18030_file_and_watches_it_finish(
    open_tab: Callable[[str], Tab], org: Org, tmp_path: Path, settings: Any
) -> None:
    settings.CLIENTVAULT_IMPORT_CHUNK = 25  # many checkpoints: the bar moves while the page polls
    upload = tmp_path / "客户名单.csv"
    upload.write_bytes(csv_bytes(people(ROWS, bad_rows=BAD_ROWS)))

    tab = open_tab("import-wizard")
    _sign_in(tab, "manager_bj")
    page = tab.page
    page.goto("/imports/")
    expect(page.locator("h1")).to_have_text("客户导入")
    page.click("[data-testid=new-import]")
    page.set_input_files("#id_file", str(upload))
    page.fill("#id_source_system", "旧CRM系统")
    page.select_option("#id_lawful_basis", "contract")
    _shot(tab, "1-upload")
    page.click("[data-testid=upload]")
    page.wait_for_url(re.compile(r"/imports/[0-9a-f-]{36}/mapping/"))
    batch = ImportBatch.objects.get()
    assert batch.encoding.lower().replace("-", "") == "gb18030"

    expect(page.locator("[data-testid=mapping-row]")).to_have_count(5)
    content = page.content()
    assert SECRET_NOTE not in content and "导入客户0001" not in content  # unmapped: nothing; names: masked
    _shot(tab, "2-mapping")
    page.click("[data-testid=save-mapping]")
    page.wait_for_url(re.compile(r"/dry-run/$"))
    expect(page.locator("[data-testid=count-create]")).to_have_text(str(ROWS - len(BAD_ROWS)))
    expect(page.locator("[data-testid=count-reject]")).to_have_text(str(len(BAD_ROWS)))
    assert BAD_ID not in page.content()
    _shot(tab, "3-dry-run")

    page.click("[data-testid=start-import]")
    page.wait_for_url(re.compile(rf"/imports/{batch.pk}/$"))
    expect(page.locator("[data-testid=import-progress]")).to_be_visible()
    _shot(tab, "4-queued")
    errors: list[BaseException] = []
    worker = threading.Thread(target=_worker, args=(batch.pk, errors))
    worker.start()
    seen: set[str] = set()
    for _ in range(120):
        progress = page.locator("[data-testid=percent]")
        if progress.count():
            seen.add(progress.first.inner_text())
        if page.locator("[data-testid=rejected-report]").count():
            break
        page.wait_for_timeout(250)
    worker.join(timeout=60)
    assert not errors, errors
    expect(page.locator("[data-testid=percent]")).to_have_text("100%")
    expect(page.locator("[data-testid=created]")).to_have_text(str(ROWS - len(BAD_ROWS)))
    assert len(seen) >= 2, f"the progress never moved on screen: {seen}"
    _shot(tab, "5-result")

    with page.expect_download() as download_info:
        page.click("[data-testid=rejected-report]")
    report = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert BAD_ID not in report and SECRET_NOTE not in report
    assert len([line for line in report.splitlines()[1:] if line.strip()]) >= len(BAD_ROWS)

    page.click("[data-testid=imported-customer] >> nth=0")
    page.wait_for_url(re.compile(r"/customers/[0-9a-f-]{36}/$"))
    expect(page.locator("[data-testid=import-provenance]")).to_contain_text("旧CRM系统")
    expect(page.locator("[data-testid=provenance-row]")).to_contain_text("2")
    _shot(tab, "5b-customer-provenance")
    page.goto(f"/imports/{batch.pk}/")
    page.click("[data-testid=lang-en]")
    page.wait_for_url(re.compile(rf"/imports/{batch.pk}/$"))
    expect(page.locator("[data-testid=batch-state]")).to_have_text("Done")
    expect(page.locator("[data-testid=rejected-report]")).to_contain_text("rejected rows")
    _shot(tab, "6-result-en")
    with page.expect_download() as english_download:
        page.click("[data-testid=rejected-report]")
    english = Path(english_download.value.path()).read_text(encoding="utf-8-sig")
    assert english != report and BAD_ID not in english
    page.goto(f"/imports/{batch.pk}/mapping/")  # a started batch has no mapping step any more
    page.wait_for_url(re.compile(rf"/imports/{batch.pk}/$"))
    page.goto("/imports/new/")
    _shot(tab, "7-upload-en")
    tab.assert_clean()
