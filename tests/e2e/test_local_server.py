"""The local server under concurrent clients and hostile input, over HTTP and raw sockets.

Chalice keeps the request being handled on the app object, and its local server gives each
connection a thread: unless the app keeps the request per thread, two residents saving at once
read each other's request (aws/chalice#759). These tests drive that race, a burst of connections
and malformed requests against the running local stack.
"""

from __future__ import annotations

import socket
import struct
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
import requests

from tests.support.flows import decide, poll, resident, staff, submitted_theft
from tests.support.local_stack import RunningStack

pytestmark = pytest.mark.e2e

T = TypeVar("T")
WORKERS = 16
SAVES = 200
DECISIONS = 10
REPORTS_EACH = 2  # under the agency's daily submissions per resident
BURST = 64
TIMEOUT = 60  # seconds for any one request: a busy 2-core machine under 16 or 64 clients


def at_once(count: int, call: Callable[[int], T], workers: int = WORKERS) -> list[T]:
    """`call(0)` … `call(count - 1)` on `workers` threads, the results in order."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(call, range(count), timeout=TIMEOUT * count))


def draft(stack: RunningStack, auth: dict[str, str]) -> str:
    created = requests.post(
        f"{stack.app_url}/api/reports", json={"incident_type": "theft"}, headers=auth, timeout=10
    )
    assert created.status_code == 201, created.text
    report_id: str = created.json()["id"]
    return report_id


def label(address: str) -> str:
    """The resident's name as their text carries it: their address's unique local part."""
    return address.split("@")[0]


def test_two_residents_saving_at_once_see_and_store_only_their_own_answers(
    running_stack: RunningStack,
) -> None:
    base = running_stack.app_url
    people = [resident(running_stack, "alpha"), resident(running_stack, "bravo")]
    drafts = [draft(running_stack, auth) for auth, _ in people]
    names = [label(address) for _, address in people]

    def save(number: int) -> tuple[int, int, str]:
        who = number % 2
        auth, _ = people[who]
        response = requests.patch(
            f"{base}/api/reports/{drafts[who]}",
            json={"answers": {"narrative": f"Written by {names[who]}, save {number}."}},
            headers=auth,
            timeout=TIMEOUT,
        )
        return who, response.status_code, response.text

    results = at_once(SAVES, save)

    mixed = [
        (who, status)
        for who, status, text in results
        if names[1 - who] in text or drafts[1 - who] in text
    ]
    assert mixed == [], f"{len(mixed)} of {SAVES} responses held the other resident's report"
    # A save that lost the race to another save of the same draft is refused (409), never mixed.
    assert {status for _, status, _ in results} <= {200, 409}, [
        (status, text[:200]) for _, status, text in results if status not in (200, 409)
    ]
    for who in (0, 1):
        saved = [text for owner, status, text in results if owner == who and status == 200]
        assert saved, f"none of {names[who]}'s saves succeeded"
        assert all(f"Written by {names[who]}, save " in text for text in saved)
    for who, (auth, _) in enumerate(people):
        stored = requests.get(f"{base}/api/reports/{drafts[who]}", headers=auth, timeout=10)
        assert stored.status_code == 200, stored.text
        narrative = stored.json()["answers"]["narrative"]
        assert narrative.startswith(f"Written by {names[who]}, save "), narrative
        assert names[1 - who] not in stored.text

    def look(number: int) -> tuple[int, int, list[str], str]:
        who = number % 2
        auth, _ = people[who]
        path = "/api/reports" if number % 4 < 2 else "/api/session"
        response = requests.get(f"{base}{path}", headers=auth, timeout=TIMEOUT)
        body: dict[str, Any] = response.json()
        ids = [item["id"] for item in body.get("items", [])]
        return who, response.status_code, ids, str(body.get("email", ""))

    for who, status, ids, email in at_once(SAVES // 2, look):
        assert status == 200
        if email:
            assert email == people[who][1], "a session answered with another resident's address"
        else:
            assert ids == [drafts[who]], "a resident's list held another resident's reports"


def test_two_staff_deciding_at_once_are_each_recorded_with_their_own_reason(
    running_stack: RunningStack,
) -> None:
    # A resident submits only so many reports a day: a few residents, a few reports each.
    owners = [resident(running_stack, "decisions") for _ in range(DECISIONS // REPORTS_EACH)]
    reports = [
        submitted_theft(running_stack, auth)["id"]
        for auth, _ in owners
        for _ in range(REPORTS_EACH)
    ]

    # Each report waits for a decision once its confirmation is out (the link's email, then one
    # confirmation per report); `decide` tries again while the token is still being written.
    def emails_once_confirmed(address: str) -> list[dict[str, str]]:
        return poll(
            lambda: running_stack.emails_to(address),
            lambda emails: len(emails) >= 1 + REPORTS_EACH,
            seconds=180,
            interval=0.5,
        )

    for _, address in owners:
        sent = emails_once_confirmed(address)
        assert len(sent) >= 1 + REPORTS_EACH, [message["subject"] for message in sent]
    deciders = {
        "reviewer": (staff(running_stack, "reviewer"), "reject"),
        "supervisor": (staff(running_stack, "supervisor"), "request_info"),
    }

    def reason(username: str, report_id: str) -> str:
        return f"Decided by {username} for {report_id}."

    attempts = [(report_id, username) for report_id in reports for username in deciders]
    start = threading.Barrier(len(attempts), timeout=TIMEOUT)

    def attempt(number: int) -> tuple[str, str, int, str]:
        report_id, username = attempts[number]
        headers, decision = deciders[username]
        start.wait()
        response = decide(running_stack, headers, report_id, decision, reason(username, report_id))
        return report_id, username, response.status_code, response.text

    outcomes = at_once(len(attempts), attempt, workers=len(attempts))

    reviewer_headers = deciders["reviewer"][0]
    wrong: list[tuple[str, object]] = []
    for report_id in reports:
        statuses = {username: status for rid, username, status, _ in outcomes if rid == report_id}
        if sorted(statuses.values()) != [202, 409]:  # one decision wins, the other is refused
            wrong.append((report_id, statuses))
        full = requests.get(
            f"{running_stack.app_url}/api/staff/reports/{report_id}",
            headers=reviewer_headers,
            timeout=10,
        )
        assert full.status_code == 200, full.text
        body = full.json()
        winner = body["decided_by"]
        recorded = (winner, body["decision"], body["decision_reason"])
        sent_by_winner = (
            (winner, deciders[winner][1], reason(winner, report_id)) if winner in deciders else None
        )
        if statuses.get(winner) != 202 or recorded != sent_by_winner:
            wrong.append((report_id, recorded))
        decisions = [event for event in body["audit"] if event["action"].startswith("decision:")]
        wrong += [
            (report_id, event)
            for event in decisions
            if event["actor"] not in deciders
            or event["action"] != f"decision:{deciders[event['actor']][1]}"
        ]
        succeeded = [event["actor"] for event in decisions if event["outcome"] == "succeeded"]
        if succeeded != [winner]:
            wrong.append((report_id, succeeded))

    assert wrong == [], f"{len(wrong)} records of {DECISIONS} decisions mix their deciders"


def exchange(stack: RunningStack, request: bytes) -> tuple[bytes, int]:
    """Send raw bytes on a new connection: what the server answers until it closes, and how many
    segments this side had to send again (SYNs included; on loopback only a full listen queue
    makes any)."""
    address = urlsplit(stack.app_url)
    received = b""
    with socket.create_connection((address.hostname, address.port), timeout=TIMEOUT) as raw:
        raw.sendall(request)
        raw.shutdown(socket.SHUT_WR)
        try:
            while chunk := raw.recv(65536):
                received += chunk
        except ConnectionResetError:
            # Closing with part of an over-long request unread makes the server's kernel reset
            # the connection; the answer came before.
            assert received, "the connection was reset before any answer"
        return received, retransmissions(raw)


def retransmissions(connection: socket.socket) -> int:
    """`tcpi_total_retrans` of Linux's `struct tcp_info` (after 8 bytes and 23 32-bit fields)."""
    info = connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    count: int = struct.unpack_from("I", info, 100)[0]
    return count


