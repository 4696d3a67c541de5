"""`make package AGENCY=demo`: the deployable artifacts, built as an IT lead builds them.

The command runs once for the whole run (`chalice package` fetches the Lambda wheels from the
package index on a fresh machine), shared with test_stack_checkov.py; the checks then read what
it wrote.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from app import app
from chalicelib.agency import load_profile
from infra import deploy, provision
from infra.template import API_HANDLER, Names

PROJECT_DIR = Path(__file__).resolve().parents[2]
ZIP_LIMIT_MB, UNZIPPED_LIMIT_MB = 50, 250  # Lambda's limits for a direct upload


def packaged_demo(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """`make package AGENCY=demo` into this run's temporary folder, once for every module that
    reads it: pytest-xdist's workers share the folder, and a lock makes the first one build."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # this run's, shared by its workers
    build_dir = root / "package-demo"
    with (root / "package-demo.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (build_dir / "demo" / "template.json").exists():
            job = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "infra.deploy",
                    "demo",
                    "--dry-run",
                    "--build-dir",
                    str(build_dir),
                ],
                cwd=PROJECT_DIR,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            assert job.returncode == 0, job.stdout + job.stderr
            assert "Dry run: nothing was sent to AWS." in job.stdout
            print(job.stdout)
    return build_dir / "demo"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    return packaged_demo(tmp_path_factory, worker_id)


