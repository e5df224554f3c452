"""Schemathesis: generated requests against the OpenAPI document, both backends.

Every operation is called with the API key of the role it is for, so the
generated bodies reach the route code. No response may be a 5xx, and every
response must match the documented status codes, content type and schema.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api import create_app
from tests.consent.consent_support import World

ROLE_OF_TAG = {
    "admin": "admin",
    "department": "department",
    "subject portal": "portal",
    "recipient": "recipient",
}


# Examples per operation; raise it locally to search harder.
EXAMPLES = int(os.environ.get("DESENS_SCHEMATHESIS_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_api_matches_its_openapi_document(world: World) -> None:
    # schemathesis.pytest.from_fixture needs a pytest private attribute that
    # pytest 9 removed, so the operations are driven here with hypothesis.
    settings_ = world.store.settings.model_copy(update={"auto_migrate": False})
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", create_app(settings_, store=world.store)
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 24
    for operation in operations:
        tags = operation.definition.raw.get("tags") or []
        role = ROLE_OF_TAG.get(tags[0]) if tags else None
        headers = {"X-API-Key": world.keys[role]} if role else {}

        exercise(operation, headers)


def exercise(operation, headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def call(case) -> None:  # type: ignore[no-untyped-def]
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()