def test_a_burst_of_connections_is_answered_without_a_retry(running_stack: RunningStack) -> None:
    """Past its listen backlog a server's kernel drops new connections: the client tries again
    a second or more later (here: a SYN sent again) or, with other settings, is reset."""
    host = urlsplit(running_stack.app_url).netloc.encode()
    start = threading.Barrier(BURST, timeout=TIMEOUT)

    def home(_: int) -> tuple[int, int]:
        start.wait()
        answer, retried = exchange(
            running_stack, b"GET / HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n"
        )
        return status_of(answer), retried

    results = at_once(BURST, home, workers=BURST)

    assert [status for status, _ in results] == [200] * BURST
    retried = [count for _, count in results if count]
    assert retried == [], f"{len(retried)} of {BURST} connections had to be tried again"


def status_of(response: bytes) -> int:
    status_line = response.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1."), response[:200]
    return int(status_line.split()[1])


def test_malformed_requests_get_an_http_error_and_the_server_goes_on(
    running_stack: RunningStack,
) -> None:
    base, host = running_stack.app_url, urlsplit(running_stack.app_url).netloc
    first_line = len(running_stack.output)

    def still_answers() -> None:
        assert requests.get(f"{base}/", timeout=TIMEOUT).status_code == 200

    assert status_of(exchange(running_stack, b"GARBAGE\r\n\r\n")[0]) == 400
    still_answers()
    long_url = b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: " + host.encode() + b"\r\n\r\n"
    assert status_of(exchange(running_stack, long_url)[0]) == 414
    still_answers()
    for length in (b"abc", b"-5", b"+5", b"5, 6"):
        post = (
            b"POST /api/verifications HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
            b"Content-Type: application/json\r\nContent-Length: " + length + b"\r\n\r\n{}"
        )
        assert status_of(exchange(running_stack, post)[0]) == 400, length
        still_answers()
    huge = (
        b"POST /api/verifications HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n{"
    )
    assert status_of(exchange(running_stack, huge)[0]) == 413
    still_answers()

    secret, marker = uuid.uuid4().hex, f"/probe-{uuid.uuid4().hex}"
    requests.get(f"{base}{marker}?token={secret}", timeout=TIMEOUT)
    lines = poll(
        lambda: running_stack.output[first_line:],
        lambda seen: any(marker in line for line in seen),
        seconds=30,
    )
    assert any(marker in line for line in lines), "the probe's access line never came"
    assert [line for line in lines if "Traceback" in line or "Exception" in line] == []
    assert [line for line in lines if secret in line] == [], "a query string was logged"
    assert max(len(line) for line in lines) < 400, "a long URL was logged whole"
