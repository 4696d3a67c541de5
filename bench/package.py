"""The Lambda package as an agency deploys it (`make package AGENCY=demo`), its zip measured.

It builds into the temporary directory; Chalice keeps its dependency cache in the project's
`.chalice/deployments/` (ignored by git). It runs in the background while the in-process parts
run, and is given up after 3 minutes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .results import Record

PROJECT_DIR = Path(__file__).resolve().parent.parent
WORK_DIR = Path(tempfile.gettempdir()) / "self-report-bench-package"
TIMEOUT_SECONDS = 180
MB = 1_000_000
DIRECT_UPLOAD_LIMIT_MB = 50
UNZIPPED_LIMIT_MB = 250
RUNTIME_PROVIDES = ("boto3", "botocore", "s3transfer", "jmespath")


@dataclass
class PackageJob:
    process: subprocess.Popen[str] | None
    started: float
    output_dir: Path
    error: str | None = None


def start() -> PackageJob:
    """Start `make package AGENCY=demo`'s command in its own process group."""
    build = WORK_DIR / "build"
    shutil.rmtree(build, ignore_errors=True)
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key != "MOTO_PORT"
    }
    process = subprocess.Popen(  # noqa: S603 - the project's own command
        [
            str(PROJECT_DIR / ".venv" / "bin" / "python"),
            "-m",
            "infra.deploy",
            "demo",
            "--dry-run",
            "--build-dir",
            str(build),
        ],
        cwd=PROJECT_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return PackageJob(process, time.monotonic(), build / "demo")


def finish(job: PackageJob) -> list[Record]:
    """Wait (until 3 minutes after the start) and measure the zip, or say why there is none."""
    if job.process is None:
        return not_measured(job.error or "not started")
    remaining = TIMEOUT_SECONDS - (time.monotonic() - job.started)
    try:
        output, _ = job.process.communicate(timeout=max(remaining, 0.1))
    except subprocess.TimeoutExpired:
        os.killpg(job.process.pid, signal.SIGKILL)  # the group this job started, and only it
        job.process.communicate()
        return not_measured(f"`make package` took over {TIMEOUT_SECONDS} s")
    seconds = time.monotonic() - job.started
    archive = job.output_dir / "deployment.zip"
    if job.process.returncode != 0 or not archive.exists():
        tail = " ".join(output.strip().splitlines()[-3:])
        return not_measured(f"`make package` failed ({job.process.returncode}): {tail}")
    return measure(archive, job.output_dir / "template.json", seconds, False)


def not_measured(reason: str) -> list[Record]:
    return [Record("Lambda package size", None, "MB", None, f"not measured: {reason}")]


def measure(archive: Path, template: Path, seconds: float, cached: bool) -> list[Record]:
    with zipfile.ZipFile(archive) as package:
        entries = package.infolist()
    by_top: dict[str, tuple[int, int]] = {}
    for entry in entries:
        top = entry.filename.split("/")[0]
        if ".dist-info" in top:
            top = top.split("-")[0]
        unzipped, zipped = by_top.get(top, (0, 0))
        by_top[top] = (unzipped + entry.file_size, zipped + entry.compress_size)
    zipped_mb = archive.stat().st_size / MB
    unzipped_mb = sum(entry.file_size for entry in entries) / MB
    heaviest = sorted(by_top.items(), key=lambda item: item[1][0], reverse=True)[:6]
    runtime_mb = sum(by_top.get(name, (0, 0))[1] for name in RUNTIME_PROVIDES) / MB
    memory = ""
    try:
        resources = json.loads(template.read_text(encoding="utf-8")).get("Resources", {})
        memory_sizes = {
            name: resource["Properties"].get("MemorySize")
            for name, resource in resources.items()
            if resource.get("Type") == "AWS::Serverless::Function"
        }
        memory = f"; template.json MemorySize: {memory_sizes}"
    except (OSError, ValueError, KeyError):
        pass
    built = f"built in {seconds:.0f} s" + (" (Chalice's dependency cache reused)" if cached else "")
    return [
        Record(
            "Lambda package size (zipped)",
            round(zipped_mb, 1),
            "MB",
            None,
            f"{zipped_mb / DIRECT_UPLOAD_LIMIT_MB:.0%} of the {DIRECT_UPLOAD_LIMIT_MB} MB limit "
            f"of a direct zip upload; {runtime_mb:.1f} MB of it is boto3/botocore, which the "
            "Lambda runtime also provides (vendoring pins the version, at this size); "
            f"{len(entries)} files; {built}{memory}",
        ),
        Record(
            "Lambda package size (unzipped)",
            round(unzipped_mb, 1),
            "MB",
            None,
            f"{unzipped_mb / UNZIPPED_LIMIT_MB:.0%} of the {UNZIPPED_LIMIT_MB} MB limit; largest: "
            + ", ".join(f"{name} {sizes[0] / MB:.1f}" for name, sizes in heaviest)
            + " MB",
        ),
    ]
