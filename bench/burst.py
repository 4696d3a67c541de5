"""A burst: 50 residents at once, each from a link request to a submitted report (local stack).

Each resident is a thread with its own connection (a `requests.Session`, kept alive) and its own
email address; all of them wait at a barrier and start together. Each asks for a link
(POST /api/verifications), reads it from the local outbox (GET /_local/outbox, as a resident
reads their email), opens a session (POST /api/sessions), starts a theft report
(POST /api/reports), answers it (PATCH /api/reports/{id}: one request per wizard step, as the
pages save, or every answer in one), and submits it (POST /api/reports/{id}/submit). Every
request is timed and its status checked; any other status is kept with its body, and so is a
request that failed (a reset connection, a timeout).

`verify` then checks what the burst left behind, through the staff API and the local outbox:
every report is in the staff queue exactly once (read as a reviewer, every page, both right after
the burst, while the reviews are starting, and once they have all started), one execution of the
review workflow per report, and per address exactly one link and one confirmation naming that
resident's reference. The confirmations are sent by the workflow (Step Functions, then the review
Lambda, in the stack's process): `verify` waits until every review is waiting for a decision
(its task token on the report, written by AwaitDecision, the state after ConfirmSubmission), after
which no confirmation can still be sent or retried, then counts. Last, the stack's own log must
hold no traceback, warning, error or 5xx.

The test (tests/e2e/test_burst.py) asserts that nothing went wrong; the bench (bench/run.py)
records the latencies and the wall time. Nothing here asserts a timing.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from infra.local_stack import DEFAULT_STAFF_PASSWORD
from tests.support.answers import theft_answers
from tests.support.flows import aws_client, poll
from tests.support.local_stack import RunningStack, Site

from .latency import percentile
from .results import Record

RESIDENTS = 50
# The app counts links per client by API Gateway's `sourceIp`. Chalice's local server gives every
# request the same one, 127.0.0.1 (`chalice.local.LambdaEventConverter.LOCAL_SOURCE_IP`, whatever
# the connection's address), so the 50 residents, 50 addresses in reality, are one client here,
# over the per-client cap (`VERIFICATIONS_PER_CLIENT`, 30 by default). The burst's stack allows
# that one client exactly one link per resident, and changes nothing else: each address asks
# once (under `VERIFICATIONS_PER_ADDRESS` and its total) and each resident starts and submits one
# report (under the profile's `limits:`), all at their production defaults.
STACK_SETTINGS = {"VERIFICATIONS_PER_CLIENT": str(RESIDENTS)}
PREFIX = "selfreport-local"  # the local stage's resource prefix (.chalice/config.json)
REPORTS_TABLE = f"{PREFIX}-reports"
OPERATIONS = {
    "link": "request a link",
    "outbox": "read the link (local outbox)",
    "session": "open a session",
    "start": "start a report",
    "answer": "answer (PATCH)",
    "submit": "submit",
}
OUTBOX_NOTE = (
    "; local only: GET /_local/outbox answers every email sent so far, where a resident would "
    "open their own mailbox"
)
REQUEST_SECONDS = 120  # any one request, on a busy 2-core machine under 50 clients
BARRIER_SECONDS = 120  # for 50 threads to be ready
SETTLE_SECONDS = 300  # for 50 reviews to reach AwaitDecision
QUEUE_PAGES = 100  # a bound on following next_cursor: a cursor that loops is a failure
LINK = re.compile(r"/verify\?token=([\w-]+)")


class Refused(Exception):
    """A response other than the one expected: the journey cannot go on."""


@dataclass
class Journey:
    """One resident's way through the burst."""

    address: str
    samples: dict[str, list[float]] = field(default_factory=dict)
    """Milliseconds of each request, by operation (a key of OPERATIONS)."""
    report_id: str | None = None
    reference: str | None = None
    journey_ms: float | None = None
    """From the barrier to the submit's answer; None unless every request succeeded."""
    failures: list[str] = field(default_factory=list)
    """Each unexpected answer: method, path, status and body (or the exception)."""


@dataclass(frozen=True)
class Burst:
    journeys: list[Journey]
    wall_ms: float
    """From the barrier's release until the last resident's last answer."""
    started_at: float
    """`time.monotonic()` when the barrier released the residents."""
    by_step: bool = True
    """Whether each wizard step was its own PATCH (or every answer went in one)."""

    def failures(self) -> list[str]:
        return [
            f"{journey.address}: {failure}"
            for journey in self.journeys
            for failure in journey.failures
        ]

    def samples(self, operation: str) -> list[float]:
        return [ms for journey in self.journeys for ms in journey.samples.get(operation, [])]


