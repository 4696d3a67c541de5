"""Package and deploy one agency's stack.

    python -m infra.deploy AGENCY --dry-run     (`make package AGENCY=...`): everything but AWS
    python -m infra.deploy AGENCY               (`make deploy AGENCY=...`)

Packaging validates the agency profile, writes the agency's Chalice stage (`stage`), builds the
merge template (infra/template/), runs `chalice package` with it, makes the Lambda package carry
only what the agency uses, and checks the result with cfn-lint (`packaging`). Deploying uploads
the package to an artifacts bucket and applies the template through a CloudFormation change set
(`change_set`). `cli` is the command.
"""

from __future__ import annotations

from .change_set import artifacts_bucket, deploy, stack_outputs
from .cli import main, next_steps
from .errors import DeployError
from .packaging import BOTOCORE_SERVICES, BUILD_DIR, Package, kept_in_package, package
from .stage import CHALICE_CONFIG, ROLE_SET_BY_TEMPLATE, stage_config

__all__ = [
    "BOTOCORE_SERVICES",
    "BUILD_DIR",
    "CHALICE_CONFIG",
    "ROLE_SET_BY_TEMPLATE",
    "DeployError",
    "Package",
    "artifacts_bucket",
    "deploy",
    "kept_in_package",
    "main",
    "next_steps",
    "package",
    "stack_outputs",
    "stage_config",
]
