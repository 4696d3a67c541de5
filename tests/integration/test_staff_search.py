"""Staff find a report by reference, case number, email, phone or name: on moto, calls counted.

One deployment serves the module: three residents submit theft reports through the resident
API (each with a name, an address and a phone number of their own, a minute apart), a fourth
keeps a draft. The first is approved and numbered by the workflow's step, the second rejected.
Every search makes at most two AWS calls beyond the staff session's GetItem, and never a Scan.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.client import BaseClient
from chalice.test import Client
from pynamodb.transactions import TransactWrite

from app import app
from chalicelib.models import Report, SearchTerm
from chalicelib.review import search as search_module
from chalicelib.routes.staff_pages import STAFF_COOKIE
from chalicelib.search_index import name_words, term
from tests.support.deployment import RecordingStepFunctions, moto_deployment
from tests.support.in_process_api import InProcessApi
from tests.support.staff_issuer import StaffIssuer

STAFF = StaffIssuer("SearchTests")
CHALICELIB = Path(__file__).parents[2] / "chalicelib"

RESIDENTS = {
    "alvarez": ("jose.alvarez@example.com", "José Álvarez Pérez", "(203) 555-0142"),
    "martin": ("jmartin@example.com", "Jose Martin", "+1 203 555 0199"),
    "ortega": ("maria.ortega@example.com", "María José Ortega", "203.555.0111"),
}


@dataclass
class Searchable:
    api: InProcessApi
    reviewer: str
    ids: dict[str, str]
    case_number: str
    requests: list[tuple[str, dict[str, Any]]]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.reviewer}"}

    def get(self, path: str, **params: str) -> Any:
        query = f"?{urlencode(params)}" if params else ""
        return self.api.client.http.get(path + query, headers=self.headers)

    def search(self, q: str, **params: str) -> tuple[Any, list[str]]:
        """The response to a search, and the AWS calls it made."""
        self.requests.clear()
        response = self.get("/api/staff/search", q=q, **params)
        return response, [operation for operation, _ in self.requests]

    def found(self, q: str) -> list[str]:
        response, calls = self.search(q)
        assert response.status_code == 200, response.body
        assert "Scan" not in calls and len(calls) <= 3, calls
        return [item["id"] for item in response.json_body["items"]]


def token(username: str = "reviewer", group: str = "reviewers") -> str:
    return STAFF.session_token(username, group)


def waiting_for_decision(report_id: str) -> None:
    """As the workflow leaves a report it waits on: its task token written."""
    Report._get_connection().update_item(report_id, actions=[Report.review_token.set("token-1")])


def submit(api: InProcessApi, email: str, name: str, phone: str) -> str:
    resident = api.resident(email)
    report_id = api.answered_theft(resident)
    answers = {"answers": {"reporter_name": name, "reporter_phone": phone}}
    assert api.request("PATCH", f"/api/reports/{report_id}", resident, answers).status_code == 200
    submitted = api.request("POST", f"/api/reports/{report_id}/submit", resident)
    assert submitted.status_code == 200, submitted.body
    return report_id


@pytest.fixture(scope="module")
def searchable() -> Iterator[Searchable]:
    tokens = STAFF.tokens()
    requests: list[tuple[str, dict[str, Any]]] = []
    made = BaseClient._make_api_call  # type: ignore[attr-defined]  # private: not in the stubs

    def recorded(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        requests.append((operation, params))
        return made(self, operation, params)

    with (
        pytest.MonkeyPatch.context() as patch,
        moto_deployment(staff_tokens=tokens, stepfunctions=RecordingStepFunctions()) as built,
        Client(app) as client,
    ):
        patch.setattr(BaseClient, "_make_api_call", recorded)
        api = InProcessApi(built, client)
        ids = {}
        for key, (email, name, phone) in RESIDENTS.items():
            ids[key] = submit(api, email, name, phone)
            built.clock.advance(minutes=1)
        draft_owner = api.resident("draft@example.com")
        ids["draft"] = api.answered_theft(draft_owner)
        named = {"answers": {"reporter_name": "José Draft", "reporter_phone": "(203) 555-0177"}}
        api.request("PATCH", f"/api/reports/{ids['draft']}", draft_owner, named)
        reviewer = token()
        searchable = Searchable(api, reviewer, ids, "", requests)
        for key, decision in (("alvarez", "approve"), ("martin", "reject")):
            waiting_for_decision(ids[key])
            body = {"decision": decision, "reason": "Outside Riverton."}
            decided = api.request(
                "POST", f"/api/staff/reports/{ids[key]}/decision", searchable.headers, body
            )
            assert decided.status_code == 202, decided.body
        # the workflow's step after an approval
        searchable.case_number = built.services.case_numbers.assign(ids["alvarez"], built.clock.now)
        yield searchable


# -- each key ------------------------------------------------------------------------------------


def test_a_reference_is_one_get_item(searchable: Searchable) -> None:
    reference = searchable.ids["ortega"]
    response, calls = searchable.search(f"  {reference.lower()} ")

    assert response.status_code == 200, response.body
    assert calls == ["GetItem", "GetItem"], "the session, the report"
    assert response.json_body["searched_for"] == "reference"
    [item] = response.json_body["items"]
    assert item == {
        "id": reference,
        "reference": reference,
        "status": "submitted",
        "incident_type": "theft",
        "submitted_at": "2026-11-02T15:02:00+00:00",
        "case_number": None,
        "claimed_by": None,
    }
    assert response.json_body["next_cursor"] is None


def test_a_case_number_finds_its_report(searchable: Searchable) -> None:
    response, calls = searchable.search(searchable.case_number.lower())

    assert response.status_code == 200, response.body
    assert calls == ["GetItem", "Query", "BatchGetItem"], "the session, the term, the rows"
    assert response.json_body["searched_for"] == "case_number"
    [item] = response.json_body["items"]
    assert item["id"] == searchable.ids["alvarez"]
    assert (item["status"], item["case_number"]) == ("approved", searchable.case_number)
    assert searchable.found("RPD-2026-000099") == []


@pytest.mark.parametrize(
    "typed", ["jose.alvarez@example.com", "  JOSE.ALVAREZ@EXAMPLE.COM ", "Jose.Alvarez@Example.com"]
)
def test_an_email_address_in_any_case_and_spacing(searchable: Searchable, typed: str) -> None:
    response, calls = searchable.search(typed)

    assert response.status_code == 200, response.body
    assert calls == ["GetItem", "Query", "BatchGetItem"]
    assert response.json_body["searched_for"] == "email"
    assert [item["id"] for item in response.json_body["items"]] == [searchable.ids["alvarez"]]


@pytest.mark.parametrize(
    ("typed", "who"),
    [
        ("203-555-0142", "alvarez"),
        ("+1 (203) 555 0142", "alvarez"),
        ("2035550142", "alvarez"),
        ("(203) 555-0199", "martin"),
        ("+12035550111", "ortega"),
    ],
)
def test_a_phone_number_in_any_formatting(searchable: Searchable, typed: str, who: str) -> None:
    response, calls = searchable.search(typed)

    assert response.status_code == 200, response.body
    assert calls == ["GetItem", "Query", "BatchGetItem"]
    assert response.json_body["searched_for"] == "phone"
    assert [item["id"] for item in response.json_body["items"]] == [searchable.ids[who]]


@pytest.mark.parametrize(
    ("typed", "who"),
    [
        ("jose", ["ortega", "martin", "alvarez"]),  # newest first
        ("JOSÉ", ["ortega", "martin", "alvarez"]),
        ("alvarez", ["alvarez"]),
        ("Álvarez", ["alvarez"]),
        ("perez jose", ["alvarez"]),
        ("José Álvarez", ["alvarez"]),
        ("José\u00a0\tÁlvarez", ["alvarez"]),
        ("jose martin", ["martin"]),
        ("MARIA ortega", ["ortega"]),
        ("Jose Ortega Martin", []),
        ("Nobody", []),
    ],
)
def test_a_name_by_whole_words_in_any_case_with_or_without_accents(
    searchable: Searchable, typed: str, who: list[str]
) -> None:
    response, calls = searchable.search(typed)

    assert response.status_code == 200, response.body
    assert calls in (["GetItem", "Query", "BatchGetItem"], ["GetItem", "Query"]), calls
    assert response.json_body["searched_for"] == "name"
    assert [item["id"] for item in response.json_body["items"]] == [
        searchable.ids[key] for key in who
    ]


def test_part_of_a_word_finds_nothing(searchable: Searchable) -> None:
    assert searchable.found("Alva") == []


def test_a_name_is_looked_up_by_its_longest_word(searchable: Searchable) -> None:
    searchable.search("jose ortega")
    [query] = [params for operation, params in searchable.requests if operation == "Query"]

    assert query["ExpressionAttributeValues"][":0"]["S"] == term("name", "ortega")


def test_names_are_folded_to_plain_letters() -> None:
    assert name_words("Zoë Łukasz-Muñoz") == ["zoe", "lukasz", "munoz"]
    assert name_words("J. R. O'Neil  o'neil") == ["neil"]
    assert name_words("STRAßE") == ["strasse"]


def test_drafts_are_never_found(searchable: Searchable) -> None:
    assert searchable.found(searchable.ids["draft"]) == []
    assert searchable.found("draft@example.com") == []
    assert searchable.found("(203) 555-0177") == []
    assert searchable.found("jose draft") == []


# -- what a search writes, and when ------------------------------------------------------------


def test_a_submission_puts_its_terms_in_its_own_transaction(searchable: Searchable) -> None:
    index = searchable.api.services.search_index
    report = Report.get(searchable.ids["ortega"])
    stored = {item.term for item in SearchTerm.scan() if item.report_id == report.report_id}

    assert stored == index.terms_of(report)
    assert term("email", "maria.ortega@example.com") in stored
    assert term("phone", "+12035550111") in stored
    assert {term("name", word) for word in ("maria", "jose", "ortega")} <= stored


def test_a_submission_is_one_transaction_with_its_terms(searchable: Searchable) -> None:
    api = searchable.api
    resident = api.resident("one.more@example.com")
    report_id = api.answered_theft(resident)
    searchable.requests.clear()
    submitted = api.request("POST", f"/api/reports/{report_id}/submit", resident)
    assert submitted.status_code == 200, submitted.body

    # the first: the workflow's first step (InstantReview) records its confirmation in its own
    transaction = next(p for op, p in searchable.requests if op == "TransactWriteItems")
    tables = [next(iter(item.values()))["TableName"] for item in transaction["TransactItems"]]
    assert tables.count("test-reports") == 1 and tables.count("test-audit") == 1
    assert tables.count("test-search-terms") == len(
        api.services.search_index.terms_of(Report.get(report_id))
    )
    assert "BatchWriteItem" not in [op for op, _ in searchable.requests]


def test_the_case_number_is_given_with_its_term(searchable: Searchable) -> None:
    stored = list(SearchTerm.query(term("case", searchable.case_number)))

    assert [item.report_id for item in stored] == [searchable.ids["alvarez"]]


def test_a_rejected_reports_terms_expire_with_it(searchable: Searchable) -> None:
    rejected = Report.get(searchable.ids["martin"])
    terms = [item for item in SearchTerm.scan() if item.report_id == rejected.report_id]

    assert rejected.status == "rejected" and rejected.expires_at is not None
    assert len(terms) == 4  # the address, the phone, two words of the name
    assert {item.expires_at for item in terms} == {rejected.expires_at}
    assert searchable.found("(203) 555-0199") == [rejected.report_id]  # until then


def test_a_rejection_costs_one_batch_write_more(searchable: Searchable) -> None:
    api = searchable.api
    report_id = submit(api, "late@example.com", "Late Comer", "(203) 555-0123")
    waiting_for_decision(report_id)
    searchable.requests.clear()
    body = {"decision": "reject", "reason": "A duplicate."}
    decided = api.request(
        "POST", f"/api/staff/reports/{report_id}/decision", searchable.headers, body
    )

    assert decided.status_code == 202, decided.body
    assert [op for op, _ in searchable.requests] == [
        "GetItem",  # the session
        "UpdateItem",  # the decision, returning the report
        "PutItem",  # audit: decided
        "BatchWriteItem",  # its four terms, with its expiry
    ]


def test_reindex_puts_new_terms_and_deletes_old_ones_in_the_callers_transaction(
    searchable: Searchable,
) -> None:
    index = searchable.api.services.search_index
    before = Report.get(searchable.ids["ortega"])
    after = Report.get(searchable.ids["ortega"])
    after.answers = {**after.answers, "reporter_name": "María Ortiz"}
    connection = SearchTerm._get_connection().connection
    try:
        with TransactWrite(connection=connection) as transaction:
            index.reindex(transaction, before, after)
        assert searchable.found("maria ortiz") == []  # the report's answers are unchanged
        assert searchable.ids["ortega"] not in searchable.found("jose")
        assert searchable.ids["ortega"] not in searchable.found("ortega")
        assert [item.report_id for item in SearchTerm.query(term("name", "ortiz"))] == [
            searchable.ids["ortega"]
        ]
    finally:
        with TransactWrite(connection=connection) as transaction:
            index.reindex(transaction, after, before)
    assert searchable.found("jose ortega") == [searchable.ids["ortega"]]


def test_only_the_search_index_writes_the_search_terms() -> None:
    writers = {
        path.relative_to(CHALICELIB).as_posix()
        for path in CHALICELIB.rglob("*.py")
        if "SearchTerm" in path.read_text()
    }
    assert writers == {"models.py", "search_index.py"}


# -- paging --------------------------------------------------------------------------------------


def test_pages_follow_the_cursor(searchable: Searchable, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "PAGE_SIZE", 2)
    first, calls = searchable.search("jose")
    assert calls == ["GetItem", "Query", "BatchGetItem"]
    cursor = first.json_body["next_cursor"]
    assert cursor
    second, calls = searchable.search("jose", cursor=cursor)

    assert calls == ["GetItem", "Query", "BatchGetItem"]
    assert [item["id"] for item in first.json_body["items"]] == [
        searchable.ids["ortega"],
        searchable.ids["martin"],
    ]
    assert [item["id"] for item in second.json_body["items"]] == [searchable.ids["alvarez"]]
    assert second.json_body["next_cursor"] is None


def encoded(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        "e30",
        encoded([]),
        encoded({"found": 1}),
        encoded({"found": "anything"}),
        encoded({"found": "2026-11-02T15:00:00+00:00#RPD-AAAA-BBBB", "term": "x"}),
        encoded({"term": {"S": "x"}, "found": {"S": "2026-11-02T15:00:00+00:00#RPD-AAAA-BBBB"}}),
        "A" * 1000,
    ],
)
def test_a_forged_cursor_is_refused(searchable: Searchable, cursor: str) -> None:
    response, calls = searchable.search("jose", cursor=cursor)

    assert response.status_code == 422, response.body
    assert response.json_body["error"]["fields"] == {"cursor": "not valid"}
    assert calls == ["GetItem"], "refused before anything is read"


# -- bad queries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "a" * 101,
        "j" * 100 + " ",
        "a b",
        "- . -",
        "one two three four five six",
        "jose\x00",
        "jose\u200b",
    ],
)
def test_a_query_that_cannot_be_searched_is_refused(searchable: Searchable, typed: str) -> None:
    response, calls = searchable.search(typed)

    assert response.status_code == 422, response.body
    assert set(response.json_body["error"]["fields"]) == {"q"}
    assert calls == ["GetItem"]


def test_a_missing_query_is_refused(searchable: Searchable) -> None:
    response = searchable.get("/api/staff/search")

    assert response.status_code == 422, response.body


def test_something_that_is_not_a_phone_number_is_refused(searchable: Searchable) -> None:
    response, calls = searchable.search("12345")

    assert response.status_code == 422, response.body
    assert "phone number" in response.json_body["error"]["message"]
    assert calls == ["GetItem"]


def test_searching_needs_a_staff_session(searchable: Searchable) -> None:
    client = searchable.api.client
    assert client.http.get("/api/staff/search?q=jose").status_code == 401
    forged = {"Authorization": "Bearer not.a.token"}
    assert client.http.get("/api/staff/search?q=jose", headers=forged).status_code == 401


def test_the_query_is_never_logged(searchable: Searchable, app_log: Any) -> None:
    for typed in ("Jose.Alvarez@Example.com", "José Álvarez", "203-555-0142"):
        assert searchable.search(typed)[0].status_code == 200

    logged = app_log.getvalue().lower()
    assert "staff search" in logged
    for secret in ("alvarez", "example.com", "555", term("name", "alvarez")):
        assert secret not in logged


# -- the pages -----------------------------------------------------------------------------------


def page(searchable: Searchable, path: str) -> Any:
    cookie = {"Cookie": f"{STAFF_COOKIE}={searchable.reviewer}"}
    return searchable.api.client.http.get(path, headers=cookie)


def test_every_staff_page_has_the_search_form(searchable: Searchable) -> None:
    report = f"/staff/reports/{searchable.ids['ortega']}"
    for path in ("/staff/queue", report, "/staff/search?q=x1"):
        html = page(searchable, path).body.decode()
        assert '<form class="staff-search" method="get" action="/staff/search"' in html, path
        assert "Find a report" in html and "Reference, case number, email, phone or name" in html


def test_the_results_page_lists_what_was_found(searchable: Searchable) -> None:
    response = page(searchable, "/staff/search?q=Jos%C3%A9")
    html = response.body.decode()

    assert response.status_code == 200
    assert "Searched for a name with the words <strong>José</strong>" in html
    for key in ("alvarez", "martin", "ortega"):
        assert f'href="/staff/reports/{searchable.ids[key]}"' in html
    assert searchable.case_number in html and "Rejected" in html
    assert 'value="José"' in html  # the header's field keeps the query


def test_the_results_page_says_when_nothing_matches(searchable: Searchable) -> None:
    html = page(searchable, "/staff/search?q=nobody%40example.com").body.decode()

    assert "No reports match" in html
    assert "Searched for the email address <strong>nobody@example.com</strong>" in html


def test_the_results_page_links_to_the_next_page(
    searchable: Searchable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "PAGE_SIZE", 2)
    html = page(searchable, "/staff/search?q=jose").body.decode()

    assert "/staff/search?q=jose&amp;cursor=" in html


def test_the_results_page_explains_a_query_it_cannot_search(searchable: Searchable) -> None:
    response = page(searchable, "/staff/search?q=+")

    assert response.status_code == 422
    assert "There is a problem" in response.body.decode()
    assert 'href="#staff-search-q"' in response.body.decode()


def test_the_results_page_needs_a_session(searchable: Searchable) -> None:
    response = searchable.api.client.http.get("/staff/search?q=jose")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff?expired=1")
