"""Fuzz every operation of the OpenAPI document with generated valid and invalid requests, each sent as every
role: no 500 anywhere, no call that hangs, and every error carries the documented body."""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from functools import partial
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from minhu.core.db import Database
from minhu.forwarding import service as forwarding_service
from minhu.orders.enums import Channel
from minhu.org import service as org_service
from minhu.org.models import User
from tests.factories import World, make_order

# Per operation and mode; each generated request is then sent once as each role, so a role-specific path
# (a handler's scope, a leader's view, an admin's edit) meets the same inputs as the dispatcher's.
EXAMPLES = 15
# The operations are fuzzed in shards, so parallel test workers share the work.
SHARDS = 4
# One call answers in milliseconds; far beyond that it is stuck.
CALL_SECONDS = 10.0
ROLES = ("operator", "dispatcher", "handler", "gridworker", "leader", "reviewer", "admin")
# The API's logout ends the token it presents: the role gets a new one before its next call.
LOGOUT = ("DELETE", "/api/v1/auth/token")


class CallTimedOut(Exception):
    pass


class Caller:
    """Sends each request from a daemon thread while a watchdog thread times it, so a call that never returns
    fails the test after CALL_SECONDS instead of holding it, and the suite, for ever. (An alarm in the main
    thread cannot do it: the test client waits for the stuck request before it lets any exception out. Nor can
    a timed wait: under faketime it waits for good.) A stuck thread is left behind, and a daemon does not keep
    the process alive."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = queue.SimpleQueue()
        self._current: tuple[Future[Any], float, str] | None = None
        self._open = True
        threading.Thread(target=self._work, daemon=True, name="fuzz-caller").start()
        threading.Thread(target=self._watch, daemon=True, name="fuzz-watchdog").start()

    def _work(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, future = item
            try:
                result = job()
            except BaseException as exc:  # handed to the test, which reports it
                _settle(future, exc)
            else:
                _settle(future, result)

    def _watch(self) -> None:
        while self._open:
            time.sleep(0.5)
            current = self._current
            if current is not None and time.monotonic() - current[1] > CALL_SECONDS:
                _settle(current[0], CallTimedOut(f"{current[2]}: no answer in {CALL_SECONDS:.0f} s"))

    def __call__(self, job: Callable[[], Any], label: str) -> Any:
        future: Future[Any] = Future()
        self._current = (future, time.monotonic(), label)
        self._jobs.put((job, future))
        try:
            return future.result()
        finally:
            self._current = None

    def close(self) -> None:
        self._open = False
        self._jobs.put(None)


def _settle(future: Future[Any], outcome: Any) -> None:
    """The first outcome wins: the answer, or the watchdog's verdict."""
    try:
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
    except InvalidStateError:
        pass


class Credentials:
    """A bearer token per role, issued straight in the database (no password round trip), and the key of a
    system that forwards orders (``POST /api/v1/intake``)."""

    def __init__(self, db: Database, world: World) -> None:
        self.db = db
        self.users: dict[str, User] = {role: getattr(world, role) for role in ROLES}
        self.headers: dict[str, dict[str, str]] = {}
        self.intake_key = forwarding_service.new_key()
        with db.transaction() as session:
            forwarding_service.add_system(session, code="city12345", name="市12345平台", channel=Channel.HOTLINE,
                                          key=self.intake_key)

    def for_case(self, case, role: str, mode: GenerationMode) -> dict[str, str]:
        headers = {**(case.headers or {}), **self.headers[role]}
        # A valid request carries a valid key, so the body is what the fuzzing meets; an invalid one keeps its own.
        if mode is GenerationMode.POSITIVE and "x-api-key" in headers:
            headers["x-api-key"] = self.intake_key
        return headers

    def renew(self, role: str | None = None) -> None:
        with self.db.transaction() as session:
            for name in [role] if role else ROLES:
                token, _ = org_service.issue_token(session, user=self.users[name], ttl_hours=1)
                self.headers[name] = {"Authorization": f"Bearer {token}"}


def _fuzz(operation, mode, credentials: Credentials, caller: Caller, path_parameters, failures: list[str],
          answers: Counter[str]) -> None:
    label = f"{mode.value} {operation.method.upper()} {operation.path}"
    logout = (operation.method.upper(), operation.path) == LOGOUT

    @given(case=operation.as_strategy(mode, path_parameters=path_parameters))
    # No shrinking: a crash or a stuck call is reported as generated, at once, instead of being replayed.
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              phases=[Phase.explicit, Phase.generate])
    def run(case) -> None:
        for role in ROLES:
            headers = credentials.for_case(case, role, mode)
            response = caller(partial(case.call, headers=headers), f"{label} as {role}")
            answers[f"{role} {response.status_code}"] += 1
            if logout and response.status_code == 204:
                credentials.renew(role)
            if response.status_code >= 500:
                failures.append(f"{label} as {role}: {response.status_code} {response.text[:200]}")
            elif response.status_code >= 400:
                error = response.json().get("error", {})
                if set(error) != {"code", "message", "details"}:
                    failures.append(f"{label} as {role}: error body {response.text[:200]}")
            if response.status_code == 401:
                # Refused before anyone is known (no token, a broken key, wrong password): alike for every role.
                break

    try:
        run()
    except Unsatisfiable:
        # An operation without parameters has no invalid request to generate.
        assert mode is GenerationMode.NEGATIVE, label


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_operation_answers_500_to_any_role(app, client, world, db, shard):
    order = make_order(db, world)
    credentials = Credentials(db, world)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: list[str] = []
    answers: Counter[str] = Counter()
    caller = Caller()
    try:
        for operation in operations[shard::SHARDS]:
            # Fresh tokens for each operation: what one operation does to a token never blinds the next.
            credentials.renew()
            path_parameters = {"number": order.number} if "{number}" in operation.path else None
            for mode in GenerationMode:
                _fuzz(operation, mode, credentials, caller, path_parameters, failures, answers)
    finally:
        caller.close()
    assert failures == []
    # Each role was let in somewhere: the fuzzing reached past authentication for all of them.
    assert all(any(answers[f"{role} {code}"] for code in (200, 201, 204)) for role in ROLES), answers
