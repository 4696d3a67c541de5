"""Every AWS call the whole system makes in one busy day, and which principal made it.

Runs the local stack in this process (its own, so the recording never mixes with other tests),
plays residents and staff through every kind of operation over HTTP, and writes the calls as
JSON: `python -m tests.support.aws_call_recorder OUT.json`. The least-privilege test compares
them with the IAM policies of the deployed template.

Principals: `api_handler` (the Chalice app), `review_step` (the workflow's Lambda),
`attachment_retention` (the reports stream's Lambda), and `state_machine` (Step Functions
itself: the service integrations and the Lambda invocations).
"""

from __future__ import annotations

import contextvars
import io
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.support.flows import (
    answer_info_request,
    decide,
    poll,
    resident,
    resident_view,
    staff,
    submitted_theft,
)
from tests.support.local_stack import Site

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
    "Prefix",  # a listing's: the policy's condition names the prefixes it may list
    "ServerSideEncryption",  # whether S3 uses the data key for the object, or S3's own keys
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
    if "Delete" in params:  # DeleteObjects: each key is authorized as a DeleteObject
        kept["Keys"] = [item["Key"] for item in params["Delete"]["Objects"]]
    if "RequestItems" in params:  # BatchGetItem, BatchWriteItem: the tables it reads or writes
        kept["TableNames"] = sorted(params["RequestItems"])
    if "Entries" in params:
        kept["EventBusNames"] = sorted(
            {entry.get("EventBusName", "default") for entry in params["Entries"]}
        )
    return {"principal": PRINCIPAL.get(), "service": service, "operation": operation, **kept}


