"""Packaging: `chalice package` with the merge template, the fixes and checks its template needs,
and a Lambda zip carrying only what the agency uses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.agency import (
    AgencyProfileError,
    deployment_problems,
    load_profile_file,
    profile_path,
)

from .. import template as stack_template
from .errors import DeployError
from .stage import CHALICE_CONFIG, PROJECT_DIR, staged_project, write_stage

BUILD_DIR = PROJECT_DIR / "build"
# The AWS services the code calls: botocore's models for the other ~400 are dead weight.
BOTOCORE_SERVICES = frozenset({"dynamodb", "s3", "ses", "stepfunctions", "events", "cognito-idp"})


@dataclass(frozen=True)
class Package:
    agency_id: str
    directory: Path
    template: Path
    code: Path
    stack_name: str
    region: str

    def summary(self) -> str:
        size = self.code.stat().st_size / 1e6
        with zipfile.ZipFile(self.code) as archive:
            unzipped = sum(entry.file_size for entry in archive.infolist()) / 1e6
        return (
            f"Packaged {self.stack_name} for {self.region} in {self.directory}:\n"
            f"  template.json     {self.template.stat().st_size / 1e3:.0f} kB\n"
            f"  deployment.zip    {size:.1f} MB ({unzipped:.1f} MB unzipped)"
        )


def chalice_package(
    project: Path, stage: str, merge_template: Path, output: Path, region: str
) -> None:
    chalice = Path(sys.executable).with_name("chalice")
    environment = dict(os.environ, AWS_DEFAULT_REGION=region)
    job = subprocess.run(  # noqa: S603 - our own venv's chalice, arguments we built
        [
            str(chalice),
            "--project-dir",
            str(project),
            "package",
            "--stage",
            stage,
            "--merge-template",
            str(merge_template),
            str(output),
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if job.returncode != 0:
        raise DeployError(f"`chalice package` failed:\n{job.stdout}{job.stderr}")


def break_api_cycle(template: dict[str, Any], function_name: str) -> None:
    """Point the API's integrations at the handler by name, not by `${APIHandler.Arn}`.

    The handler's BASE_URL names the API, and the API's integrations named the handler: a cycle
    CloudFormation refuses. The function's name is fixed by the template, so its ARN is known.
    """
    known = (
        f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:"
        f"{function_name}"
    )

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        if isinstance(node, str):
            return node.replace(f"${{{stack_template.API_HANDLER}.Arn}}", known)
        return node

    api = template["Resources"]["RestAPI"]["Properties"]
    api["DefinitionBody"] = walk(api["DefinitionBody"])


def kept_in_package(name: str, languages: tuple[str, ...]) -> bool:
    """Whether a file of the Lambda zip is needed by this agency's deployment."""
    if name.startswith("babel/locale-data/"):
        locale = Path(name).stem
        return locale == "root" or locale.split("_")[0] in languages
    if name.startswith("botocore/data/"):
        parts = name.split("/")
        return len(parts) == 3 or parts[2] in BOTOCORE_SERVICES
    return True


def trim_package(archive: Path, languages: tuple[str, ...]) -> None:
    trimmed = archive.with_suffix(".trimmed.zip")
    with (
        zipfile.ZipFile(archive) as source,
        zipfile.ZipFile(trimmed, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for entry in source.infolist():
            if kept_in_package(entry.filename, languages):
                target.writestr(entry, source.read(entry), compresslevel=9)
    trimmed.replace(archive)


def check_roles(template: dict[str, Any]) -> None:
    for logical_id, resource in template["Resources"].items():
        if "Type" not in resource:
            raise DeployError(f"infra/template/ adds to {logical_id}, which Chalice did not make")
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        role = resource["Properties"].get("Role")
        if not (
            isinstance(role, dict) and role.get("Fn::GetAtt", [None])[0] in template["Resources"]
        ):
            raise DeployError(f"{logical_id} has no role of its own in infra/template/")


def cfn_lint(template: Path, region: str) -> None:
    linter = Path(sys.executable).with_name("cfn-lint")
    job = subprocess.run(  # noqa: S603 - our own venv's cfn-lint
        [str(linter), "--regions", region, "--include-checks", "I", "--", str(template)],
        capture_output=True,
        text=True,
        check=False,
    )
    if job.returncode != 0:
        raise DeployError(f"cfn-lint found problems in {template}:\n{job.stdout}{job.stderr}")


def package(
    agency: str, *, build_dir: Path = BUILD_DIR, config_path: Path = CHALICE_CONFIG
) -> Package:
    source = profile_path(agency)
    try:
        profile = load_profile_file(source)
    except AgencyProfileError as error:
        raise DeployError(str(error)) from None
    problems = deployment_problems(profile, source)
    if problems:
        raise DeployError("\n".join(problems))
    names = stack_template.Names(profile.id)
    region = profile.deployment.region
    write_stage(profile, config_path)
    directory = build_dir / profile.id
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    merge_path = directory / "merge-template.json"
    merge_path.write_text(
        json.dumps(stack_template.merge_template(profile), indent=2), encoding="utf-8"
    )
    chalice_output = directory / "chalice"
    project = staged_project(build_dir, config_path)
    # The profile travels with the code: the functions load it by id.
    shutil.copy2(source, project / "chalicelib" / "agencies" / f"{profile.id}.yaml")
    chalice_package(project, profile.id, merge_path, chalice_output, region)
    template = json.loads((chalice_output / "sam.json").read_text(encoding="utf-8"))
    break_api_cycle(template, names.function(stack_template.API_HANDLER))
    check_roles(template)
    code = directory / "deployment.zip"
    shutil.move(chalice_output / "deployment.zip", code)
    shutil.rmtree(chalice_output)
    trim_package(code, profile.languages)
    template_path = directory / "template.json"
    template_path.write_text(json.dumps(template, indent=2), encoding="utf-8")
    cfn_lint(template_path, region)
    return Package(profile.id, directory, template_path, code, names.stack, region)
