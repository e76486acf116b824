"""Training tests need the optional ``risk`` extra: without it they skip with the reason, but under
``CI=true`` they fail instead (as the browser tests do without Chromium)."""

from __future__ import annotations

import importlib.util
import os

import pytest

TRAINING_STACK = ("optbinning", "sklearn", "lightgbm", "pandas")


@pytest.fixture(scope="session")
def training_stack() -> None:
    missing = [name for name in TRAINING_STACK if importlib.util.find_spec(name) is None]
    if missing:
        message = f"the optional 'risk' extra is not installed (missing {', '.join(missing)}; pip install 'clientvault[risk]')"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": training tests are required under CI=true", pytrace=False)
        pytest.skip(message)
