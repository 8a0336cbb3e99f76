"""Property-based: requests generated from the app's own OpenAPI (valid and invalid) never get a 5xx.

schemathesis' pytest loader (`from_fixture`) does not run under pytest 9, so
the operations are walked here, each with its own hypothesis run.
"""

from __future__ import annotations

import time

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from lanewatch.api.auth import create_api_key

BUDGET_S = 25.0  # per backend, all operations together
EXAMPLES = 12  # per operation and generation mode
SKIP = {"/api/events"}  # an endless Server-Sent-Events stream, with tests of its own


def test_no_server_errors(app, runtime) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    deadline = time.monotonic() + BUDGET_S
    failures: list[str] = []
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in SKIP:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if time.monotonic() > deadline:
                break

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case) -> None:
                # A fresh key each time: a generated DELETE /api/keys/{pk} may revoke the previous one.
                key = create_api_key(runtime.engine, role="admin", name="fuzz")
                case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])

            try:
                run()
                ran += 1
            except Unsatisfiable:  # nothing to make invalid (an operation without parameters)
                pass
            except Exception as exc:  # collect every operation's failure, then report them together
                failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {exc}")
    assert not failures, "\n\n".join(failures)
    assert ran >= 20, f"only {ran} operation runs fitted in the time budget"
