"""Latency through the running local stack, beside the bare AWS calls the operation makes.

One `requests.Session` makes every request to the app, each on a new connection (the session's
pooled connection is dropped after each request): on a kept-alive connection Chalice's dev server
(headers and body written in two sends) meets the client's delayed ACK and every response waits
~40 ms, which API Gateway would not add; that stall is measured apart.

200 timed requests each: the home page, a wizard step save (a valid answer to one question of a
draft), and a submit (200 complete drafts are prepared through the API first; only the submits
are timed). After each timed request, the AWS calls the same operation makes (as counted
in-process) are made bare, with boto3, against the same moto server, on the same items (after a
submit, once its review has reached AwaitDecision); the ratio of the two is the app's own
overhead: HTTP, Chalice, validation, rendering, PynamoDB. The home page makes no AWS call: beside
it is the dev server's answer to a path no route serves (no view runs).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import requests

from chalicelib.agency import load_profile
from chalicelib.tokens import digest
from tests.support.answers import theft_answers
from tests.support.flows import aws_client
from tests.support.local_stack import RunningStack

from .results import HarnessFailure, Record

REQUESTS = 200
WARM_UP = 5
KEPT_ALIVE_PROBES = 20
NO_ROUTE = "/bench-no-such-route"
PREFIX = "selfreport-local"
REPORTS = f"{PREFIX}-reports"
SESSIONS = f"{PREFIX}-resident-sessions"
AUDIT = f"{PREFIX}-audit"
RATE_LIMITS = f"{PREFIX}-rate-limits"
STEP_SAVE = {"narrative": "My bicycle was taken from the rack outside my building overnight."}
PASS_MACHINE = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}

BARE_STEP = ["dynamodb:GetItem", "dynamodb:GetItem", "dynamodb:PutItem"]
BARE_SUBMIT = [
    "dynamodb:GetItem",
    "dynamodb:GetItem",
    "dynamodb:UpdateItem",
    "dynamodb:TransactWriteItems",
    "stepfunctions:StartExecution",
]


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Timings:
    operation: str
    app_ms: list[float]
    bare_ms: list[float]
    bare_calls: list[str]
    settle_ms: list[float] | None = None
    """After each submit: until its review waited for a decision (ConfirmSubmission ran)."""


class Bench:
    def __init__(self, stack: RunningStack, requests_each: int = REQUESTS) -> None:
        self.stack = stack
        self.count = requests_each
        self.http = requests.Session()
        self.dynamodb = aws_client(stack, "dynamodb")
        self.stepfunctions = aws_client(stack, "stepfunctions")
        self.auth: dict[str, str] = {}
        self.session_key = ""
        self.owners: dict[str, tuple[dict[str, str], str]] = {}
        limits = load_profile("demo").limits  # the profile the local stack runs
        self.reports_per_resident = min(
            limits.open_drafts_per_resident, limits.submissions_per_resident_per_day
        )

    def call(
        self,
        method: str,
        path: str,
        expect: int,
        body: object = None,
        keep_alive: bool = False,
    ) -> Any:
        response = self.http.request(
            method,
            f"{self.stack.app_url}{path}",
            json=body,
            headers=self.auth,
            timeout=30,
            allow_redirects=False,
        )
        if not keep_alive:
            self.http.close()  # the next request opens a new connection (the session stays usable)
        if response.status_code != expect:
            raise HarnessFailure(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response

    def sign_in(self) -> None:
        address = f"bench-latency-{uuid.uuid4().hex[:8]}@example.com"
        self.call("POST", "/api/verifications", 202, {"email": address})
        token = self.stack.latest_link(address).split("token=")[1]
        session = self.call("POST", "/api/sessions", 201, {"token": token}).json()["session"]
        self.auth = {"Authorization": f"Bearer {session}"}
        self.session_key = digest(session)

    def drafts(self) -> list[str]:
        """Complete theft drafts, each answered with one PATCH (not timed)."""
        answers = theft_answers()
        made = []
        for number in range(self.count):
            if number % self.reports_per_resident == 0:  # a resident keeps only a few drafts
                self.sign_in()
            report = self.call("POST", "/api/reports", 201, {"incident_type": "theft"}).json()
            self.owners[str(report["id"])] = (self.auth, self.session_key)
            saved = self.call("PATCH", f"/api/reports/{report['id']}", 200, {"answers": answers})
            if not saved.json()["complete"]:
                raise HarnessFailure(f"a prepared draft is not complete: {saved.text[:300]}")
            made.append(str(report["id"]))
        return made

    # -- the bare calls ------------------------------------------------------------------------

    def _get(self, table: str, key: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = self.dynamodb.get_item(
            TableName=table, Key=key, ConsistentRead=True
        )["Item"]
        return found

    def as_owner(self, report_id: str) -> None:
        self.auth, self.session_key = self.owners[report_id]

    def bare_step(self, report_id: str) -> None:
        """GetItem the session, GetItem the report, PutItem it back (unchanged)."""
        self._get(SESSIONS, {"session_digest": {"S": self.session_key}})
        item = self._get(REPORTS, {"report_id": {"S": report_id}})
        self.dynamodb.put_item(
            TableName=REPORTS,
            Item=item,
            ConditionExpression="#v = :v",
            ExpressionAttributeNames={"#v": "version"},
            ExpressionAttributeValues={":v": item["version"]},
        )

    def bare_submit(self, report_id: str, machine_arn: str) -> None:
        """The session, the report, the daily cap, the conditional update with its audit event in
        one transaction, a started execution."""
        self._get(SESSIONS, {"session_digest": {"S": self.session_key}})
        item = self._get(REPORTS, {"report_id": {"S": report_id}})
        self.dynamodb.update_item(
            TableName=RATE_LIMITS,
            Key={"window_key": {"S": f"bench-{report_id}"}},
            UpdateExpression="ADD hits :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        now = datetime.now(UTC).isoformat()
        self.dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": REPORTS,
                        "Key": {"report_id": {"S": report_id}},
                        "UpdateExpression": "SET updated_at = :same",
                        "ConditionExpression": "#s = :s",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {
                            ":same": item["updated_at"],
                            ":s": item["status"],
                        },
                    }
                },
                {
                    "Put": {
                        "TableName": AUDIT,
                        "Item": {
                            "subject": {"S": f"bench-{report_id}"},
                            "event_id": {"S": f"{now}#{uuid.uuid4().hex[:8]}"},
                            "at": {"S": now},
                            "actor": {"S": "resident"},
                            "action": {"S": "submitted"},
                            "outcome": {"S": "succeeded"},
                        },
                        "ConditionExpression": "attribute_not_exists(event_id)",
                    }
                },
            ]
        )
        self.stepfunctions.start_execution(
            stateMachineArn=machine_arn,
            name=uuid.uuid4().hex,
            input=json.dumps({"report_id": report_id}),
        )

    def settled(self, report_id: str) -> None:
        """Wait (untimed) until the started review waits for a decision: its first step, run in
        the stack's process, would otherwise slow whatever is timed next."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            item = self._get(REPORTS, {"report_id": {"S": report_id}})
            if "review_token" in item:
                return
            time.sleep(0.005)
        raise HarnessFailure(f"the review of {report_id} did not reach AwaitDecision in 30 s")

    def pass_machine(self) -> str:
        arn: str = self.stepfunctions.create_state_machine(
            name=f"bench-pass-{uuid.uuid4().hex[:6]}",
            roleArn="arn:aws:iam::123456789012:role/bench-pass",
            type="STANDARD",
            definition=json.dumps(PASS_MACHINE),
        )["stateMachineArn"]
        return arn

    # -- timing --------------------------------------------------------------------------------

    @staticmethod
    def timed(action: Callable[[], object]) -> float:
        started = time.perf_counter()
        action()
        return (time.perf_counter() - started) * 1000

    def run(self) -> list[Timings]:
        self.call("GET", NO_ROUTE, 403, keep_alive=True)
        stall = [
            self.timed(lambda: self.call("GET", NO_ROUTE, 403, keep_alive=True))
            for _ in range(KEPT_ALIVE_PROBES)
        ]
        self.http.close()
        no_route = [self.timed(lambda: self.call("GET", NO_ROUTE, 403)) for _ in range(self.count)]
        for _ in range(WARM_UP):
            self.call("GET", "/", 200)
        home = [self.timed(lambda: self.call("GET", "/", 200)) for _ in range(self.count)]
        drafts = self.drafts()
        machine = self.pass_machine()
        step_app: list[float] = []
        step_bare: list[float] = []
        submit_app: list[float] = []
        submit_bare: list[float] = []
        settle: list[float] = []
        for report_id in drafts:
            self.as_owner(report_id)
            path = f"/api/reports/{report_id}"
            step_app.append(
                self.timed(partial(self.call, "PATCH", path, 200, {"answers": STEP_SAVE}))
            )
            step_bare.append(self.timed(partial(self.bare_step, report_id)))
        for report_id in drafts:
            self.as_owner(report_id)
            submit_app.append(
                self.timed(partial(self.call, "POST", f"/api/reports/{report_id}/submit", 200))
            )
            settle.append(self.timed(partial(self.settled, report_id)))
            submit_bare.append(self.timed(partial(self.bare_submit, report_id, machine)))
        return [
            Timings("dev server, kept-alive connection", stall, no_route, []),
            Timings("home page /", home, no_route, []),
            Timings("save a wizard step", step_app, step_bare, BARE_STEP),
            Timings("submit", submit_app, submit_bare, BARE_SUBMIT, settle),
        ]