class Resident:
    def __init__(self, site: Site, address: str) -> None:
        self.site = site
        self.journey = Journey(address)
        self.http = requests.Session()  # this resident's own connection, kept alive

    def call(self, operation: str, method: str, path: str, expect: int, body: object = None) -> Any:
        began = time.perf_counter()
        try:
            response = self.http.request(
                method, f"{self.site.app_url}{path}", json=body, timeout=REQUEST_SECONDS
            )
        except requests.RequestException as error:
            raise Refused(f"{method} {path}: {type(error).__name__}: {error}") from error
        self.journey.samples.setdefault(operation, []).append((time.perf_counter() - began) * 1000)
        if response.status_code != expect:
            raise Refused(
                f"{method} {path}: {response.status_code} (expected {expect}): {response.text}"
            )
        return response.json()

    def link_token(self) -> str:
        """The token of the link emailed to this resident: the first message to them."""
        messages = self.call("outbox", "GET", "/_local/outbox", 200)
        mine = [message for message in messages if message["to"] == self.journey.address]
        if len(mine) != 1 or not (found := LINK.search(mine[0]["text"])):
            raise Refused(f"the outbox holds {len(mine)} messages to the address, not one link")
        return found.group(1)

    def live(self, ready: threading.Barrier, by_step: bool) -> None:
        journey = self.journey
        answers = theft_answers()
        try:
            ready.wait()
            began = time.perf_counter()
            self.call("link", "POST", "/api/verifications", 202, {"email": journey.address})
            opened = self.call(
                "session", "POST", "/api/sessions", 201, {"token": self.link_token()}
            )
            self.http.headers["Authorization"] = f"Bearer {opened['session']}"
            report = self.call("start", "POST", "/api/reports", 201, {"incident_type": "theft"})
            journey.report_id = str(report["id"])
            path = f"/api/reports/{journey.report_id}"
            pages = [step["questions"] for step in report["steps"]] if by_step else [answers]
            saved: dict[str, Any] = {}
            for questions in pages:
                page = {question: answers[question] for question in questions}
                saved = self.call("answer", "PATCH", path, 200, {"answers": page})
            if saved.get("complete") is not True:
                raise Refused(f"PATCH {path}: the last step left the report incomplete: {saved}")
            submitted = self.call("submit", "POST", f"{path}/submit", 200)
            if submitted.get("status") != "submitted" or not submitted.get("reference"):
                raise Refused(f"POST {path}/submit: 200 but not submitted: {submitted}")
            journey.reference = str(submitted["reference"])
            journey.journey_ms = (time.perf_counter() - began) * 1000
        except Refused as refused:
            journey.failures.append(str(refused))
        except threading.BrokenBarrierError:
            journey.failures.append("the residents were not all ready together")
        finally:
            self.http.close()