def install_recorder(calls: list[dict[str, Any]]) -> None:
    import botocore.signers
    from botocore.client import BaseClient
    from chalice import app as chalice_app

    made = BaseClient._make_api_call  # type: ignore[attr-defined]  # private: not in the stubs

    def recorded(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        service = self.meta.service_model.service_name
        if service not in UNSIGNED and PRINCIPAL.get() != "test":
            calls.append(summary(service, operation, params))
        return made(self, operation, params)

    BaseClient._make_api_call = recorded  # type: ignore[attr-defined]

    presign = botocore.signers.generate_presigned_url

    def presigned(self: Any, *args: Any, **kwargs: Any) -> Any:
        method = args[0] if args else kwargs["ClientMethod"]
        params = kwargs.get("Params") or (args[1] if len(args) > 1 else {})
        operation = "".join(part.title() for part in method.split("_"))
        calls.append(summary("s3", operation, dict(params)))
        return presign(self, *args, **kwargs)

    botocore.signers.generate_presigned_url = presigned

    presign_post = botocore.signers.generate_presigned_post

    def presigned_post(self: Any, Bucket: str, Key: str, *args: Any, **kwargs: Any) -> Any:
        # The browser's POST to the form is authorized with the signer's rights, as a PutObject.
        calls.append(summary("s3", "PutObject", {"Bucket": Bucket, "Key": Key}))
        return presign_post(self, Bucket, Key, *args, **kwargs)

    botocore.signers.generate_presigned_post = presigned_post

    def acting_as(principal: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            token = PRINCIPAL.set(principal)
            try:
                return call(self, *args, **kwargs)
            finally:
                PRINCIPAL.reset(token)

        return wrapper

    chalice_app.Chalice.__call__ = acting_as("api_handler", chalice_app.Chalice.__call__)  # type: ignore[method-assign]
    function_called = chalice_app.LambdaFunction.__call__

    def as_the_function(self: chalice_app.LambdaFunction, *args: Any, **kwargs: Any) -> Any:
        token = PRINCIPAL.set(self.name)  # each function runs with its own role
        try:
            return function_called(self, *args, **kwargs)
        finally:
            PRINCIPAL.reset(token)

    chalice_app.LambdaFunction.__call__ = as_the_function  # type: ignore[method-assign]


@contextmanager
def as_test() -> Iterator[None]:
    """Calls the test makes to arrange things: not the system's, not recorded."""
    token = PRINCIPAL.set("test")
    try:
        yield
    finally:
        PRINCIPAL.reset(token)


@dataclass
class Day(Site):
    """The local stack in this process, and where its staff reminders go."""

    staff_mailbox: str

    def staff_reminded(self, report_id: str) -> bool:
        return any(
            report_id in message["subject"] for message in self.emails_to(self.staff_mailbox)
        )


def busy_day(day: Day, mark_export_failed: Callable[[str], None]) -> None:
    base = day.app_url
    # A mistyped password first: the failure is counted, and the sign-in after it forgets it.
    mistyped = requests.post(
        f"{base}/api/staff/login",
        json={"username": "supervisor", "password": "Mistyped-Passw0rd!"},
        timeout=10,
    )
    assert mistyped.status_code == 401, mistyped.text
    reviewer, supervisor, admin = (
        staff(day, "reviewer"),
        staff(day, "supervisor"),
        staff(day, "admin"),
    )

    first, address = resident(day, "day")
    reused = requests.post(
        f"{base}/api/sessions",
        json={"token": day.latest_link(address).split("token=")[1]},
        timeout=10,
    )
    assert reused.status_code == 410, reused.text
    approved = submitted_theft(day, first)["id"]
    requests.get(f"{base}/api/reports", headers=first, timeout=10)
    queue = requests.get(f"{base}/api/staff/reports?status=submitted", headers=reviewer, timeout=10)
    assert queue.status_code == 200, queue.text
    requests.get(f"{base}/api/staff/reports/{approved}", headers=reviewer, timeout=10)
    asked = decide(day, reviewer, approved, "request_info", "What colour was the bicycle?")
    assert asked.status_code == 202, asked.text
    answered = answer_info_request(day, first, approved, "Black, with a red saddle.")
    assert answered.status_code == 201, answered.text
    # The queue shows what the resident answered (one BatchGetItem for the page's answers).
    returned = requests.get(
        f"{base}/api/staff/reports?status=submitted", headers=reviewer, timeout=10
    )
    assert any(item.get("answer") for item in returned.json()["items"]), returned.text
    # The staff pages' queue (with its counts, Select=COUNT Queries) and a report's print view.
    pages = {"sr_staff": reviewer["Authorization"].removeprefix("Bearer ")}
    for path in ("/staff/queue", f"/staff/reports/{approved}/print"):
        shown = requests.get(f"{base}{path}", cookies=pages, allow_redirects=False, timeout=10)
        assert shown.status_code == 200, shown.text
    staff_open_photo(day, first, reviewer, pages, approved)
    assert decide(day, reviewer, approved, "approve").status_code == 202
    view = poll(lambda: resident_view(day, first, approved), lambda seen: bool(seen["case_number"]))
    assert view["case_number"], view
    copy = poll(
        lambda: requests.get(
            f"{base}/api/reports/{approved}/copy", headers=first, allow_redirects=False, timeout=10
        ),
        lambda response: response.status_code in {302, 303},
        interval=0.2,
    )
    assert copy.status_code in {302, 303}, copy.text
    # Its NIBRS document as stored beside the export (one GetObject), once the export ran; a
    # profile without a nibrs section makes none (404, and no call).
    document = poll(
        lambda: requests.get(
            f"{base}/api/staff/reports/{approved}/nibrs.xml", headers=reviewer, timeout=10
        ),
        lambda response: response.status_code == 200 or "no NIBRS section" in response.text,
        interval=0.2,
    )
    assert document.status_code in {200, 404}, document.text

    second, _ = resident(day, "day")
    rejected = submitted_theft(day, second)["id"]
    assert poll(lambda: day.staff_reminded(rejected), bool, seconds=30, interval=0.3)
    # A correction of the name before deciding: its search terms change in its transaction
    # (the old surname's terms deleted, the new one's put).
    corrected = requests.post(
        f"{base}/api/staff/reports/{rejected}/corrections",
        json={"answers": {"reporter_name": "Zoë Marsh"}, "reason": "Surname", "revision": 0},
        headers=reviewer,
        timeout=10,
    )
    assert corrected.status_code == 200, corrected.text
    assert (
        decide(day, reviewer, rejected, "reject", "This happened outside Riverton.").status_code
        == 202
    )
    poll(lambda: resident_view(day, second, rejected), lambda seen: seen["status"] == "rejected")

    third, third_address = resident(day, "day")
    withdrawn = submitted_theft(day, third)["id"]
    taken_back = requests.post(
        f"{base}/api/reports/{withdrawn}/withdraw", headers=third, timeout=10
    )
    assert taken_back.status_code == 200, taken_back.text
    assert poll(
        lambda: [m for m in day.emails_to(third_address) if withdrawn in m["subject"]],
        lambda sent: any("withdr" in m["subject"] for m in sent),
        seconds=30,
        interval=0.2,
    )

    # Staff find the reports by the resident's name (a term's Query, a BatchGetItem of the
    # rows) and by a reference (a GetItem).
    found = requests.get(
        f"{base}/api/staff/search", params={"q": "Zoe"}, headers=reviewer, timeout=10
    )
    assert found.status_code == 200, found.text
    assert {approved, rejected, withdrawn} <= {item["id"] for item in found.json()["items"]}
    by_reference = requests.get(
        f"{base}/api/staff/search", params={"q": approved}, headers=reviewer, timeout=10
    )
    assert [item["id"] for item in by_reference.json()["items"]] == [approved], by_reference.text

    expire(day, third, attach_files(day, third))

    requests.get(f"{base}/api/staff/metrics", headers=supervisor, timeout=10)
    mark_export_failed(approved)
    requests.get(f"{base}/api/staff/exports", headers=admin, timeout=10)
    pushed = requests.post(f"{base}/api/staff/reports/{approved}/export", headers=admin, timeout=10)
    assert pushed.status_code == 202, pushed.text
    requests.delete(f"{base}/api/session", headers=second, timeout=10)
    signed_out = requests.post(f"{base}/api/staff/logout", headers=reviewer, timeout=10)
    assert signed_out.status_code == 204, signed_out.text


def attach_files(day: Day, auth: dict[str, str]) -> str:
    """A draft with two photos: each form posted to the bucket as a browser would, checked on
    the next list (read, stored, its quarantine object deleted), and one of them removed."""
    from PIL import Image

    base = day.app_url
    created = requests.post(
        f"{base}/api/reports", json={"incident_type": "theft"}, headers=auth, timeout=10
    )
    assert created.status_code == 201, created.text
    attachments = f"{base}/api/reports/{created.json()['id']}/attachments"
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), "steelblue").save(photo, "JPEG")
    ids = []
    for name in ("window.jpg", "receipt.jpg"):
        offered = requests.post(
            attachments, json={"name": name, "type": "image/jpeg"}, headers=auth, timeout=10
        )
        assert offered.status_code == 201, offered.text
        form = offered.json()
        posted = requests.post(
            form["url"],
            data=form["fields"],
            files={"file": (name, photo.getvalue(), "image/jpeg")},
            timeout=10,
        )
        assert posted.status_code in {200, 201, 204}, posted.text
        ids.append(form["id"])
    listed = requests.get(attachments, headers=auth, timeout=10)
    assert [item["state"] for item in listed.json()["items"]] == ["accepted"] * 2, listed.text
    removed = requests.delete(f"{attachments}/{ids[0]}", headers=auth, timeout=10)
    assert removed.status_code == 204, removed.text
    return str(created.json()["id"])


