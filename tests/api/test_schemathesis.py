"""Fuzz every operation of the OpenAPI document with generated valid and invalid requests:
no 500 anywhere, and every error carries the documented body."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from tests.factories import make_order

EXAMPLES = 25
# The operations are fuzzed in shards, so parallel test workers share the work.
SHARDS = 4


def _fuzz(operation, mode, headers, path_parameters, failures: list[str]) -> None:
    label = f"{mode.value} {operation.method.upper()} {operation.path}"

    @given(case=operation.as_strategy(mode, path_parameters=path_parameters))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case) -> None:
        response = case.call(headers={**(case.headers or {}), **headers})
        if response.status_code >= 500:
            failures.append(f"{label}: {response.status_code} {response.text[:200]}")
        elif response.status_code >= 400:
            error = response.json().get("error", {})
            if set(error) != {"code", "message", "details"}:
                failures.append(f"{label}: error body {response.text[:200]}")

    try:
        run()
    except Unsatisfiable:
        # An operation without parameters has no invalid request to generate.
        assert mode is GenerationMode.NEGATIVE, label


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_operation_answers_500(app, client, world, token_for, db, shard):
    order = make_order(db, world)
    headers = token_for(world.dispatcher)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: list[str] = []
    for operation in operations[shard::SHARDS]:
        path_parameters = {"number": order.number} if "{number}" in operation.path else None
        for mode in GenerationMode:
            _fuzz(operation, mode, headers, path_parameters, failures)
    assert failures == []