def run(site: Site, residents: int = RESIDENTS, *, by_step: bool = True) -> Burst:
    """`residents` residents at once, each from a link request to a submitted report, answering
    one wizard step per PATCH (`by_step`) or every answer in one."""
    run_id = uuid.uuid4().hex[:8]
    people = [
        Resident(site, f"burst-{run_id}-{number:02d}@example.com") for number in range(residents)
    ]
    released: list[float] = []
    ready = threading.Barrier(
        residents, action=lambda: released.append(time.monotonic()), timeout=BARRIER_SECONDS
    )
    threads = [
        threading.Thread(target=person.live, args=(ready, by_step), name=f"resident-{number}")
        for number, person in enumerate(people)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ended = time.monotonic()
    started = released[0] if released else ended
    return Burst([person.journey for person in people], (ended - started) * 1000, started, by_step)


# -- what the burst left behind ------------------------------------------------------------------


def staff_headers(site: Site) -> dict[str, str]:
    """A reviewer's bearer header, signed in through the staff API (as tests.support.flows.staff
    does, with this module's patience: right after a burst the stack is still busy starting 50
    reviews, and a sign-in can wait its turn for more than 10 s)."""
    signed_in = requests.post(
        f"{site.app_url}/api/staff/login",
        json={"username": "reviewer", "password": DEFAULT_STAFF_PASSWORD},
        timeout=REQUEST_SECONDS,
    )
    if signed_in.status_code != 200:
        raise Refused(f"POST /api/staff/login: {signed_in.status_code}: {signed_in.text}")
    return {"Authorization": f"Bearer {signed_in.json()['token']}"}


def queue_ids(site: Site, headers: dict[str, str]) -> tuple[list[str], list[str]]:
    """Every id in the staff queue of submitted reports, every page in order; and the problems."""
    ids: list[str] = []
    cursor: str | None = None
    for _ in range(QUEUE_PAGES):
        query = {"status": "submitted"} | ({"cursor": cursor} if cursor else {})
        response = requests.get(
            f"{site.app_url}/api/staff/reports",
            params=query,
            headers=headers,
            timeout=REQUEST_SECONDS,
        )
        if response.status_code != 200:
            return ids, [f"GET /api/staff/reports: {response.status_code}: {response.text}"]
        page = response.json()
        ids += [str(item["id"]) for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return ids, []
    return ids, [f"the staff queue still had a next_cursor after {QUEUE_PAGES} pages"]


def queue_problems(site: Site, headers: dict[str, str], burst: Burst, when: str) -> list[str]:
    listed, problems = queue_ids(site, headers)
    counted = Counter(listed)
    problems += [
        f"{when}: {report_id} is listed {n} times" for report_id, n in counted.items() if n > 1
    ]
    problems += [
        f"{when}: {journey.report_id} ({journey.address}) is not in the staff queue"
        for journey in burst.journeys
        if journey.report_id and journey.reference and counted[journey.report_id] == 0
    ]
    return problems


def review_started(
    site: RunningStack, report_ids: list[str]
) -> Callable[[], dict[str, dict[str, Any]]]:
    """A reader of the reports' status and whether their review waits for a decision."""
    dynamodb = aws_client(site, "dynamodb")

    def read() -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(report_ids), 100):  # BatchGetItem takes 100 keys
            keys = [
                {"report_id": {"S": report_id}} for report_id in report_ids[start : start + 100]
            ]
            request: dict[str, Any] = {
                REPORTS_TABLE: {
                    "Keys": keys,
                    "ConsistentRead": True,
                    "ProjectionExpression": "report_id, #s, review_token",
                    "ExpressionAttributeNames": {"#s": "status"},
                }
            }
            while request:
                answer = dynamodb.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(REPORTS_TABLE, []):
                    found[item["report_id"]["S"]] = {
                        "status": item["status"]["S"],
                        "waiting": "review_token" in item,
                    }
                request = answer.get("UnprocessedKeys") or {}
        return found

    return read


def settle(site: RunningStack, report_ids: list[str]) -> tuple[float, list[str]]:
    """Wait until every review waits for a decision (or a report left `submitted`): seconds it
    took, and the reports whose review did not get there."""
    began = time.monotonic()
    read = review_started(site, report_ids)
    found = poll(
        read,
        lambda reports: (
            len(reports) == len(report_ids)
            and all(
                report["waiting"] or report["status"] != "submitted" for report in reports.values()
            )
        ),
        seconds=SETTLE_SECONDS,
        interval=0.2,
    )
    stuck = [
        f"{report_id}: {found.get(report_id, 'not found')} after {SETTLE_SECONDS} s"
        for report_id in report_ids
        if not (found.get(report_id) or {}).get("waiting")
    ]
    return time.monotonic() - began, stuck


def execution_problems(site: RunningStack, report_ids: list[str]) -> list[str]:
    """One running review per report, named after it."""
    stepfunctions = aws_client(site, "stepfunctions")
    [machine] = stepfunctions.list_state_machines()["stateMachines"]
    names: list[str] = []
    statuses: dict[str, str] = {}
    for page in stepfunctions.get_paginator("list_executions").paginate(
        stateMachineArn=machine["stateMachineArn"]
    ):
        for execution in page["executions"]:
            names.append(execution["name"])
            statuses[execution["name"]] = execution["status"]
    counted = Counter(names)
    return [
        f"{report_id}: {counted[report_id]} executions ({statuses.get(report_id, 'none')})"
        for report_id in report_ids
        if counted[report_id] != 1 or statuses[report_id] != "RUNNING"
    ]


def email_problems(site: Site, burst: Burst) -> list[str]:
    """Per address: one link, one confirmation naming its reference, nothing else."""
    by_address: dict[str, list[dict[str, str]]] = {}
    for message in site.outbox():
        by_address.setdefault(message["to"], []).append(message)
    problems = []
    for journey in burst.journeys:
        if not journey.reference:
            continue
        kinds = Counter(message["kind"] for message in by_address.get(journey.address, []))
        if kinds != Counter({"verification": 1, "submitted": 1}):
            problems.append(f"{journey.address} ({journey.reference}) received {dict(kinds)}")
            continue
        [confirmation] = [m for m in by_address[journey.address] if m["kind"] == "submitted"]
        if journey.reference not in confirmation["subject"]:
            problems.append(
                f"{journey.address}'s confirmation names another report: {confirmation['subject']}"
            )
    return problems


ACCESS_5XX = re.compile(r"^[A-Z]+ \S+ 5\d\d$")


def log_problems(site: RunningStack) -> list[str]:
    """What the stack printed that no client sees: a traceback (a Lambda step that failed and
    was retried, say), a warning or an error from the app, a 5xx."""
    return [
        f"the stack logged: {line[:500]}"
        for line in site.log_lines()
        if line.startswith("Traceback")
        or ACCESS_5XX.match(line)
        or '"level":"ERROR"' in line
        or '"level":"WARNING"' in line
        or '"level":"CRITICAL"' in line
    ]


@dataclass(frozen=True)
class Verified:
    problems: list[str]
    settle_s: float
    """From the end of the burst until every review waited for a decision."""


def verify(site: RunningStack, burst: Burst) -> Verified:
    """Everything the burst should have left behind, as a list of what is wrong (empty: nothing)."""
    problems = [f"refused: {failure}" for failure in burst.failures()]
    submitted = [journey for journey in burst.journeys if journey.reference]
    report_ids = [str(journey.report_id) for journey in submitted]
    try:
        reviewer = staff_headers(site)
    except Refused as refused:
        return Verified([*problems, f"staff sign-in: {refused}"], 0.0)
    problems += queue_problems(site, reviewer, burst, "right after the burst")
    settle_s, stuck = settle(site, report_ids)
    problems += [f"review not waiting for a decision: {report}" for report in stuck]
    problems += queue_problems(site, reviewer, burst, "once every review had started")
    problems += execution_problems(site, report_ids)
    problems += email_problems(site, burst)
    problems += log_problems(site)
    return Verified(problems, settle_s)


# -- figures -------------------------------------------------------------------------------------


def records(burst: Burst, verified: Verified | None) -> list[Record]:
    residents = len(burst.journeys)
    done = [journey.journey_ms for journey in burst.journeys if journey.journey_ms is not None]
    answering = (
        "one PATCH per wizard step (7 for a theft)"
        if burst.by_step
        else "one PATCH of every answer"
    )
    found: list[Record] = []
    series = [(title, burst.samples(key), "request") for key, title in OPERATIONS.items()]
    series.append(("whole journey per resident", done, "resident"))
    for title, samples, each in series:
        if not samples:
            continue
        for label, fraction in (("p50", 0.5), ("p95", 0.95)):
            found.append(
                Record(
                    f"burst of {residents}, latency {label}: {title}",
                    round(percentile(samples, fraction), 1),
                    "ms",
                    notes=f"{len(samples)} {each}s: {residents} residents at once, each on its "
                    "own kept-alive connection, on a local stack of their own (one process: "
                    "Chalice's dev server, a thread per connection, moto, and the workflow's "
                    f"Lambda steps); {answering}"
                    + (OUTBOX_NOTE if title == OPERATIONS["outbox"] else ""),
                )
            )
    found.append(
        Record(
            f"burst of {residents}: wall time",
            round(burst.wall_ms / 1000, 2),
            "s",
            notes=f"from the barrier's release to the last submit's answer; {len(done)} of "
            f"{residents} residents submitted; a journey is a link, the outbox, a session, a "
            f"draft, {answering} and the submit",
        )
    )
    if verified is not None:
        found.append(
            Record(
                f"burst of {residents}: until every review waited for a decision",
                round(verified.settle_s, 2),
                "s",
                notes="after the burst: every confirmation emailed (ConfirmSubmission) and "
                "AwaitDecision entered, polled every 0.2 s; "
                + ("nothing went wrong" if not verified.problems else "PROBLEMS: see the run"),
            )
        )
    return found
