"""Importing the app reads no configuration and creates no AWS client (DESIGN §2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]

PROBE = """
import sys
import app
from chalicelib import services
assert services._current is None, "services were built at import"
assert "boto3" not in sys.modules, "boto3 is imported at cold start although pages do not need it"
assert "jwt" not in sys.modules, "staff token checks are imported at cold start"
print("routes:", len(app.app.routes))
"""


def test_the_app_imports_with_an_empty_environment() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=PROJECT_DIR,
        env={"PATH": os.environ.get("PATH", "/usr/bin")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "routes:" in result.stdout
