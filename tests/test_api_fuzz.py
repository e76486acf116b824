"""The whole OpenAPI, fuzzed in the suite (issue #12): zero server errors is a test, not a hope.

schemathesis generates requests for every operation of ``/api/v1/openapi.json`` from its own schema; each
is sent through Django's WSGI handler with a bearer token of a user the permission matrix names as in scope
for that operation (with the usual purpose of their role), at the matrix's objects, so the requests reach
the handlers instead of stopping at 401/404. Every response must be no 5xx, a status code the schema
documents, the documented content type and a body valid against the documented schema.

Bounded and repeatable: derandomized examples, a small ``max_examples``, no example database. The suite
runs on SQLite and on PostgreSQL, and so does this test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from clientvault.accounts import services as account_services
from clientvault.api import api
from clientvault.testing.actors import ctx, default_purpose
from clientvault.testing.consents import notice
from tests.matrix.effects import PARAMS
from tests.matrix.routes import split_user
from tests.matrix.tables import API_MATRIX
from tests.matrix.world import World
from tests.matrix.world import world as world

MAX_EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


def actor_for(method: str, path: str) -> str:
    """The first user the permission matrix names as in scope for the operation."""
    who, _foreign = split_user(API_MATRIX[(method, path)].ok[0])
    return who


@pytest.fixture
def bearer(world: World) -> dict[str, str]:
    """One API token per user of the world, for the usual purpose of the user's role."""
    secrets = {}
    for username, u in world.org.users.items():
        purpose = default_purpose(u)
        _token, secret = account_services.create_api_token(ctx=ctx(u), name="fuzz", purposes=[purpose] if purpose else [])
        secrets[username] = f"Bearer {secret}"
    return secrets


@pytest.fixture
def published_notice(world: World) -> str:
    return str(notice().pk)


@pytest.fixture
def connections_kept() -> Iterator[None]:
    """schemathesis calls the WSGI handler itself, whose request signals close the database connection after
    every request (and with it the test's transaction); keep it open, as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_api_answers_as_documented(case: Any, world: World, bearer: dict[str, str], published_notice: str, connections_kept: None) -> None:
    method, path = case.operation.method.upper(), case.operation.path
    for name in list(case.path_parameters or {}):
        case.path_parameters[name] = str(PARAMS[name](world, False))
    if isinstance(case.body, dict) and "notice_id" in case.body:
        case.body["notice_id"] = published_notice  # a consent names a published notice: reach the rules behind it
    response = case.call(headers={"Authorization": bearer[actor_for(method, path)]})
    case.validate_response(response, checks=CHECKS)
