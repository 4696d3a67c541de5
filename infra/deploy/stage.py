"""The agency's Chalice stage, and the copy of the project Chalice packages with it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from chalicelib.agency import AgencyProfile

from .. import template as stack_template
from .errors import DeployError

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
CHALICE_CONFIG = PROJECT_DIR / ".chalice" / "config.json"
# Chalice needs an ARN to accept an unmanaged role; the merge template replaces it on every
# function with the function's own role (a test proves none is left).
ROLE_SET_BY_TEMPLATE = "arn:aws:iam::000000000000:role/set-by-infra-template"


def stage_config(profile: AgencyProfile) -> dict[str, Any]:
    names = stack_template.Names(profile.id)
    stage: dict[str, Any] = {
        "api_gateway_stage": stack_template.API_STAGE,
        "api_gateway_endpoint_type": "REGIONAL",
        "manage_iam_role": False,
        "iam_role_arn": ROLE_SET_BY_TEMPLATE,
        "log_retention_in_days": profile.deployment.log_retention_days,
        "tags": {"agency": profile.id},
        "environment_variables": {
            "STAGE": profile.id,
            "AGENCY_PROFILE": profile.id,
            "RESOURCE_PREFIX": names.prefix,
        },
    }
    if profile.deployment.domain:
        stage["api_gateway_custom_domain"] = {
            "domain_name": profile.deployment.domain.name,
            "certificate_arn": profile.deployment.domain.certificate_arn,
            "tls_version": "TLS_1_2",
        }
    return stage


def write_stage(profile: AgencyProfile, config_path: Path = CHALICE_CONFIG) -> bool:
    """Add or update the agency's stage; False when it was already so."""
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if profile.id == "local":
        raise DeployError("`local` is the local stack's stage: give the agency another id")
    wanted = stage_config(profile)
    if config["stages"].get(profile.id) == wanted:
        return False
    config["stages"][profile.id] = wanted
    config_path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return True


def staged_project(build_dir: Path, config_path: Path) -> Path:
    """What Chalice packages, copied next to the builds with the given stage configuration.

    The copy keeps Chalice's dependency cache (`.chalice/deployments/`) from one build to the next.
    """
    project = build_dir / ".chalice-project"
    (project / ".chalice").mkdir(parents=True, exist_ok=True)
    shutil.rmtree(project / "chalicelib", ignore_errors=True)
    shutil.copytree(
        PROJECT_DIR / "chalicelib",
        project / "chalicelib",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    for name in ("app.py", "requirements.txt"):
        shutil.copy2(PROJECT_DIR / name, project / name)
    shutil.copy2(config_path, project / ".chalice" / "config.json")
    return project
