from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def no_worker(settings: Any) -> Any:
    """Enqueued tasks go nowhere: the tests run ``fulfilment.fulfil`` themselves, step by step."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return settings
