"""checkov, the scanner an agency's security review runs, on the packaged template: no failed
check, and every skipped one declared on its own resource with its reason.

The template is the one `make package AGENCY=demo` writes (built once per run, shared with
test_deployment_package.py). checkov lives in its own virtual environment, `.venv-checkov`, as
pipx would install it: its pins conflict with the project's. `make test` and `make install` build
it from requirements-checkov.txt. The counts go to test-artifacts/checkov.json.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_deployment_package import packaged_demo

PROJECT_DIR = Path(__file__).resolve().parents[2]
CHECKOV = PROJECT_DIR / ".venv-checkov" / "bin" / "checkov"
ARTIFACT = PROJECT_DIR / "test-artifacts" / "checkov.json"


@pytest.fixture(scope="module")
def template_path(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    return packaged_demo(tmp_path_factory, worker_id) / "template.json"


@pytest.fixture(scope="module")
def template(template_path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(template_path.read_text(encoding="utf-8"))
    return loaded


def run_checkov(template: Path) -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.fail(
            f"checkov is not installed at {CHECKOV.relative_to(PROJECT_DIR)}: run `make test` "
            "(or `make install`), which builds it from requirements-checkov.txt"
        )
    job = subprocess.run(
        [
            str(CHECKOV),
            "--file",
            str(template),
            "--framework",
            "cloudformation",
            "--output",
            "json",
            # Offline: no guidelines from Prisma Cloud, no check for a newer checkov.
            "--skip-download",
        ],
        cwd=template.parent,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # 0: every check passed; 1: some failed (the report says which); anything else: it broke.
    assert job.returncode in {0, 1}, f"checkov exited {job.returncode}:\n{job.stderr[-3000:]}"
    report = json.loads(job.stdout)
    (scan,) = report if isinstance(report, list) else [report]
    assert scan["check_type"] == "cloudformation", scan
    found: dict[str, Any] = scan
    return found


@pytest.fixture(scope="module")
def scan(template_path: Path) -> dict[str, Any]:
    scan = run_checkov(template_path)
    summary = scan["summary"]
    results = scan["results"]
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(
        json.dumps(
            {
                "template": "the one `make package AGENCY=demo` writes to build/demo/template.json",
                "checkov_version": summary["checkov_version"],
                "resources": summary["resource_count"],
                "passed": summary["passed"],
                "failed": summary["failed"],
                "skipped": summary["skipped"],
                "parsing_errors": summary["parsing_errors"],
                "failed_checks": [
                    {"id": c["check_id"], "resource": c["resource"], "name": c["check_name"]}
                    for c in results["failed_checks"]
                ],
                "skipped_checks": [
                    {
                        "id": c["check_id"],
                        "resource": c["resource"],
                        "reason": c["check_result"].get("suppress_comment", ""),
                    }
                    for c in results["skipped_checks"]
                ],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return scan


def test_checkov_read_the_whole_template(scan: dict[str, Any], template: dict[str, Any]) -> None:
    assert scan["summary"]["parsing_errors"] == 0
    assert scan["summary"]["passed"] > 0
    checked = {check["resource"].split(".", 1)[1] for check in scan["results"]["passed_checks"]}
    assert checked <= set(template["Resources"])
    for kind in ("AWS::Serverless::Function", "AWS::DynamoDB::Table", "AWS::KMS::Key"):
        assert any(
            check["resource"].startswith(kind + ".") for check in scan["results"]["passed_checks"]
        ), kind


def test_no_check_fails(scan: dict[str, Any]) -> None:
    failed = [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for check in scan["results"]["failed_checks"]
    ]
    assert not failed, (
        f"checkov failed {len(failed)} check(s) on the packaged template. Fix them in "
        "infra/template/, or declare a skip with its reason on the resource "
        "(Metadata.checkov.skip, infra/template/common.py's checkov_skips):\n" + "\n".join(failed)
    )


def declared_skips(template: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {
        (logical_id, skip["id"]): skip.get("comment", "")
        for logical_id, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }


def test_every_skip_is_declared_on_its_resource_with_its_reason(
    scan: dict[str, Any], template: dict[str, Any]
) -> None:
    declared = declared_skips(template)
    assert declared, "the template declares its skips (VPC, API cache, the log bucket's own log)"
    for (logical_id, check), reason in declared.items():
        assert reason.strip(), f"{logical_id} skips {check} without saying why"
    skipped = {
        (check["resource"].split(".", 1)[1], check["check_id"]): check["check_result"].get(
            "suppress_comment", ""
        )
        for check in scan["results"]["skipped_checks"]
    }
    # Nothing skipped from elsewhere (a command-line --skip-check, a config file), and no
    # declared skip left behind for a check that no longer applies.
    assert skipped == declared
