"""When it happened, as a range: the answer, the too-old rule, the copy's text, the export."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from chalicelib.agency import load_profile
from chalicelib.documents import answer_text
from chalicelib.intake.answers import FieldProblems, validate_answer
from chalicelib.intake.screening import first_rule_that_fires
from chalicelib.models import Report
from chalicelib.records import export_document
from tests.support.answers import theft_answers

TODAY = date(2026, 11, 2)
PROFILE = load_profile("demo")
WHEN = next(q for step in PROFILE.steps for q in step.questions if q.id == "incident_date")
SCHEMA = json.loads(
    (Path(__file__).parents[2] / "chalicelib/schemas/records-export.v1.json").read_text()
)


def answer(raw: object) -> Any:
    return validate_answer(WHEN, raw, today=TODAY, _=str)


def problems(raw: object) -> dict[str, str]:
    with pytest.raises(FieldProblems) as refused:
        answer(raw)
    return refused.value.problems


def test_the_demo_profile_asks_for_a_range() -> None:
    assert WHEN.kind == "date_range"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ({"from": "2026-03-03", "to": "2026-03-05"}, {"from": "2026-03-03", "to": "2026-03-05"}),
        ({"from": "2026-03-03", "to": ""}, {"from": "2026-03-03", "to": None}),
        ({"from": None, "to": "2026-03-05"}, {"from": None, "to": "2026-03-05"}),
        ({"to": "2026-03-05"}, {"from": None, "to": "2026-03-05"}),
        ({"from": "2026-03-03", "to": "2026-03-03"}, "2026-03-03"),  # one day is stored as a day
        ("2026-03-03", "2026-03-03"),  # what a client of the single date still sends
    ],
)
def test_a_range_may_leave_either_end_open(raw: object, stored: object) -> None:
    assert answer(raw) == stored


def test_at_least_one_end_is_needed() -> None:
    assert set(problems({"from": "", "to": " "})) == {"incident_date.from"}


def test_the_start_comes_before_the_end() -> None:
    assert set(problems({"from": "2026-03-05", "to": "2026-03-03"})) == {"incident_date.to"}


def test_each_end_has_its_own_error() -> None:
    refused = problems({"from": "2999-01-01", "to": "soon"})
    assert set(refused) == {"incident_date.from", "incident_date.to"}
    assert problems({"from": "2026-01-01", "to": "2999-01-01"}).keys() == {"incident_date.to"}
    assert problems({"from": "1900-01-01", "to": ""}).keys() == {"incident_date.from"}


def test_a_single_date_from_an_older_client_keeps_its_field_name() -> None:
    assert set(problems("2999-01-01")) == {"incident_date"}


ENDS = st.none() | st.text(max_size=12) | st.dates().map(date.isoformat) | st.integers()


@settings(deadline=None)
@given(raw=st.dictionaries(st.sampled_from(["from", "to", "other"]), ENDS) | ENDS)
def test_any_input_is_stored_or_refused_never_an_unexpected_error(raw: object) -> None:
    try:
        stored = answer(raw)
    except FieldProblems as refused:
        assert refused.problems
    else:
        assert stored is None or isinstance(stored, str | dict)


@pytest.mark.parametrize("raw", [["2026-03-03"], {"from": "2026-03-03", "until": "x"}, 20260303])
def test_other_shapes_are_refused(raw: object) -> None:
    assert problems(raw)


@pytest.mark.parametrize(
    ("when", "too_old"),
    [
        ({"from": "2025-06-01", "to": "2026-01-01"}, False),  # the latest day is recent enough
        ({"from": "2025-06-01", "to": None}, True),  # only the start known: it is the latest
        ({"from": None, "to": "2025-06-01"}, True),
        ({"from": None, "to": "2026-10-01"}, False),
        ("2025-06-01", True),
    ],
)
def test_too_old_uses_the_latest_known_day(when: object, too_old: bool) -> None:
    rule = first_rule_that_fires(PROFILE, {**theft_answers(TODAY), "incident_date": when}, TODAY)
    assert (rule.id if rule else None) == ("too_old" if too_old else None)


@pytest.mark.parametrize(
    ("when", "english", "spanish"),
    [
        (
            {"from": "2026-03-03", "to": "2026-03-05"},
            "Between March 3, 2026 and March 5, 2026",
            "Entre el 3 de marzo de 2026 y el 5 de marzo de 2026",
        ),
        (
            {"from": "2026-03-03", "to": None},
            "On or after March 3, 2026",
            "El 3 de marzo de 2026 o después",
        ),
        (
            {"from": None, "to": "2026-03-05"},
            "On or before March 5, 2026",
            "El 5 de marzo de 2026 o antes",
        ),
        ("2026-03-03", "March 3, 2026", "3 de marzo de 2026"),
    ],
)
def test_the_copy_says_when_in_words(when: object, english: str, spanish: str) -> None:
    assert answer_text(WHEN, when, "en") == english
    assert answer_text(WHEN, when, "es") == spanish


def approved(when: object) -> Report:
    moment = datetime(2026, 11, 2, 15, 0)
    return Report(
        report_id="RPD-7K4M-Q2XH",
        owner_key="owner",
        contact_email="zoe@example.com",
        language="en",
        incident_type="theft",
        status="approved",
        answers={**theft_answers(TODAY), "incident_date": when},
        created_at=moment,
        updated_at=moment,
        submitted_at=moment,
        decided_at=moment,
        decided_by="reviewer",
        decision="approve",
        case_number="RPD-2026-000007",
    )


@pytest.mark.parametrize(
    ("when", "incident"),
    [
        ("2026-03-03", {"date": "2026-03-03"}),  # one day: the document reads as before
        (
            {"from": "2026-03-03", "to": "2026-03-05"},
            {"date": "2026-03-03", "date_end": "2026-03-05"},
        ),
        ({"from": None, "to": "2026-03-05"}, {"date": None, "date_end": "2026-03-05"}),
    ],
)
def test_the_export_keeps_date_as_the_start_and_adds_the_end(
    when: object, incident: dict[str, Any]
) -> None:
    document = export_document(PROFILE, approved(when))

    Draft202012Validator(SCHEMA).validate(document)
    dates = {k: v for k, v in document["incident"].items() if k.startswith("date")}
    assert dates == incident
