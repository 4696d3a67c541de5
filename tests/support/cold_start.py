"""A fresh interpreter, as a new Lambda instance starts, for tests of what an import loads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


def cold_import(program: str) -> subprocess.CompletedProcess[str]:
    """Run `program` in a fresh interpreter with an empty environment, as a cold Lambda would."""
    return subprocess.run(
        [sys.executable, "-c", program],
        cwd=PROJECT_DIR,
        env={"PATH": os.environ.get("PATH", "/usr/bin")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
