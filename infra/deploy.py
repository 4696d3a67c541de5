"""Package and deploy one agency's stack.

    python -m infra.deploy AGENCY --dry-run     (`make package AGENCY=...`): everything but AWS
    python -m infra.deploy AGENCY               (`make deploy AGENCY=...`)

Packaging validates the agency profile, writes the agency's Chalice stage, builds the merge
template (infra/template.py), runs `chalice package` with it, makes the Lambda package carry only
what the agency uses, and checks the result with cfn-lint. Deploying uploads the package to an
artifacts bucket and applies the template through a CloudFormation change set.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.agency import (
    AgencyProfile,
    AgencyProfileError,
    deployment_problems,
    load_profile_file,
    profile_path,
)

from . import provision
from . import template as stack_template

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHALICE_CONFIG = PROJECT_DIR / ".chalice" / "config.json"
BUILD_DIR = PROJECT_DIR / "build"
# Chalice needs an ARN to accept an unmanaged role; the merge template replaces it on every
# function with the function's own role (a test proves none is left).
ROLE_SET_BY_TEMPLATE = "arn:aws:iam::000000000000:role/set-by-infra-template"
# The AWS services the code calls: botocore's models for the other ~400 are dead weight.
BOTOCORE_SERVICES = frozenset({"dynamodb", "s3", "ses", "stepfunctions", "events", "cognito-idp"})
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]


class DeployError(RuntimeError):
    """A step failed; the message says which and what to do."""


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


# -- the Chalice stage ---------------------------------------------------------------------------


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


# -- packaging -----------------------------------------------------------------------------------


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
            raise DeployError(f"infra/template.py adds to {logical_id}, which Chalice did not make")
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        role = resource["Properties"].get("Role")
        if not (
            isinstance(role, dict) and role.get("Fn::GetAtt", [None])[0] in template["Resources"]
        ):
            raise DeployError(f"{logical_id} has no role of its own in infra/template.py")


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


# -- deploying -----------------------------------------------------------------------------------


def artifacts_bucket(s3: Any, account: str, region: str) -> str:
    """A private bucket for the packages this account deploys, created on first use."""
    name = f"selfreport-artifacts-{account}-{region}"
    try:
        s3.head_bucket(Bucket=name, ExpectedBucketOwner=account)
        return name
    except s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] not in {"404", "NoSuchBucket"}:
            raise
    provision.create_private_bucket(s3, name, region)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            stack_template.tls_only("s3", [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"])
        ],
    }
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return name


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def upload(s3: Any, bucket: str, built: Package) -> str:
    """Upload the code and return the template's URL, with CodeUri pointing at the code."""
    code_key = f"{built.stack_name}/{_digest(built.code)}.zip"
    s3.upload_file(str(built.code), bucket, code_key)
    template = json.loads(built.template.read_text(encoding="utf-8"))
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = {"Bucket": bucket, "Key": code_key}
    body = json.dumps(template).encode("utf-8")
    template_key = f"{built.stack_name}/{hashlib.sha256(body).hexdigest()}.json"
    s3.put_object(Bucket=bucket, Key=template_key, Body=body)
    return f"https://{bucket}.s3.{built.region}.amazonaws.com/{template_key}"


def _stack_exists(cloudformation: Any, name: str) -> bool:
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return False
        raise
    return bool(stacks) and stacks[0]["StackStatus"] != "REVIEW_IN_PROGRESS"


def apply(cloudformation: Any, built: Package, template_url: str) -> dict[str, str]:
    """Create or update the stack through a change set; the stack's outputs."""
    exists = _stack_exists(cloudformation, built.stack_name)
    change_set = cloudformation.create_change_set(
        StackName=built.stack_name,
        ChangeSetName=f"deploy-{_digest(built.template)[:12]}-{os.getpid()}",
        ChangeSetType="UPDATE" if exists else "CREATE",
        TemplateURL=template_url,
        Capabilities=CAPABILITIES,
        Tags=[{"Key": "agency", "Value": built.agency_id}],
    )["Id"]
    try:
        cloudformation.get_waiter("change_set_create_complete").wait(
            ChangeSetName=change_set, WaiterConfig={"Delay": 5, "MaxAttempts": 120}
        )
    except Exception as error:  # noqa: BLE001 - the waiter's error says little; the set says why
        reason = cloudformation.describe_change_set(ChangeSetName=change_set).get(
            "StatusReason", ""
        )
        if "didn't contain changes" in reason or "No updates" in reason:
            cloudformation.delete_change_set(ChangeSetName=change_set)
            return stack_outputs(cloudformation, built.stack_name)
        raise DeployError(f"CloudFormation refused the change: {reason or error}") from None
    cloudformation.execute_change_set(ChangeSetName=change_set)
    waiter = "stack_update_complete" if exists else "stack_create_complete"
    try:
        cloudformation.get_waiter(waiter).wait(
            StackName=built.stack_name, WaiterConfig={"Delay": 10, "MaxAttempts": 360}
        )
    except Exception as error:  # noqa: BLE001
        raise DeployError(
            f"The stack did not finish ({error}). Its events in the CloudFormation console say "
            "which resource failed; the stack rolls back by itself."
        ) from None
    return stack_outputs(cloudformation, built.stack_name)


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    try:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except cloudformation.exceptions.ClientError as error:
        raise DeployError(error.response["Error"]["Message"]) from None
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


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


def deploy(built: Package, session: Any) -> dict[str, str]:
    account = session.client("sts").get_caller_identity()["Account"]
    s3 = session.client("s3")
    bucket = artifacts_bucket(s3, account, built.region)
    template_url = upload(s3, bucket, built)
    return apply(session.client("cloudformation"), built, template_url)


def main(argv: list[str] | None = None, session_factory: Callable[[str], Any] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.deploy", description=__doc__.split("\n")[0]
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


if __name__ == "__main__":
    raise SystemExit(main())
