"""The benchmark harness (bench/) keeps working: a few of its measurements, on tiny inputs.

The whole harness (`python -m bench.run`) takes minutes; this checks its parts in seconds: the
AWS calls of the first two operations, the request-unit arithmetic, the prices table and the
dollars, the burst's figures, and the shape of the records it writes. Nothing here asserts a timing.
"""

from __future__ import annotations

import json

import pytest

from bench import aws_calls, burst, cost
from bench.deployment import deployment
from bench.recorder import CallRecorder, item_bytes, read_units, write_units
from bench.results import Record, table

RECORD_KEYS = ["name", "value", "unit", "floor", "ratio", "notes"]


def test_the_first_operations_are_counted_beside_their_floors() -> None:
    with deployment() as system, CallRecorder() as recorder:
        life = aws_calls.live_one_report(system, recorder, until="session")

    found = aws_calls.records(life)

    assert [record.name for record in found] == [
        "AWS calls: request a verification",
        "AWS calls: open a session",
    ]
    verification = life.operations["verification"].calls
    assert [call.name for call in verification][-1] == "ses:SendEmail"
    assert verification[-1].units == {"ses_emails": 1.0}
    assert all(call.units.get("dynamodb_wru", 0) >= 1 for call in verification[:-1])
    assert aws_calls.scans(life.all_calls()) == []
    for record in found:
        operation = aws_calls.OPERATIONS[
            "verification" if "verification" in record.name else "session"
        ]
        assert record.value == len(life.operations[operation.key].calls)
        assert record.floor == operation.floor
        assert record.ratio == round(record.value / operation.floor, 3)
        assert list(record.as_json()) == RECORD_KEYS
    json.dumps([record.as_json() for record in found])


def test_request_units_follow_dynamodb_rounding() -> None:
    assert item_bytes({"id": {"S": "abc"}, "n": {"N": "12345"}, "ok": {"BOOL": True}}) == 13
    assert item_bytes({"m": {"M": {"a": {"S": "x"}}}}) == 1 + 3 + 1 + 1 + 1
    assert (read_units(4096, True), read_units(4097, True), read_units(10, False)) == (1, 2, 0.5)
    assert (write_units(0), write_units(1024), write_units(1025)) == (1, 1, 2)


def test_the_prices_are_one_dated_table_and_price_a_tiny_life() -> None:
    prices = cost.load_prices()

    assert prices["region"] == "us-east-1" and prices["date"]
    names = {name for names in cost.SERVICES.values() for name in names}
    assert names == set(prices["prices"])
    dollars = cost.dollars({"ses_emails": 3, "sfn_transitions": 7}, prices)
    assert dollars["SES"] == pytest.approx(3 * 0.10 / 1000)
    assert dollars["Step Functions"] == pytest.approx(7 * 0.025 / 1000)
    assert dollars["DynamoDB"] == 0


def test_a_record_without_a_floor_has_no_ratio_and_the_table_shows_it() -> None:
    measured = Record("cold start: import boto3", 120.0, "ms")
    priced = Record("USD per 1,000 reports: SES", 0.3, "USD", 0.3, "3 emails")

    assert measured.ratio is None and priced.ratio == 1
    lines = table([measured, priced]).splitlines()
    assert lines[0].split()[:5] == ["figure", "value", "unit", "floor", "ratio"]
    assert len(lines) == 4


def test_the_burst_is_recorded_per_operation_and_per_journey_and_keeps_its_failures() -> None:
    journeys = [
        burst.Journey(
            f"burst-{number}@example.com",
            {"link": [100.0 + number], "answer": [10.0, 20.0]},
            journey_ms=1000.0 + number,
        )
        for number in range(3)
    ]
    journeys.append(
        burst.Journey("burst-x@example.com", {"link": [5.0]}, failures=["POST /x: 503: busy"])
    )
    happened = burst.Burst(journeys, wall_ms=2500.0, started_at=0.0)

    found = {record.name: record for record in burst.records(happened, None)}

    assert happened.failures() == ["burst-x@example.com: POST /x: 503: busy"]
    assert found["burst of 4, latency p50: request a link"].value == 100.0  # of 5, 100, 101, 102
    assert found["burst of 4, latency p95: answer (PATCH)"].value == 20.0
    assert found["burst of 4, latency p50: whole journey per resident"].value == 1001.0
    assert found["burst of 4: wall time"].value == 2.5
    assert "3 of 4 residents submitted" in found["burst of 4: wall time"].notes
    assert not any("open a session" in name for name in found)  # no sample, no figure
    assert all(list(record.as_json()) == RECORD_KEYS for record in found.values())
