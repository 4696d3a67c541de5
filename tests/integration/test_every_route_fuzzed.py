"""Arbitrary bytes, JSON shapes, ids and query strings at every route the Chalice app registers:
never a 5xx, and nobody else's stored report changes.

The requests come as a stranger, as a signed-in resident who is not the owner, and as a member
of staff; the ids include the other resident's real references. What was sent and answered is
written to test-artifacts/fuzzed-routes.json (the request count and the status histogram).
"""

from __future__ import annotations

import json
import string
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import app
from chalicelib.mail import RecordingOutbox
from chalicelib.models import Report
from chalicelib.review.staff import StaffTokens
from chalicelib.services import Services, install
from tests.support.cognito_keys import moto_id_token, moto_signing_keys
from tests.support.deployment import START, open_staff_session
from tests.support.forms import PageClient, signed
from tests.support.reports import submitted_report

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
ROUTES = sorted((method, path) for path, methods in app.routes.items() for method in methods)
OTHERS_DRAFT, OTHERS_SUBMITTED = "RPD-EVE2-DRFT", "RPD-EVE3-SBMT"
POOL = "us-east-1_pool"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}"
STATUSES: Counter[int] = Counter()

ids = st.one_of(
    st.sampled_from([OTHERS_DRAFT, OTHERS_SUBMITTED, "RPD-2222-2222", "", " ", "rpd-eve2-drft"]),
    st.text(max_size=40),
    st.text(alphabet=string.ascii_uppercase + string.digits + "-", min_size=1, max_size=20),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "email",
        "token",
        "answers",
        "incident_type",
        "decision",
        "reason",
        "text",
        "language",
        "username",
        "password",
        "session",
        "code",
        "declaration",
        "draft",
        "form_token",
    ]
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(field_names, json_values, max_size=5).map(lambda d: json.dumps(d).encode()),
    st.dictionaries(field_names, st.text(max_size=40), max_size=5).map(
        lambda d: urlencode(d).encode()
    ),
    st.just(b"[" * 3000 + b"]" * 3000),
)
queries = st.dictionaries(
    st.sampled_from(["lang", "status", "incident_type", "cursor", "token", "draft", "x"]),
    st.text(max_size=40),
    max_size=3,
)
content_types = st.sampled_from(
    ["the route's"] * 6
    + ["application/json", "application/x-www-form-urlencoded", "text/plain", "", "text/xml"]
)
who = st.sampled_from(["stranger", "resident", "staff", "forged"])


@pytest.fixture
def world(client: Client, system: Services, outbox: RecordingOutbox) -> Iterator[dict[str, Any]]:
    """Eve's draft and submitted report, Ana signed in, a reviewer.

    No decision is possible on Eve's report (no review token), and another clerk holds it, so the
    reviewer can neither claim it nor take it over: a staff request that changes it is a bug too.
    """
    install(
        Services(
            settings=system.with_settings(user_pool_id=POOL, user_pool_client_id="c").settings,
            aws=system.aws,
            clock=system.clock,
            outbox=outbox,
            review=system.review,
            staff_tokens=StaffTokens(issuer=ISSUER, audience="c", signing_keys=moto_signing_keys),
        )
    )
    eve = {"owner_key": "eve-digest", "contact_email": "eve@example.com", "review_token": None}
    draft = submitted_report(OTHERS_DRAFT, **eve, status="draft", listed_at=None)
    draft.save()
    submitted_report(OTHERS_SUBMITTED, **eve, claimed_by="another-clerk", claimed_at=START).save()
    before = {rid: Report.get(rid).serialize() for rid in (OTHERS_DRAFT, OTHERS_SUBMITTED)}
    ana = PageClient(client)
    ana.post_form("/start", {"email": "ana@example.com"})
    text = [m for m in outbox.as_json() if m["to"] == "ana@example.com"][-1]["text"]
    ana.sign_in("/verify?token=" + text.split("token=", 1)[1].split()[0])
    staff_token = open_staff_session(moto_id_token(ISSUER, "c", "reviewer", ["reviewers"]))
    yield {"client": client, "ana": ana, "staff": staff_token, "before": before}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "fuzzed-routes.json").write_text(
        json.dumps(
            {"requests": sum(STATUSES.values()), "statuses": dict(sorted(STATUSES.items()))},
            indent=2,
        )
    )


@settings(
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(ROUTES),
    report_id=ids,
    step_id=st.text(max_size=20),
    query=queries,
    body=bodies,
    content_type=content_types,
    caller=who,
)
def test_no_route_answers_5xx_or_changes_anyone_elses_report(
    world: dict[str, Any],
    route: tuple[str, str],
    report_id: str,
    step_id: str,
    query: dict[str, str],
    body: bytes,
    content_type: str,
    caller: str,
) -> None:
    method, template = route
    path = template.replace("{report_id}", quote(report_id, safe="")).replace(
        "{step_id}", quote(step_id, safe="")
    )
    if path.endswith("/") and path != "/":
        path += "x"  # an empty id would name another route: give it something
    url = path + (f"?{urlencode(query)}" if query else "")
    ana: PageClient = world["ana"]
    if content_type == "the route's":  # what a client of the route sends: GETs no body
        json_route = template.startswith("/api/")
        content_type = "application/json" if json_route else "application/x-www-form-urlencoded"
        if method == "GET":
            content_type, body = "", b""
    headers: dict[str, str] = {"Content-Type": content_type} if content_type else {}
    if caller == "resident":
        headers.update(ana.header())
        headers["Authorization"] = f"Bearer {ana.cookies['sr_session']}"
        if content_type == "application/x-www-form-urlencoded" and method == "POST":
            fields = dict(
                pair.split("=", 1) for pair in body.decode("latin-1").split("&") if "=" in pair
            )
            body = urlencode(signed(fields, ana.cookies, path)).encode()
    elif caller == "staff":
        headers["Authorization"] = f"Bearer {world['staff']}"
        headers["Cookie"] = f"sr_staff={world['staff']}"
    elif caller == "forged":
        headers["Authorization"] = "Bearer " + "A" * 43
        headers["Cookie"] = "sr_session=" + "A" * 43 + "; sr_staff=forged.token.value"

    response = world["client"].http.request(method, url, headers=headers, body=body)

    STATUSES[response.status_code] += 1
    assert response.status_code < 500, (method, url, caller, response.body[:300])
    after = {rid: Report.get(rid).serialize() for rid in world["before"]}
    assert after == world["before"], (method, url, caller)
