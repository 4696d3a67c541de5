"""Each kind of question: what is accepted, how it is stored, and how a refusal names the field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.agency import Option, Question
from chalicelib.intake.answers import FieldProblems, typed_total, validate_answer

TODAY = date(2026, 11, 2)


def question(kind: str, **options: Any) -> Question:
    if kind == "choice" and "options" not in options:
        options["options"] = (
            Option(value="phone", label="Phone"),
            Option(value="email", label="Email"),
        )
    return Question(id="qq", kind=kind, label="Question", **options)


def answer(kind: str, raw: object, **options: Any) -> Any:
    return validate_answer(question(kind, **options), raw, today=TODAY, _=str)


def refusal(kind: str, raw: object, **options: Any) -> dict[str, str]:
    with pytest.raises(FieldProblems) as raised:
        answer(kind, raw, **options)
    assert all(message for message in raised.value.problems.values())
    return raised.value.problems


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        ("choice", "email", "email"),
        ("yes_no", True, True),
        ("yes_no", "no", False),
        ("date", "2026-11-02", "2026-11-02"),
        ("time", "07:05", "07:05"),
        ("text", "  A quiet street \n", "A quiet street"),
        ("number", "12", 12),
        ("number", 3, 3),
        ("money", "$1,234.5", "1234.50"),
        ("money", 0, "0.00"),
        ("money", "89.99", "89.99"),
        ("money", "$ 1,234.50", "1234.50"),
        ("money", 89.99, "89.99"),
    ],
)
def test_accepted_answers_are_stored_in_one_form(kind: str, raw: object, stored: object) -> None:
    assert answer(kind, raw) == stored


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("choice", "fax"),
        ("choice", ["phone"]),
        ("yes_no", "maybe"),
        ("yes_no", 1),
        ("date", "2026-11-03"),  # tomorrow
        ("date", "02/11/2026"),
        ("date", "2026-02-30"),
        ("date", 20261102),
        ("time", "25:00"),
        ("time", "7pm"),
        ("text", "x" * 501),
        ("text", "<script>alert(1)</script>"),
        ("text", "bell\x07"),
        ("text", "right-to-left\u202eoverride"),
        ("text", 42),
        ("number", "twelve"),
        ("number", -1),
        ("number", True),
        ("number", 2.5),
        ("money", "-5"),
        ("money", "89,99"),
        ("money", "1,23"),
        ("money", "12.345"),
        ("money", "NaN"),
        ("money", "1e12"),
        ("money", [1]),
    ],
)
def test_bad_answers_are_refused_with_the_field_named(kind: str, raw: object) -> None:
    assert set(refusal(kind, raw)) == {"qq"}


def test_a_multiline_text_keeps_its_lines_but_no_other_control_character() -> None:
    assert answer("text", "first\r\nsecond", multiline=True) == "first\nsecond"
    assert refusal("text", "first\x00second", multiline=True)


def test_a_less_than_sign_that_is_not_markup_is_fine() -> None:
    assert answer("text", "worth < $50 & old") == "worth < $50 & old"


def test_a_required_question_needs_an_answer_and_an_optional_one_may_be_blank() -> None:
    assert refusal("time", "") == {"qq": "Enter the time"}
    assert answer("time", "", required=False) is None
    assert answer("text", None, required=False) is None


def test_an_address_names_each_part_at_fault() -> None:
    problems = refusal("address", {"line1": "", "city": "Riverton", "zip": "6600"})

    assert set(problems) == {"qq.line1", "qq.zip"}
    assert answer("address", {"line1": "1 Main St", "city": "Riverton", "zip": "06600-1234"}) == {
        "line1": "1 Main St",
        "line2": "",
        "city": "Riverton",
        "zip": "06600-1234",
    }


def test_items_are_described_valued_and_blank_rows_ignored() -> None:
    stored = answer(
        "items",
        [
            {"description": "Phone", "serial": "SN1", "value": "300"},
            {"description": "", "serial": "", "value": ""},
        ],
    )

    assert stored == [{"description": "Phone", "serial": "SN1", "value": "300.00"}]
    assert set(refusal("items", [{"description": "", "value": "-1"}])) == {
        "qq.0.description",
        "qq.0.value",
    }
    assert set(refusal("items", [])) == {"qq.0.description"}
    assert refusal("items", [{"description": "x", "value": "1"}] * 3, max_items=2) == {
        "qq": "Enter 2 items or fewer"
    }


def test_the_running_total_skips_values_not_typed_correctly_yet() -> None:
    rows = [{"value": "10.50"}, {"value": "oops"}, {"value": "$1,000"}]

    assert str(typed_total(rows)) == "1010.50"


ANY_INPUT = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=600),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["line1", "city", "zip", "description", "value"]), children
        )
    ),
    max_leaves=12,
)


@pytest.mark.parametrize(
    "kind", ["choice", "yes_no", "date", "time", "text", "number", "money", "address", "items"]
)
@given(raw=ANY_INPUT)
def test_any_input_is_stored_or_refused_never_an_unexpected_error(kind: str, raw: object) -> None:
    try:
        answer(kind, raw, required=False)
    except FieldProblems as problems:
        assert problems.problems
