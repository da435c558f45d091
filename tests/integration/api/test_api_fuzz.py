"""Schemathesis fuzzes every operation of the published /openapi.json over a real socket, with the
admin key and with a user key, with data that fits the schema and data that does not: no answer is a
server error, and every answer (errors included) has a documented status, content type and body.
Bounded: 25 examples per operation (one test per operation).

Schemathesis' own pytest loader (``schemathesis.pytest.from_fixture``) does not run under pytest 9
(it reads ``node._nodeid``), so each operation's strategy is driven with Hypothesis directly.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from newsmon.api import create_app
from newsmon.core.settings import Settings
from tests.integration.api.conftest import ApiEnv
from tests.integration.api.helpers import LiveServer

pytestmark = pytest.mark.integration

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 25


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation, from the schema the app publishes (no server needed)."""
    published = create_app(Settings(), es_client=object()).openapi()
    return sorted(
        (method.upper(), path)
        for path, item in published["paths"].items()
        for method in item
        if method != "parameters"
    )


@pytest.fixture(scope="module")
def api_schema(live_api: LiveServer) -> Any:
    return schemathesis.openapi.from_url(f"{live_api.url}/openapi.json")


@pytest.mark.parametrize(("method", "path"), _operations(), ids=lambda v: str(v))
def test_fuzz_operation(
    method: str, path: str, api_schema: Any, api_env: ApiEnv, live_api: LiveServer
) -> None:
    operation = api_schema[path][method]
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        for headers in (api_env.admin, api_env.alice):
            case.call_and_validate(base_url=live_api.url, headers=headers, checks=CHECKS)

    fuzz()