def measure(stack: RunningStack, requests_each: int = REQUESTS) -> list[Timings]:
    return Bench(stack, requests_each).run()


def records(timings: list[Timings], in_process_calls: dict[str, list[str]]) -> list[Record]:
    found = []
    for timing in timings:
        n = len(timing.app_ms)
        if timing.operation.startswith("dev server"):
            found.append(
                Record(
                    f"latency p50: {timing.operation}",
                    round(percentile(timing.app_ms, 0.5), 2),
                    "ms",
                    round(percentile(timing.bare_ms, 0.5), 2),
                    f"{n} requests on one kept-alive connection to a path no route serves, beside "
                    "the same on new connections (what every other latency here uses): Chalice's "
                    "dev server sends headers and body separately, Nagle holds the body until the "
                    "client's delayed ACK (~40 ms). A local-stack artifact, not the app's",
                )
            )
            continue
        if not timing.bare_calls:
            for label, fraction in (("p50", 0.5), ("p95", 0.95)):
                found.append(
                    Record(
                        f"latency {label}: {timing.operation}",
                        round(percentile(timing.app_ms, fraction), 2),
                        "ms",
                        round(percentile(timing.bare_ms, fraction), 2),
                        f"{n} requests over HTTP; no AWS call: the floor is the {label} of the dev "
                        f"server answering a path no route serves ({NO_ROUTE}, 403, no view runs)",
                    )
                )
            continue
        counted = in_process_calls.get(timing.operation)
        same = (
            ""
            if counted is None or sorted(counted) == sorted(timing.bare_calls)
            else f" (the in-process count differs: {counted})"
        )
        background = (
            ""
            if not timing.settle_ms
            else (
                ". The local stack runs the started review in its own process: its first step "
                "(ConfirmSubmission) shares the GIL with the end of the request and reaches "
                f"AwaitDecision {percentile(timing.settle_ms, 0.5):.0f} ms (p50) after the "
                "response; in AWS it would run in another Lambda"
            )
        )
        for label, fraction in (("p50", 0.5), ("p95", 0.95)):
            found.append(
                Record(
                    f"latency {label}: {timing.operation}",
                    round(percentile(timing.app_ms, fraction), 2),
                    "ms",
                    round(percentile(timing.bare_ms, fraction), 2),
                    f"{n} requests over HTTP; floor: the {label} of the same "
                    f"{len(timing.bare_calls)} AWS calls made bare with boto3 on the same moto "
                    f"server ({', '.join(timing.bare_calls)}){same}{background}",
                )
            )
    return found
