"""schemathesis drives every operation of `/api/openapi.json` against the running local stack.

Each generated request goes out with the credential its operation needs: resident operations with
a real resident session, staff operations once with a real token of each group (so a reviewer's
403 on the metrics is checked as surely as an admin's 200). Every answer must conform to the
document: no server error, a documented status, the documented content type, headers and schema;
a request the document calls invalid must be refused; a secured operation must refuse a missing
credential. The stateful part follows the document's links (create a report, answer it, submit it,
let staff see and decide it). The counts go to `test-artifacts/schemathesis.json`.

The stack is the test's own: thousands of guesses at staff sign-in from one address would lock
that address out for every other test (the lockout itself is proven in `test_staff_lockout`).
"""

from __future__ import annotations

import json
import threading
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from app import app  # noqa: F401 - registers every route, and so declares every operation
from chalicelib.routes.contract import OPERATIONS
from chalicelib.routes.openapi import API_VERSION, document
from infra.local_stack import DEFAULT_STAFF_PASSWORD as STAFF_PASSWORD
from tests.support import local_stack
from tests.support.flows import resident, submitted_theft

pytestmark = pytest.mark.e2e

AnyCase = schemathesis.Case[Any]
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "schemathesis.json"
GROUPS = {"reviewers": "reviewer", "supervisors": "supervisor", "admins": "admin"}
EXAMPLES_PER_OPERATION = 30
STATEFUL_RUNS = 25
# Sign-in guesses and link requests all come from 127.0.0.1 here; see the module's docstring.
STACK_SETTINGS = {
    "STAFF_SIGN_IN_FAILURES_PER_CLIENT": "1000000",
    "VERIFICATIONS_PER_CLIENT": "1000000",
}
ENDS_ITS_CREDENTIAL = {("DELETE", "/api/session"), ("POST", "/api/staff/logout")}


@dataclass
class Tally:
    requests: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, case: AnyCase, status: int, who: str) -> None:
        with self.lock:
            self.requests += 1
            self.by_operation[f"{case.operation.label} as {who}"] += 1
            self.statuses[f"{case.operation.label} {status}"] += 1


@dataclass
class Credentials:
    stack: local_stack.RunningStack
    resident: dict[str, str]
    staff: dict[str, dict[str, str]]

    def fresh_resident(self) -> dict[str, str]:
        return resident(self.stack, "fuzz-signout")[0]

    def fresh_staff(self, username: str) -> dict[str, str]:
        signed_in = requests.post(
            f"{self.stack.app_url}/api/staff/login",
            json={"username": username, "password": STAFF_PASSWORD},
            timeout=30,
        )
        assert signed_in.status_code == 200, signed_in.text
        return {"Authorization": f"Bearer {signed_in.json()['token']}"}

    def for_case(self, case: AnyCase) -> list[tuple[str, dict[str, str]]]:
        """Who sends this case, and with what: one credential, or one per staff group. An
        operation that ends its credential gets one made for it, so the others stay open."""
        security = case.operation.definition.raw.get("security") or []
        ends = (case.method.upper(), case.operation.path) in ENDS_ITS_CREDENTIAL
        if not security:
            return [("anyone", {})]
        if "resident" in security[0]:
            return [("resident", self.fresh_resident() if ends else self.resident)]
        return [
            (group, self.fresh_staff(username) if ends else self.staff[group])
            for group, username in GROUPS.items()
        ]


TALLY = Tally()


@pytest.fixture(scope="module")
def fuzz_stack() -> Iterator[local_stack.RunningStack]:
    stack = local_stack.start(STACK_SETTINGS)
    yield stack
    local_stack.stop(stack)


@pytest.fixture(scope="module")
def credentials(fuzz_stack: local_stack.RunningStack) -> Credentials:
    signed_in = Credentials(fuzz_stack, resident(fuzz_stack, "fuzz")[0], {})
    signed_in.staff = {group: signed_in.fresh_staff(name) for group, name in GROUPS.items()}
    return signed_in


# The document as the app makes it; the stack serves the same one (the first test checks).
DOCUMENT = document(OPERATIONS, title="Self-Report API", version=API_VERSION, server="/")
# Every check but one: a request the schema allows may still be refused (422, documented) by
# what the domain knows and a JSON Schema cannot say: which incident types the agency offers,
# which answers fit a question, whether an address can receive email. And no made-up query
# parameters: the API ignores one it does not know, as OpenAPI allows, so a client's cache
# buster or tracking tag never breaks a call.
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {"positive_data_acceptance": {"enabled": False}},
        "generation": {"allow-extra-parameters": False},
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