def expire(day: Day, auth: dict[str, str], report_id: str) -> None:
    """One more file posted and never listed (still in quarantine), then the draft's TTL
    passes: moto neither expires items nor has streams, so the batch the reports stream would
    send goes to the retention function as its event source mapping would hand it (the item
    itself is left: nothing here reads it again)."""
    from chalice.local import LambdaContext

    from app import app

    attachments = f"{day.app_url}/api/reports/{report_id}/attachments"
    offered = requests.post(
        attachments, json={"name": "late.jpg", "type": "image/jpeg"}, headers=auth, timeout=10
    )
    assert offered.status_code == 201, offered.text
    form = offered.json()
    posted = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": ("late.jpg", b"\xff\xd8\xff\xe0late", "image/jpeg")},
        timeout=10,
    )
    assert posted.status_code in {200, 201, 204}, posted.text

    retention: Any = next(f for f in app.pure_lambda_functions if f.name == "attachment_retention")
    record = {
        "eventName": "REMOVE",
        "eventSource": "aws:dynamodb",
        "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
        "dynamodb": {"Keys": {"report_id": {"S": report_id}}, "SequenceNumber": "1"},
    }
    answer = retention({"Records": [record]}, LambdaContext("attachment_retention", 256))
    assert answer == {"batchItemFailures": []}, answer


def staff_open_photo(
    day: Day,
    auth: dict[str, str],
    reviewer: dict[str, str],
    pages: dict[str, str],
    report_id: str,
) -> None:
    """A photo attached to a submitted report; staff see its thumbnail (read from S3 by the
    page route) and open it (a link signed with the API's rights); the copy shows it later."""
    from PIL import Image

    base = day.app_url
    attachments = f"{base}/api/reports/{report_id}/attachments"
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), "darkorange").save(photo, "JPEG")
    offered = requests.post(
        attachments, json={"name": "door.jpg", "type": "image/jpeg"}, headers=auth, timeout=10
    )
    assert offered.status_code == 201, offered.text
    form = offered.json()
    posted = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": ("door.jpg", photo.getvalue(), "image/jpeg")},
        timeout=10,
    )
    assert posted.status_code in {200, 201, 204}, posted.text
    listed = requests.get(attachments, headers=auth, timeout=10)
    assert [item["state"] for item in listed.json()["items"]] == ["accepted"], listed.text
    file = f"{base}/staff/reports/{report_id}/attachments/{form['id']}"
    shown = requests.get(f"{file}/thumbnail", cookies=pages, allow_redirects=False, timeout=10)
    assert shown.status_code == 200, shown.text
    link = requests.get(
        f"{base}/api/staff/reports/{report_id}/attachments/{form['id']}",
        headers=reviewer,
        timeout=10,
    )
    assert link.status_code == 200, link.text


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
        busy_day(Day(endpoints.app_url, mailbox), mark_export_failed)
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
