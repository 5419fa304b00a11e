"""A generated fuzzing pass over every operation of the gateway's ``/api/openapi.json``.

The real processes run (``stack``: four services with their demo data, the gateway in
front); schemathesis reads the merged document the gateway serves, so every operation a
service adds (planning's and billing's included, the day they land) is fuzzed without a
change here. Each generated request, valid (positive) or deliberately wrong (negative),
is sent twice: as the demo parent (bearer token) and anonymously. The one check is
schemathesis' ``not_a_server_error``: whatever the input, never a 5xx.

Bounded for a 2-core machine: a few examples per operation, no shrinking (failures are
collected, not minimised: each is reported with its request), a fixed seed
(``derandomize``) so that a failure is reproducible run after run.
"""

from __future__ import annotations

import asyncio
import time

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from portal_stack.portal import DEMO_PARENT, Stack
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

pytestmark = pytest.mark.timeout(420)

EXAMPLES_PER_OPERATION = 25
REQUEST_TIMEOUT_SECONDS = 15
# Closes the session it is called with: the parent's pass uses a fresh one each time.
LOGOUT = ("DELETE", "/api/accounts/sessions/current")



def log_in(http: requests.Session, stack: Stack) -> str:
    username, password = DEMO_PARENT
    resp = http.post(
        f"{stack.gateway_url}/api/accounts/sessions",
        json={"username": username, "password": password},
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    assert resp.status_code == 200, resp.text
    http.cookies.clear()  # an API client: the bearer token only
    return resp.json()["token"]


class Fuzzer:
    """Runs the examples of each operation; failures are collected, never raised."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.http = requests.Session()
        self.token = log_in(self.http, stack)
        self.failures: list[tuple[tuple[str, str], str]] = []
        self.sent = 0

    def record(self, operation: tuple[str, str], failure: str) -> None:
        self.failures.append((operation, failure))

    def send(self, case, path: str) -> None:
        token = log_in(self.http, self.stack) if (case.method.upper(), path) == LOGOUT else self.token
        for caller, headers in (("parent", {"Authorization": f"Bearer {token}"}), ("anonymous", {})):
            self.http.cookies.clear()
            response = case.call(
                base_url=self.stack.gateway_url, session=self.http, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS
            )
            self.sent += 1
            try:
                case.validate_response(response, checks=[not_a_server_error])
            except FailureGroup as failure:
                self.record(
                    (case.method.upper(), path),
                    f"{caller} {case.method} {case.formatted_path} → {response.status_code}: "
                    f"{response.text[:300]!r} ({'; '.join(type(e).__name__ for e in failure.exceptions)})",
                )

    def fuzz(self, operation) -> None:
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
        )

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case) -> None:
            self.send(case, operation.path)

        run()


def fuzz_every_operation(stack: Stack) -> tuple[Fuzzer, int]:
    schema = schemathesis.openapi.from_url(f"{stack.gateway_url}/api/openapi.json")
    fuzzer = Fuzzer(stack)
    operations = 0
    for result in schema.get_all_operations():
        operations += 1
        fuzzer.fuzz(result.ok())
    return fuzzer, operations


async def test_no_operation_answers_a_server_error(stack):
    started = time.monotonic()
    fuzzer, operations = await asyncio.to_thread(fuzz_every_operation, stack)
    elapsed = time.monotonic() - started
    assert operations >= 20, f"only {operations} operations in the merged document"
    assert fuzzer.sent >= operations * 2
    summary = f"{len(fuzzer.failures)} server errors in {fuzzer.sent} requests over {operations} operations ({elapsed:.0f} s):\n"
    assert not fuzzer.failures, summary + "\n".join(text for _, text in fuzzer.failures[:40])