def test_the_stack_serves_the_document_that_is_fuzzed(
    fuzz_stack: local_stack.RunningStack,
) -> None:
    served = requests.get(f"{fuzz_stack.app_url}/api/openapi.json", timeout=30).json()

    assert {**served, "info": None, "servers": None} == {
        **DOCUMENT,
        "info": None,
        "servers": None,
    }


@pytest.fixture(scope="module")
def seeded(credentials: Credentials) -> list[str]:
    """Reports of the fuzzing resident that exist: three submitted, one draft."""
    references = [submitted_theft(credentials.stack, credentials.resident)["id"] for _ in range(3)]
    draft = requests.post(
        f"{credentials.stack.app_url}/api/reports",
        json={"incident_type": "theft"},
        headers=credentials.resident,
        timeout=30,
    )
    assert draft.status_code == 201, draft.text
    return [*references, draft.json()["id"]]


def aim_at_real_reports(case: AnyCase, seeded: list[str]) -> None:
    """Half of the well-formed references and incident types become real ones, so that
    the fuzzing reaches past "not found": a valid value swapped for another valid value."""
    reference = (case.path_parameters or {}).get("report_id")
    if isinstance(reference, str) and 1 <= len(reference) <= 40 and heads(reference):
        pick = zlib.crc32(reference.encode()) // 2 % len(seeded)
        case.path_parameters = {**(case.path_parameters or {}), "report_id": seeded[pick]}
    body = case.body
    incident_type = body.get("incident_type") if isinstance(body, dict) else None
    well_formed = isinstance(incident_type, str) and len(incident_type) <= 40
    if isinstance(body, dict) and well_formed and heads(str(incident_type)):
        case.body = {**body, "incident_type": "theft"}


def heads(value: str) -> bool:
    """A coin toss that lands the same way for the same value in every run."""
    return zlib.crc32(value.encode()) % 2 == 0


# One test per operation, with its label in the test's id: schemathesis' own `parametrize` gives
# every operation the same node id, and pytest-xdist, which schedules by node id, then ran only
# the first operation.
OPERATIONS_FUZZED = {
    result.ok().label: result.ok()
    for result in schema.get_all_operations()
    if isinstance(result, Ok)
}


@pytest.mark.parametrize("label", sorted(OPERATIONS_FUZZED))
def test_every_operation_answers_as_documented(
    label: str, credentials: Credentials, seeded: list[str]
) -> None:
    operation = OPERATIONS_FUZZED[label]
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        def answers_as_documented(case: AnyCase) -> None:
            aim_at_real_reports(case, seeded)
            for who, headers in credentials.for_case(case):
                response = case.call_and_validate(
                    base_url=credentials.stack.app_url, headers=headers, timeout=30
                )
                TALLY.count(case, response.status_code, who)

        try:
            answers_as_documented()
        except Unsatisfiable:
            # Nothing in this operation's inputs can be made invalid (GET /api/agency takes only
            # an optional `language`, and any value is valid): the valid requests are its run.
            assert mode is GenerationMode.NEGATIVE
            continue


def test_following_the_links_answers_as_documented(credentials: Credentials) -> None:
    class Journeys(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: AnyCase) -> dict[str, Any]:
            sender = credentials.for_case(case)[-1]  # staff steps as an admin, who may do all
            return {"base_url": credentials.stack.app_url, "headers": sender[1], "timeout": 30}

        def after_call(self, response: schemathesis.Response, case: AnyCase) -> None:
            TALLY.count(case, response.status_code, "stateful")

    Journeys.run(
        settings=settings(
            max_examples=STATEFUL_RUNS,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )


def test_the_run_reached_every_operation_with_enough_requests() -> None:
    """Runs after the two above (same module, in order): the totals, kept as an artifact."""
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(
        json.dumps(
            {
                "requests": TALLY.requests,
                "by_operation": dict(sorted(TALLY.by_operation.items())),
                "statuses": dict(sorted(TALLY.statuses.items())),
                "run": uuid.uuid4().hex,
            },
            indent=2,
        )
    )
    reached = {label.split(" as ")[0] for label in TALLY.by_operation}

    # pytest-xdist's --dist loadfile keeps a module's tests in one worker, in order: this one
    # sees the whole tally.
    assert reached == set(OPERATIONS_FUZZED), "every documented operation was fuzzed"
    assert TALLY.requests >= 2000
