"""Every AWS call the whole system makes in one busy day, and which principal made it.

Runs the local stack in this process (its own, so the recording never mixes with other tests),
plays residents and staff through every kind of operation over HTTP, and writes the calls as
JSON: `python -m tests.support.aws_call_recorder OUT.json`. The least-privilege test compares
them with the IAM policies of the deployed template.

Principals: `api_handler` (the Chalice app), `review_step` (the workflow's Lambda), and
`state_machine` (Step Functions itself: the service integrations and the Lambda invocations).
"""

from __future__ import annotations

import contextvars
import io
import json
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from tests.support.answers import theft_answers
from tests.support.flows import poll

PRINCIPAL: contextvars.ContextVar[str] = contextvars.ContextVar(
    "principal", default="state_machine"
)
UNSIGNED = frozenset({"cognito-idp"})  # the staff sign-in calls need no IAM permission
KEPT_PARAMETERS = (
    "TableName",
    "IndexName",
    "Bucket",
    "Key",
    "Source",
    "ConfigurationSetName",
    "stateMachineArn",
    "FunctionName",
)


def summary(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {key: params[key] for key in KEPT_PARAMETERS if key in params}
    if service != "s3":
        kept.pop("Key", None)  # DynamoDB's item keys: personal to nobody, but not a resource
    if "TransactItems" in params:
        kept["TransactItems"] = [
            {kind: {"TableName": body["TableName"]} for kind, body in item.items()}
            for item in params["TransactItems"]
        ]
    if "Entries" in params:
        kept["EventBusNames"] = sorted(
            {entry.get("EventBusName", "default") for entry in params["Entries"]}
        )
    return {"principal": PRINCIPAL.get(), "service": service, "operation": operation, **kept}


def install_recorder(calls: list[dict[str, Any]]) -> None:
    import botocore.signers
    from botocore.client import BaseClient
    from chalice import app as chalice_app

    made = BaseClient._make_api_call

    def recorded(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        service = self.meta.service_model.service_name
        if service not in UNSIGNED and PRINCIPAL.get() != "test":
            calls.append(summary(service, operation, params))
        return made(self, operation, params)

    BaseClient._make_api_call = recorded  # type: ignore[method-assign]

    presign = botocore.signers.generate_presigned_url

    def presigned(self: Any, *args: Any, **kwargs: Any) -> Any:
        method = args[0] if args else kwargs["ClientMethod"]
        params = kwargs.get("Params") or (args[1] if len(args) > 1 else {})
        operation = "".join(part.title() for part in method.split("_"))
        calls.append(summary("s3", operation, dict(params)))
        return presign(self, *args, **kwargs)

    botocore.signers.generate_presigned_url = presigned

    def acting_as(principal: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            token = PRINCIPAL.set(principal)
            try:
                return call(self, *args, **kwargs)
            finally:
                PRINCIPAL.reset(token)

        return wrapper

    chalice_app.Chalice.__call__ = acting_as("api_handler", chalice_app.Chalice.__call__)  # type: ignore[method-assign]
    chalice_app.LambdaFunction.__call__ = acting_as(
        "review_step", chalice_app.LambdaFunction.__call__
    )  # type: ignore[method-assign]


@contextmanager
def as_test() -> Iterator[None]:
    """Calls the test makes to arrange things: not the system's, not recorded."""
    token = PRINCIPAL.set("test")
    try:
        yield
    finally:
        PRINCIPAL.reset(token)


class Day:
    def __init__(self, app_url: str, staff_password: str, staff_mailbox: str) -> None:
        self.base = app_url
        self.staff_password = staff_password
        self.staff_mailbox = staff_mailbox

    def latest_link(self, address: str) -> str:
        def links() -> list[str]:
            messages = requests.get(f"{self.base}/_local/outbox", timeout=10).json()
            texts = [message["text"] for message in messages if message["to"] == address]
            return re.findall(r"token=([\w-]+)", "\n".join(texts))

        found = poll(links, bool)
        assert found, f"no link was sent to {address}"
        return found[-1]

    def resident(self) -> dict[str, str]:
        address = f"day-{uuid.uuid4().hex[:10]}@example.com"
        asked = requests.post(f"{self.base}/api/verifications", json={"email": address}, timeout=10)
        assert asked.status_code == 202, asked.text
        token = self.latest_link(address)
        opened = requests.post(f"{self.base}/api/sessions", json={"token": token}, timeout=10)
        assert opened.status_code == 201, opened.text
        reused = requests.post(f"{self.base}/api/sessions", json={"token": token}, timeout=10)
        assert reused.status_code == 410, reused.text
        return {"Authorization": f"Bearer {opened.json()['session']}"}

    def staff_reminded(self, report_id: str) -> bool:
        messages = requests.get(f"{self.base}/_local/outbox", timeout=10).json()
        return any(
            report_id in message["subject"]
            for message in messages
            if message["to"] == self.staff_mailbox
        )

    def submitted_theft(self, auth: dict[str, str]) -> str:
        created = requests.post(
            f"{self.base}/api/reports", json={"incident_type": "theft"}, headers=auth, timeout=10
        )
        assert created.status_code == 201, created.text
        report = created.json()
        answers = theft_answers()
        for step in report["steps"]:
            saved = requests.patch(
                f"{self.base}/api/reports/{report['id']}",
                json={"answers": {question: answers[question] for question in step["questions"]}},
                headers=auth,
                timeout=10,
            )
            assert saved.status_code == 200, saved.text
        submitted = requests.post(
            f"{self.base}/api/reports/{report['id']}/submit", headers=auth, timeout=10
        )
        assert submitted.status_code == 200, submitted.text
        return str(report["id"])

    def staff(self, username: str) -> dict[str, str]:
        signed_in = requests.post(
            f"{self.base}/api/staff/login",
            json={"username": username, "password": self.staff_password},
            timeout=10,
        )
        assert signed_in.status_code == 200, signed_in.text
        return {"Authorization": f"Bearer {signed_in.json()['token']}"}

    def decide(
        self, staff: dict[str, str], report_id: str, decision: str, reason: str | None = None
    ) -> None:
        body = {"decision": decision, **({"reason": reason} if reason else {})}
        decided = poll(
            lambda: requests.post(
                f"{self.base}/api/staff/reports/{report_id}/decision",
                json=body,
                headers=staff,
                timeout=10,
            ),
            lambda response: response.status_code != 409,
            interval=0.2,
        )
        assert decided.status_code == 202, decided.text

    def resident_view(self, auth: dict[str, str], report_id: str) -> dict[str, Any]:
        seen = requests.get(f"{self.base}/api/reports/{report_id}", headers=auth, timeout=10)
        assert seen.status_code == 200, seen.text
        return seen.json()  # type: ignore[no-any-return]


def busy_day(day: Day, mark_export_failed: Callable[[str], None]) -> None:
    reviewer, supervisor, admin = day.staff("reviewer"), day.staff("supervisor"), day.staff("admin")

    first = day.resident()
    approved = day.submitted_theft(first)
    requests.get(f"{day.base}/api/reports", headers=first, timeout=10)
    queue = requests.get(
        f"{day.base}/api/staff/reports?status=submitted", headers=reviewer, timeout=10
    )
    assert queue.status_code == 200, queue.text
    requests.get(f"{day.base}/api/staff/reports/{approved}", headers=reviewer, timeout=10)
    day.decide(reviewer, approved, "request_info", "What colour was the bicycle?")
    answered = poll(
        lambda: requests.post(
            f"{day.base}/api/reports/{approved}/supplements",
            json={"text": "Black, with a red saddle."},
            headers=first,
            timeout=10,
        ),
        lambda response: response.status_code != 409,
        interval=0.2,
    )
    assert answered.status_code == 201, answered.text
    day.decide(reviewer, approved, "approve")
    view = poll(lambda: day.resident_view(first, approved), lambda seen: bool(seen["case_number"]))
    assert view["case_number"], view
    copy = poll(
        lambda: requests.get(
            f"{day.base}/api/reports/{approved}/copy",
            headers=first,
            allow_redirects=False,
            timeout=10,
        ),
        lambda response: response.status_code in {302, 303},
        interval=0.2,
    )
    assert copy.status_code in {302, 303}, copy.text

    second = day.resident()
    rejected = day.submitted_theft(second)
    assert poll(lambda: day.staff_reminded(rejected), bool, seconds=30, interval=0.3)
    day.decide(reviewer, rejected, "reject", "This happened outside Riverton.")
    poll(lambda: day.resident_view(second, rejected), lambda seen: seen["status"] == "rejected")

    requests.get(f"{day.base}/api/staff/metrics", headers=supervisor, timeout=10)
    mark_export_failed(approved)
    requests.get(f"{day.base}/api/staff/exports", headers=admin, timeout=10)
    pushed = requests.post(
        f"{day.base}/api/staff/reports/{approved}/export", headers=admin, timeout=10
    )
    assert pushed.status_code == 202, pushed.text
    requests.delete(f"{day.base}/api/session", headers=second, timeout=10)


def main(output: Path) -> None:
    from infra.local_stack import LocalStack, free_port

    calls: list[dict[str, Any]] = []
    install_recorder(calls)
    stack = LocalStack(
        port=free_port(),
        stream=io.StringIO(),
        overrides={"VERIFICATIONS_PER_CLIENT": "1000", "REVIEW_SLA_SECONDS": "2"},
    )
    with as_test():
        endpoints = stack.start()
    try:
        from chalicelib import services

        def mark_export_failed(report_id: str) -> None:
            from chalicelib.models import Report

            with as_test():
                Report._get_connection().update_item(
                    report_id, actions=[Report.export_state.set("failed")]
                )

        current = services.current()
        mailbox = current.agency.review.staff_email
        assert mailbox, "the demo agency names a staff mailbox"
        busy_day(Day(endpoints.app_url, endpoints.staff_password, mailbox), mark_export_failed)
        names = {
            "prefix": current.settings.resource_prefix,
            "bucket": current.settings.bucket_name,
            "state_machine": endpoints.state_machine_arn,
            "event_bus": current.settings.records_event_bus,
            "sender": current.agency.sender.address,
        }
    finally:
        stack.stop()
    output.write_text(json.dumps({"names": names, "calls": calls}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
