"""The command `python -m infra.deploy AGENCY [--dry-run]`, and what it tells the operator."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .change_set import deploy
from .errors import DeployError
from .packaging import BUILD_DIR, Package, package


def next_steps(built: Package, outputs: dict[str, str]) -> str:
    dkim = [value for key, value in sorted(outputs.items()) if key.startswith("DkimRecord")]
    lines = [
        f"{built.stack_name} is deployed.",
        f"  Residents' site:  {outputs.get('SiteUrl', '?')}",
        f"  Staff pages:      {outputs.get('SiteUrl', '?')}/staff",
        f"  Records exports:  {outputs.get('RecordsExportQueueUrl', '?')}",
        "",
        "Next steps (docs/onboarding.md explains each):",
    ]
    if dkim:
        lines.append("  1. Publish these DNS records so that SES can send as the agency:")
        lines += [f"       {record}" for record in dkim]
    lines += [
        "  2. Create staff accounts:",
        f"       make staff-user AGENCY={built.agency_id} USERNAME=jdoe EMAIL=jdoe@... "
        "GROUP=reviewers",
        "  3. Confirm the alarm subscription email, if you set deployment.alarm_email.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None, session_factory: Callable[[str], Any] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.deploy", description="Package and deploy one agency's stack."
    )
    parser.add_argument("agency", help="the agency profile's id (chalicelib/agencies/<id>.yaml)")
    parser.add_argument("--dry-run", action="store_true", help="package and check; call no AWS")
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR)
    arguments = parser.parse_args(argv)
    try:
        built = package(arguments.agency, build_dir=arguments.build_dir)
        print(built.summary(), flush=True)
        if arguments.dry_run:
            print("Dry run: nothing was sent to AWS.")
            return 0
        session = (session_factory or _boto3_session)(built.region)
        outputs = deploy(built, session)
    except DeployError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(next_steps(built, outputs))
    return 0


def _boto3_session(region: str) -> Any:
    import boto3

    return boto3.session.Session(region_name=region)