@pytest.fixture(scope="module")
def second_agency(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another agency, its profile outside the project, served under its own domain name."""
    home = tmp_path_factory.mktemp("east")
    profile = (PROJECT_DIR / "chalicelib" / "agencies" / "demo.yaml").read_text(encoding="utf-8")
    profile = profile.replace("id: demo", "id: riverton_east", 1).replace(
        "deployment:\n",
        "deployment:\n  domain:\n    name: report.east.example\n    certificate_arn: "
        "arn:aws:acm:us-east-1:123456789012:certificate/0b5c4e2a-1f3d-4a6b-9c8d-7e6f5a4b3c2d\n",
        1,
    )
    (home / "riverton_east.yaml").write_text(profile, encoding="utf-8")
    config = home / "config.json"
    shutil.copy2(deploy.CHALICE_CONFIG, config)
    deploy.package(str(home / "riverton_east.yaml"), build_dir=built.parent, config_path=config)
    assert "riverton_east" in json.loads(config.read_text(encoding="utf-8"))["stages"]
    return built.parent / "riverton_east"


def test_an_agency_under_its_own_domain(second_agency: Path) -> None:
    template = json.loads((second_agency / "template.json").read_text(encoding="utf-8"))
    resources = template["Resources"]
    handler = resources[API_HANDLER]["Properties"]
    assert handler["FunctionName"] == "selfreport-riverton-east-api"
    assert handler["Environment"]["Variables"]["BASE_URL"] == "https://report.east.example"
    assert handler["Environment"]["Variables"]["AGENCY_PROFILE"] == "riverton_east"
    assert resources["ApiGatewayCustomDomain"]["Properties"]["DomainName"] == "report.east.example"
    assert resources["ApiGatewayCustomDomainMapping"]["DependsOn"] == "RestAPIapiStage"
    assert "SiteDomainTarget" in template["Outputs"]
    with zipfile.ZipFile(second_agency / "deployment.zip") as package:
        shipped = package.read("chalicelib/agencies/riverton_east.yaml").decode()
    assert "report.east.example" in shipped


@pytest.fixture(scope="module")
def template(built: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((built / "template.json").read_text(encoding="utf-8"))
    return loaded


def references(node: Any) -> set[str]:
    """The logical ids a piece of template depends on."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found |= {name.split(".")[0] for name in re.findall(r"\$\{([\w.:]+)\}", text)}
                if not isinstance(value, str):
                    found |= references(value[1])
            else:
                found |= references(value)
    elif isinstance(node, list):
        for value in node:
            found |= references(value)
    return found


def test_the_template_has_no_dependency_cycle(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    graph = {
        logical_id: (
            references(resource.get("Properties", {}))
            | set(
                [resource["DependsOn"]]
                if isinstance(resource.get("DependsOn"), str)
                else resource.get("DependsOn", [])
            )
        )
        & set(resources)
        for logical_id, resource in resources.items()
    }
    done: set[str] = set()
    while len(done) < len(graph):
        ready = {node for node, needs in graph.items() if node not in done and needs <= done}
        assert ready, f"a cycle among {sorted(set(graph) - done)}"
        done |= ready
    assert API_HANDLER not in graph["RestAPI"], "the API names its handler by name, not by Ref"


def test_every_function_runs_with_a_role_of_its_own(template: dict[str, Any]) -> None:
    functions = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert set(functions) == {API_HANDLER, "ReviewStep", "AttachmentRetention"}
    assert len(app.pure_lambda_functions) == len(functions) - 1
    roles = [function["Properties"]["Role"]["Fn::GetAtt"][0] for function in functions.values()]
    assert sorted(roles) == ["ApiHandlerRole", "AttachmentRetentionRole", "ReviewStepRole"]
    assert deploy.ROLE_SET_BY_TEMPLATE not in json.dumps(template)
    names = Names("demo")
    for logical_id, function in functions.items():
        assert function["Properties"]["FunctionName"] == names.function(logical_id)
        group = template["Resources"][f"{logical_id.replace('API', 'Api')}LogGroup"]
        assert group["Properties"]["LogGroupName"] == f"/aws/lambda/{names.function(logical_id)}"


def test_only_api_gateway_may_invoke_the_site_and_only_from_this_api(
    template: dict[str, Any],
) -> None:
    permissions = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Permission"
    ]
    assert permissions
    for permission in permissions:
        assert permission["Principal"] == "apigateway.amazonaws.com"
        assert "RestAPI" in references(permission["SourceArn"])


def test_the_deployed_state_machine_is_byte_for_byte_the_local_one(
    template: dict[str, Any],
) -> None:
    machine = template["Resources"]["ReviewStateMachine"]["Properties"]
    assert machine["DefinitionString"].encode() == provision.REVIEW_STATE_MACHINE.read_bytes()


def test_the_lambda_package_fits_and_carries_what_the_agency_needs(built: Path) -> None:
    archive = built / "deployment.zip"
    with zipfile.ZipFile(archive) as package:
        names = package.namelist()
        unzipped = sum(entry.file_size for entry in package.infolist())
    zipped_mb, unzipped_mb = archive.stat().st_size / 1e6, unzipped / 1e6
    print(f"\nLambda package: {zipped_mb:.1f} MB zipped, {unzipped_mb:.1f} MB unzipped")
    assert zipped_mb < ZIP_LIMIT_MB and unzipped_mb < UNZIPPED_LIMIT_MB
    assert "app.py" in names and "chalicelib/agencies/demo.yaml" in names
    # the FBI's NIBRS schema with every file it imports, and the code lists read from it
    vendored = PROJECT_DIR / "chalicelib" / "nibrs" / "xsd"
    for xsd in vendored.rglob("*.xsd"):
        assert f"chalicelib/nibrs/xsd/{xsd.relative_to(vendored).as_posix()}" in names, xsd
    assert "chalicelib/nibrs/codes.json" in names
    locales = {Path(name).stem for name in names if name.startswith("babel/locale-data/")}
    assert {"root", "en", "es", "es_MX"} <= locales and "fr" not in locales
    services = {
        name.split("/")[2]
        for name in names
        if name.count("/") > 2 and name.startswith("botocore/data/")
    }
    assert services == deploy.BOTOCORE_SERVICES


def test_the_trimmed_package_runs(built: Path, tmp_path: Path) -> None:
    """Import the handler from the zip alone, and use what trimming could have broken."""
    with zipfile.ZipFile(built / "deployment.zip") as package:
        package.extractall(tmp_path / "task")
    languages = load_profile("demo").languages
    program = textwrap.dedent(
        f"""
        import sys
        sys.path[:0] = [{str(tmp_path / "task")!r}]
        import os
        os.environ.update(STAGE="demo", AGENCY_PROFILE="demo", RESOURCE_PREFIX="selfreport-demo",
                          BASE_URL="https://example.org/api", AWS_DEFAULT_REGION="us-east-1")
        import app, boto3, babel, fpdf
        assert app.__file__.startswith({str(tmp_path)!r}), app.__file__
        assert boto3.__file__.startswith({str(tmp_path)!r}), boto3.__file__
        from datetime import date
        from babel.dates import format_date
        for language in {list(languages)!r}:
            print(format_date(date(2026, 12, 24), format="long", locale=language))
        for service in {sorted(deploy.BOTOCORE_SERVICES)!r}:
            boto3.client(service, region_name="us-east-1")
        from chalicelib.agency import load_profile
        print(load_profile("demo").name)
        from datetime import datetime, timezone
        from chalicelib import nibrs
        from chalicelib.models import Report
        from chalicelib.nibrs import validation
        assert validation.__file__.startswith({str(tmp_path)!r}), validation.__file__
        report = Report(report_id="RPD-AAAA-BBBB", incident_type="vandalism",
                        answers={{"incident_date": "2026-11-01", "damage_cost": "120"}})
        made = nibrs.nibrs_document(report, load_profile("demo"), case_number=None,
                                    now=datetime(2026, 11, 2, tzinfo=timezone.utc))
        print("NIBRS valid:", made.valid, made.problems)
        """
    )
    job = subprocess.run(
        [sys.executable, "-I", "-c", program],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert job.returncode == 0, job.stderr
    assert "24 de diciembre de 2026" in job.stdout
    assert "Riverton Police Department" in job.stdout
    assert "NIBRS valid: True" in job.stdout  # the schema compiled from the zip's own files


RUNTIME_GLIBC = {"python3.11": (2, 26), "python3.12": (2, 34), "python3.13": (2, 34)}
"""The glibc of each Lambda runtime's Amazon Linux (2 for 3.11, 2023 after)."""


def glibc_needed(shared_object: bytes) -> tuple[int, ...]:
    """The newest glibc symbol version an ELF shared object asks for (its dynamic string table
    names each one: GLIBC_2.17 and so on)."""
    found = re.findall(rb"GLIBC_(2\.\d+(?:\.\d+)?)\x00", shared_object)
    return max((tuple(int(part) for part in version.split(b".")) for version in found), default=())


def test_every_compiled_library_loads_on_the_functions_runtime(
    built: Path, template: dict[str, Any]
) -> None:
    """A wheel built for a newer glibc, or a library compiled on the building machine, imports
    here and fails on Lambda: every shared object must ask for no more than the runtime's glibc,
    and the image libraries must be there as their manylinux wheels."""
    runtimes = {
        resource["Properties"]["Runtime"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    limit = min(RUNTIME_GLIBC[runtime] for runtime in runtimes)
    too_new: dict[str, tuple[int, ...]] = {}
    with zipfile.ZipFile(built / "deployment.zip") as package:
        names = package.namelist()
        for name in names:
            if ".so" in name.rsplit("/", 1)[-1]:
                data = package.read(name)
                if data.startswith(b"\x7fELF") and glibc_needed(data) > limit:
                    too_new[name] = glibc_needed(data)
        wheels = {
            name.split("-", 1)[0]: package.read(name).decode()
            for name in names
            if name.endswith(".dist-info/WHEEL")
        }
    assert not too_new, f"these need a newer glibc than {limit}: {too_new}"
    for distribution in ("pillow", "pi_heif", "lxml"):
        assert "manylinux" in wheels[distribution], f"{distribution} is not its manylinux wheel"
    assert any(name.startswith("pi_heif/") for name in names)
    assert any(name.startswith("PIL/_imaging.") for name in names)
    assert any(name.startswith("lxml/etree.") for name in names)
