"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Never ``playwright install``: the system Chromium is used (``CLIENTVAULT_CHROMIUM`` overrides the path).
Screenshots go to ``test-artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API keeps an asyncio event loop running in the main thread, so Django would
# refuse the test's own ORM calls with SynchronousOnlyOperation. Test-only; never set in production.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CLIENTVAULT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TIMEOUT_MS = 15_000

# Chromium reports violations on the console ("Refused to ... because it violates the following
# Content Security Policy directive"); the listener below also reports each violation event.
CSP_PATTERN = re.compile(r"content.security.policy|csp violation", re.IGNORECASE)
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
});
"""


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, f"rep_{report.when}", report)  # lets fixtures see whether the test failed
    return report


@pytest.fixture(scope="session", autouse=True)
def _flushed_once(django_db_setup: Any, django_db_blocker: Any) -> None:
    """Browser tests roll back by serialisation (``serialized_rollback``): each one re-inserts the database's first
    contents at set-up. On a database still holding them (a browser test run alone, or first in its worker), that
    re-insert would UPDATE append-only catalogue versions and be refused; so the process's first browser test
    starts from an empty database, as every one after a transactional test does."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        for alias in ("default", "keys"):
            call_command("flush", database=alias, interactive=False, verbosity=0)


@pytest.fixture
def outbox(settings: Any) -> Iterator[list[object]]:
    """The portal's one-time codes, kept in memory; worker tasks (code sending, request fulfilment) run as soon as
    their transaction commits, as `clientvault worker` would a moment later."""
    from clientvault.testing.senders import MemorySender

    settings.CLIENTVAULT_PORTAL_SENDER = "clientvault.testing.senders.MemorySender"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    MemorySender.outbox.clear()
    yield MemorySender.outbox  # type: ignore[misc]
    MemorySender.outbox.clear()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file() or not os.access(CHROMIUM, os.X_OK):
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium, or set CLIENTVAULT_CHROMIUM)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": browser tests are required under CI=true", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Tab:
    """One browser context (its own cookies) with one page, and what the page reported."""

    page: Any
    prefix: str
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    step: str = "start"  # the last screenshot taken: tells where a reported problem happened

    def shot(self, step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.prefix}-{step}.png"
        # caret="initial": the default caret hiding leaves style="" on every input, which HTMX's settle
        # step then copies onto swapped-in elements with the same id: a CSP violation the test itself caused.
        self.page.screenshot(path=str(path), full_page=True, caret="initial")
        self.step = step
        return path

    def problems(self, *, allow: tuple[str, ...] = ()) -> list[str]:
        """CSP violations, uncaught JS errors, console errors and failed static files, minus ``allow`` substrings."""
        found = [f"CSP: {m}" for m in self.console if CSP_PATTERN.search(m)]
        found += [m for m in self.console if m.startswith("error:") and not CSP_PATTERN.search(m)]
        found += [f"pageerror: {e}" for e in self.errors]
        found += self.bad_responses
        return [p for p in found if not any(a in p for a in allow)]

    def assert_clean(self, *, allow: tuple[str, ...] = ()) -> None:
        problems = self.problems(allow=allow)
        assert not problems, "the browser reported problems:\n" + "\n".join(problems)


def _watch(tab: Tab) -> None:
    page = tab.page

    def where() -> str:
        return f"[after step {tab.step!r}, on {page.url}]"

    page.on("console", lambda msg: tab.console.append(f"{msg.type}: {msg.text} (source {msg.location.get('url') or '-'}) {where()}"))
    page.on("pageerror", lambda exc: tab.errors.append(f"{exc} {where()}"))

    def on_request_failed(request: Any) -> None:
        # ERR_ABORTED: the page navigated away while the request was pending (a favicon, say); not a fault.
        if request.failure != "net::ERR_ABORTED":
            tab.bad_responses.append(f"request failed: {request.url} ({request.failure}) {where()}")

    page.on("requestfailed", on_request_failed)

    def on_response(response: Any) -> None:
        if "/static/" in response.url and response.status >= 400:
            tab.bad_responses.append(f"static file {response.url} answered {response.status} {where()}")

    page.on("response", on_response)


@pytest.fixture
def open_tab(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Callable[[str], Tab]]:
    """``open_tab("journey")``: a fresh browser context on the live server; screenshots are named ``journey-*.png``.

    The browser asks for English (Accept-Language): the application must still default to Chinese.
    """
    contexts: list[Any] = []
    tabs: list[Tab] = []

    def open_(prefix: str) -> Tab:
        context = browser.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 1366, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        contexts.append(context)
        tab = Tab(page=context.new_page(), prefix=prefix)
        _watch(tab)
        tabs.append(tab)
        return tab

    yield open_
    report = getattr(request.node, "rep_call", None)
    for tab in tabs:
        if report is not None and report.failed:
            try:
                tab.shot("FAILED")
            except Exception as exc:  # best effort: the test has already failed
                print(f"could not take the failure screenshot: {exc}")
    for context in contexts:
        context.close()
