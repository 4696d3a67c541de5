"""Cold start: what importing each Lambda entry point costs, beside `import boto3` alone.

Each figure is the median of fresh `python -X importtime` processes with an empty environment
(only PATH), as a new Lambda instance starts: the sum of the cumulative times of the modules the
statement imported.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .results import Record

PROJECT_DIR = Path(__file__).resolve().parent.parent
MARK = "--bench-start--"
RUNS = 7

TARGETS: tuple[tuple[str, str, str], ...] = (
    ("app", "import app", "the API Lambda's handler module"),
    (
        "chalicelib.routes.tasks",
        "import chalicelib.routes.tasks",
        "the workflow Lambda's handler (template.json: chalicelib.routes.tasks.review_step)",
    ),
    (
        "chalicelib.documents + fpdf",
        "import chalicelib.documents, fpdf",
        "what the copy step imports on first use, on top of the workflow Lambda",
    ),
    (
        "chalicelib.attachments.inspection + decoders",
        "import chalicelib.attachments.inspection, PIL.Image, pi_heif, pypdf, filetype",
        "what checking an upload imports on first use, on top of the API Lambda",
    ),
)
FLOOR = ("boto3", "import boto3", "boto3 alone: any handler that calls AWS pays at least this")


@dataclass(frozen=True)
class Import:
    name: str
    self_us: int
    cumulative_us: int
    depth: int


def parse(stderr: str) -> list[Import]:
    """The `-X importtime` lines printed after the mark: (module, cumulative µs, depth)."""
    lines = stderr.split(MARK, 1)[-1].splitlines()
    found = []
    for line in lines:
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        fields = line[len("import time:") :].split("|")
        if len(fields) != 3:
            continue
        own, cumulative, name = fields
        stripped = name.lstrip(" ")
        depth = (len(name) - len(stripped) - 1) // 2
        found.append(Import(stripped.strip(), int(own), int(cumulative), depth))
    return found


def import_once(statement: str) -> list[Import]:
    completed = subprocess.run(  # noqa: S603 - our own interpreter, a fixed statement
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            f"import sys; sys.stderr.write({MARK!r} + '\\n'); {statement}",
        ],
        cwd=PROJECT_DIR,
        env={"PATH": os.environ.get("PATH", "/usr/bin")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{statement!r} failed: {completed.stderr[-2000:]}")
    return parse(completed.stderr)


@dataclass(frozen=True)
class ImportTime:
    label: str
    what: str
    runs_ms: list[float]
    heaviest: list[tuple[str, float]]
    """Import time by top-level package (the modules' own times, summed), heaviest first."""
    imports_boto3: bool
    imports_botocore: bool

    @property
    def median_ms(self) -> float:
        return round(statistics.median(self.runs_ms), 1)


def measure(label: str, statement: str, what: str, runs: int = RUNS) -> ImportTime:
    totals: list[float] = []
    last: list[Import] = []
    for _ in range(runs):
        last = import_once(statement)
        totals.append(sum(item.cumulative_us for item in last if item.depth == 0) / 1000)
    by_package: dict[str, int] = {}
    for item in last:
        root = item.name.split(".")[0]
        by_package[root] = by_package.get(root, 0) + item.self_us
    heaviest = sorted(by_package.items(), key=lambda entry: entry[1], reverse=True)
    return ImportTime(
        label,
        what,
        totals,
        [(name, us / 1000) for name, us in heaviest[:5]],
        any(item.name == "boto3" for item in last),
        any(item.name == "botocore" for item in last),
    )


def measure_all(runs: int = RUNS) -> tuple[list[ImportTime], ImportTime]:
    floor = measure(*FLOOR, runs=runs)
    return [measure(*target, runs=runs) for target in TARGETS], floor


def records(targets: list[ImportTime], floor: ImportTime) -> list[Record]:
    def spread(result: ImportTime) -> str:
        low, high = min(result.runs_ms), max(result.runs_ms)
        return f"median of {len(result.runs_ms)} (min {low:.0f}, max {high:.0f} ms)"

    found = []
    for result in targets:
        heaviest = ", ".join(f"{name} {ms:.0f}" for name, ms in result.heaviest)
        found.append(
            Record(
                f"cold start: import {result.label}",
                result.median_ms,
                "ms",
                floor.median_ms,
                f"{result.what}; {spread(result)}; imports boto3: "
                f"{'yes' if result.imports_boto3 else 'no'}, botocore: "
                f"{'yes' if result.imports_botocore else 'no'}; by package: {heaviest} ms. "
                "Floor: import boto3 alone",
            )
        )
    found.append(
        Record(
            "cold start: import boto3 (the floor)",
            floor.median_ms,
            "ms",
            None,
            f"{floor.what}; {spread(floor)}",
        )
    )
    return found
