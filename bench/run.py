"""Measure everything, print the table, write build/bench/results.json (output, not source).

    .venv/bin/python -m bench.run            (from the project directory; a few minutes)

1. AWS calls per operation, beside the fewest each could make (moto in-process)
2. DynamoDB items read by a staff queue page with 100 and 10,000 reports
3. Step Functions state transitions per approved, rejected and info-requested report (local stack)
4. Cold start: import time of each Lambda entry point beside `import boto3`
5. Latency through the running local stack beside the bare AWS calls
6. Dollars per 1,000 reports (bench/prices.json)
7. The Lambda package's size (`make package AGENCY=demo`)
8. A burst: 50 residents at once, link to submission, on a local stack of their own (bench/burst.py)
9. Checking an uploaded 12-megapixel photo, JPEG and HEIC (bench/attachments.py)

Exits non-zero if any `Scan` was made, if a queue page reads more as the table grows, or if a
part could not be measured for a reason other than packaging.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tests.support import local_stack

from . import (
    attachments,
    aws_calls,
    burst,
    cold_start,
    cost,
    latency,
    package,
    queue_reads,
    transitions,
)
from .deployment import deployment
from .recorder import Call, CallRecorder
from .results import HarnessFailure, Record, table, write_json

RESULTS = Path(__file__).resolve().parent.parent / "build" / "bench" / "results.json"
STACK_SETTINGS = {"VERIFICATIONS_PER_ADDRESS": "3", "VERIFICATIONS_PER_CLIENT": "1000"}
T = TypeVar("T")


class Harness:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.started = time.monotonic()

    def part(self, title: str, action: Callable[[], T]) -> T | None:
        """Run one part; a failure is reported (and fails the run) but the others still run."""
        began = time.monotonic()
        print(f"[{began - self.started:6.1f} s] {title}…", file=sys.stderr, flush=True)
        try:
            result = action()
        except Exception as error:  # noqa: BLE001 - reported, the run fails, other parts go on
            traceback.print_exc()
            self.problems.append(f"{title}: {type(error).__name__}: {error}")
            return None
        print(f"          done in {time.monotonic() - began:.1f} s", file=sys.stderr, flush=True)
        return result


def in_process(
    harness: Harness,
) -> tuple[aws_calls.Life | None, list[queue_reads.PageRead], list[Call]]:
    calls: list[Call] = []

    def life() -> aws_calls.Life:
        with deployment() as system, CallRecorder() as recorder:
            try:
                return aws_calls.live_one_report(system, recorder)
            finally:
                calls.extend(recorder.calls)

    def pages() -> list[queue_reads.PageRead]:
        with deployment() as system, CallRecorder() as recorder:
            try:
                return queue_reads.read_pages(system, recorder)
            finally:
                calls.extend(recorder.calls)

    lived = harness.part("1. AWS calls per operation (moto in-process)", life)
    read = harness.part("2. items read by a queue page, 100 and 10,000 reports", pages) or []
    return lived, read, calls


def on_the_stack(
    harness: Harness,
) -> tuple[list[transitions.Execution], list[str] | None, list[latency.Timings]]:
    with tempfile.TemporaryDirectory(prefix="self-report-bench-") as scratch:
        recording = Path(scratch) / "moto-recording.jsonl"
        settings = {**STACK_SETTINGS, "MOTO_RECORDER_FILEPATH": str(recording)}
        stack = harness.part("3/5. starting the local stack", lambda: local_stack.start(settings))
        if stack is None:
            return [], None, []
        try:
            recorder = transitions.StackRecording(stack, recording)
            recorded = harness.part(
                "3. state transitions of real executions",
                lambda: recorder.record(lambda: transitions.run_paths(stack)),
            )
            timings = harness.part(
                f"5. latency, {latency.REQUESTS} requests each", lambda: latency.measure(stack)
            )
        finally:
            local_stack.stop(stack)
    if recorded is None:
        return [], None, timings or []
    executions, operations = recorded
    return executions, operations, timings or []


def a_burst(harness: Harness) -> list[Record]:
    """The burst on a stack of its own (the others' reports and running reviews would share its
    one process); what it left behind is checked, and anything wrong fails the run."""
    title = f"8. a burst of {burst.RESIDENTS} residents"
    stack = harness.part(
        f"{title}: starting its local stack", lambda: local_stack.start(burst.STACK_SETTINGS)
    )
    if stack is None:
        return []
    verified: burst.Verified | None = None
    try:
        happened = harness.part(f"{title} at once", lambda: burst.run(stack))
        if happened is not None:
            verified = harness.part(
                f"{title}: what it left behind", lambda: burst.verify(stack, happened)
            )
    finally:
        local_stack.stop(stack)
    if happened is None:
        return []
    if verified is not None:
        harness.problems += [f"burst: {problem}" for problem in verified.problems]
    return burst.records(happened, verified)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Measure Self-Report; write build/bench/results.json."
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    options = parser.parse_args(argv)
    harness = Harness()
    packaging = package.start()  # in the background while the in-process parts run

    life, pages, calls = in_process(harness)
    scanned = aws_calls.scans(calls)
    if scanned:
        harness.problems.append(f"a Scan was made: {scanned}")
    harness.problems += queue_reads.check(pages)
    package_records = harness.part(
        "7. waiting for `make package AGENCY=demo`", lambda: package.finish(packaging)
    ) or package.not_measured("the packaging part failed")
    imports = harness.part("4. cold start (fresh processes)", cold_start.measure_all)
    photo_records = harness.part("9. checking an uploaded photo", attachments.measure) or []
    executions, stack_operations, timings = on_the_stack(harness)
    burst_records = a_burst(harness)
    if stack_operations is not None and transitions.scans(stack_operations):
        harness.problems.append(
            f"the local stack made Scans: {transitions.scans(stack_operations)}"
        )

    records: list[Record] = []
    if life is not None:
        records += aws_calls.records(life)
    records += queue_reads.records(pages)
    records += transitions.records(executions, stack_operations)
    if imports is not None:
        records += cold_start.records(*imports)
    in_process_calls = {
        title: [call.name for call in life.operations[key].calls]
        for key, title in (("step", "save a wizard step"), ("submit", "submit"))
        if life is not None and key in life.operations
    }
    records += latency.records(timings, in_process_calls)
    records += burst_records
    records += photo_records
    prices = cost.load_prices()
    inputs: cost.Inputs | None = None
    if life is not None:
        approval = next((run for run in executions if run.path == "approve"), None)
        inputs = cost.Inputs(
            life=life,
            queue_page_rru=pages[0].read_units if pages else None,
            transitions=len(approval.entered) if approval else 7,
            transitions_floor=transitions.FLOORS["approve"][0],
            lambda_tasks=approval.lambda_tasks if approval else cost.lambda_steps_fallback(),
            source="measured on the local stack"
            if approval
            else "the stack part failed: the e2e test's 7 and the ASL's 5",
        )
        records += cost.records(inputs, prices)
    records += package_records

    write_json(records, options.output)
    print(table(records))
    print()
    print(f"Written: {options.output}")
    if inputs is not None:
        print(f"Report life priced: {cost.describe_life(inputs)}.")
    print(f"Prices: bench/prices.json, {prices['region']}, {prices['date']}. Assumed:")
    for name, entry in prices["assumptions"].items():
        print(f"  - {name} = {entry['value']}: {entry['note']}")
    print("Not priced: " + "; ".join(prices["excluded"]) + ".")
    print(f"Took {time.monotonic() - harness.started:.0f} s.")
    if harness.problems:
        print("\nFAILED:", file=sys.stderr)
        for problem in harness.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except HarnessFailure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        raise SystemExit(1) from None
