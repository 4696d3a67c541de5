"""Each kind of question: what is accepted, how it is stored, and how a refusal names the field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.agency import ErrorTexts, Option, Question, load_profile
from chalicelib.i18n import translator
from chalicelib.intake.answers import (
    Context,
    FieldProblems,
    missing_message,
    typed_total,
    validate_answer,
    validate_answers,
)

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
        ("phone", "203.555.0142", "(203) 555-0142"),
        ("phone", "+1 203 555 0142", "(203) 555-0142"),
        ("phone", "(203) 555-0142 ext 12", "(203) 555-0142 ext. 12"),
        ("phone", "+44 20 7946 0958", "+44 20 7946 0958"),
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
        ("date", "1900-01-01"),
        ("phone", "call me maybe"),
        ("phone", "911"),
        ("phone", "(555) 010-7788"),  # no such area code
        ("phone", 2035550142),
        ("date", 20261102),
        ("time", "25:00"),
        ("time", "7pm"),
        ("text", "x" * 501),
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


@pytest.mark.parametrize(
    "typed",
    [
        "I <3 it",
        "<",
        "<script>alert(1)</script>",  # stored as text: escaped wherever it is shown
        "Great 👍🏽 thanks",  # a skin tone
        "👨‍👩‍👧 my family",  # joined with zero-width joiners (U+200D, category Cf)
        "❤️ and ☺︎",  # variation selectors
        "🏴󠁧󠁢󠁳󠁣󠁴󠁿 flag",  # a subdivision flag: tag characters
        "🫨 shaking",  # newer than Python's Unicode tables (unassigned to them)
        "سُرقت دراجتي من أمام المنزل",  # Arabic
        "אופניים נגנבו\u200f ליד הבית",  # Hebrew, with the right-to-left mark keyboards type
        "می\u200cخواهم",  # noqa: RUF001 (Persian, with a zero-width non-joiner)
        "Zoë Łukasz-Muñoz",
    ],
)
def test_what_a_phone_keyboard_types_is_accepted_as_typed(typed: str) -> None:
    assert answer("text", typed) == typed


def test_text_is_stored_composed() -> None:
    assert answer("text", "Zoe\u0308") == "Zoë"


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("abc\u202eevil", "a right-to-left override (U+202E): it comes after “abc”"),
        ("\u2066isolated", "a left-to-right isolate (U+2066): it is at the start"),
        ("Main\u200bSt", "a zero width space (U+200B): it comes after “Main”"),
        ("bell\x07", "a control character (U+0007): it comes after “bell”"),
        ("two\nlines", "a line break (U+000A): it comes after “two”"),
        ("tab\tstop", "a tab (U+0009): it comes after “tab”"),
        ("hidden\U000e0041\U000e0042", "an invisible tag character (U+E0041)"),
        ("broken\ud800", "a broken character (U+D800)"),
    ],
)
def test_a_refused_character_is_named_with_where_it_is(typed: str, named: str) -> None:
    message = refusal("text", typed, error=ErrorTexts(subject="Your full name"))["qq"]

    assert message.startswith(f"Your full name must not include {named}")


def test_a_refused_character_is_named_in_spanish() -> None:
    spanish = Context(translator("es"), "es")
    question = Question(
        id="qq", kind="text", label="x", error=ErrorTexts(subject={"en": "Name", "es": "Nombre"})
    )
    with pytest.raises(FieldProblems) as raised:
        validate_answer(question, "abc\u202eevil", today=TODAY, _=spanish)

    assert raised.value.problems["qq"] == (
        "Nombre no puede incluir una marca de sentido de derecha a izquierda forzado (U+202E):"
        " está después de «abc»"
    )


def test_a_required_question_needs_an_answer_and_an_optional_one_may_be_blank() -> None:
    assert refusal("time", "") == {"qq": "Enter an answer for “Question”"}
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
        "qq": "The answer to “Question” must have 2 items or fewer"
    }


def test_each_item_is_named_by_its_number() -> None:
    problems = refusal(
        "items", [{"description": "", "value": "5"}, {"description": "", "value": "x"}]
    )

    assert problems == {
        "qq.0.description": "Describe item 1",
        "qq.1.description": "Describe item 2",
        "qq.1.value": "The value of item 2 must be an amount in dollars, like 120 or 89.99",
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
    "kind",
    ["choice", "yes_no", "date", "time", "text", "number", "money", "address", "items", "phone"],
)
@given(raw=ANY_INPUT)
def test_any_input_is_stored_or_refused_never_an_unexpected_error(kind: str, raw: object) -> None:
    try:
        answer(kind, raw, required=False)
    except FieldProblems as problems:
        assert problems.problems


def test_a_phone_number_is_read_and_written_in_the_agencys_region() -> None:
    british = Context(str, "en", phone_region="GB")
    phone = question("phone")

    assert validate_answer(phone, "020 7946 0958", today=TODAY, _=british) == "020 7946 0958"
    assert validate_answer(phone, "+1 203 555 0142", today=TODAY, _=british) == "+1 203-555-0142"


def test_a_phone_number_that_is_not_one_says_what_one_looks_like() -> None:
    problems = refusal("phone", "call me maybe", error=ErrorTexts(subject="Your phone number"))

    assert problems == {"qq": "Your phone number must be a phone number, like (201) 555-0123"}


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The date it happened must be after November 2, 1926"),
        ("es", "La fecha en que ocurrió debe ser posterior al 2 de noviembre de 1926"),
    ],
)
def test_a_date_too_long_ago_is_named_as_the_date_field_shows_dates(
    language: str, message: str
) -> None:
    dated = Question(
        id="qq",
        kind="date",
        label="Date",
        error=ErrorTexts(subject={"en": "The date it happened", "es": "La fecha en que ocurrió"}),
    )
    spoken = Context(translator(language), language)

    with pytest.raises(FieldProblems) as raised:
        validate_answer(dated, "1900-01-01", today=TODAY, _=spoken)

    assert raised.value.problems == {"qq": message}
    assert "1926-11-02" not in message
    assert validate_answer(dated, "1926-11-03", today=TODAY, _=spoken) == "1926-11-03"


def test_messages_name_their_question_from_the_profile_or_from_its_label() -> None:
    named = ErrorTexts(missing="Enter your full name", subject="Your full name")

    assert refusal("text", "", error=named) == {"qq": "Enter your full name"}
    assert refusal("text", "x" * 501, error=named) == {
        "qq": "Your full name must be 500 characters or fewer"
    }
    assert refusal("yes_no", "") == {"qq": "Select yes or no for “Question”"}
    assert refusal(
        "yes_no", "perhaps", error=ErrorTexts(missing="Select yes if anyone was hurt")
    ) == {"qq": "Select yes if anyone was hurt"}
    assert refusal("number", "twelve") == {"qq": "The answer to “Question” must be a whole number"}


DEMO = load_profile("demo")
WHEN = {q.id: q for step in DEMO.steps for q in step.questions}


def checked(
    raw: dict[str, Any], now: datetime, stored: dict[str, Any] | None = None, language: str = "en"
) -> dict[str, Any]:
    return validate_answers(
        DEMO,
        WHEN,
        raw,
        stored=stored or {},
        now=now,
        language=language,
        gettext=translator(language),
    )


def problems_of(
    raw: dict[str, Any], now: datetime, stored: dict[str, Any] | None = None, language: str = "en"
) -> dict[str, str]:
    with pytest.raises(FieldProblems) as raised:
        checked(raw, now, stored, language)
    return raised.value.problems


# 02:45 in Riverton (America/New_York) on 2 November 2026 is 07:45 UTC.
AT_2_45 = datetime(2026, 11, 2, 7, 45, tzinfo=UTC)


def test_a_time_later_today_is_in_the_future_in_the_agencys_zone() -> None:
    later_today = {"incident_date": "2026-11-02", "incident_time": "23:59"}

    assert problems_of(later_today, AT_2_45) == {
        "incident_time": "The time it happened must be in the past: it is 02:45 now"
    }
    assert problems_of(later_today, AT_2_45, language="es") == {
        "incident_time": "La hora en que ocurrió debe estar en el pasado: ahora son las 02:45"
    }
    assert checked({"incident_date": "2026-11-02", "incident_time": "02:45"}, AT_2_45)
    assert checked({"incident_date": "2026-11-01", "incident_time": "23:59"}, AT_2_45)


def test_a_date_moved_to_today_is_checked_against_the_time_already_saved() -> None:
    assert set(
        problems_of({"incident_date": "2026-11-02"}, AT_2_45, {"incident_time": "23:59"})
    ) == {"incident_time"}


def test_utc_tomorrow_is_still_today_in_riverton() -> None:
    """23:30 on 1 November in Riverton is 04:30 UTC on the 2nd: the 2nd is not yet a date."""
    late_evening = datetime(2026, 11, 2, 4, 30, tzinfo=UTC)

    assert set(problems_of({"incident_date": "2026-11-02"}, late_evening)) == {"incident_date"}


@pytest.mark.parametrize(
    ("city", "zip_code", "field", "message"),
    [
        (
            "Riverton",
            "10004",
            "incident_location.zip",
            "ZIP code 10004 is not in Riverton: check the ZIP code, and the town or city",
        ),
        (
            "New York",
            "06600",
            "incident_location.city",
            "ZIP code 06600 is in Riverton, not New York: check the town or city, and the ZIP code",
        ),
        (
            "Riverton",
            "06615",
            "incident_location.city",
            "ZIP code 06615 is in Lordship, not Riverton: check the town or city, and the ZIP code",
        ),
    ],
)
def test_a_city_and_zip_code_that_disagree_are_asked_about(
    city: str, zip_code: str, field: str, message: str
) -> None:
    where = {"incident_location": {"line1": "1 Main St", "city": city, "zip": zip_code}}

    assert problems_of(where, AT_2_45) == {field: message}


def test_an_address_wholly_outside_or_wholly_inside_passes_to_screening() -> None:
    for city, zip_code in [("New York", "10004"), ("Lordship", "06615")]:
        where = {"incident_location": {"line1": "1 Main St", "city": city, "zip": zip_code}}
        assert checked(where, AT_2_45)


def test_the_home_address_may_be_anywhere() -> None:
    home = {"reporter_address": {"line1": "1 Main St", "city": "Riverton", "zip": "10004"}}

    assert checked(home, AT_2_45)


def test_every_message_on_a_demo_step_is_its_own_in_both_languages() -> None:
    """All of a step's questions left blank: the error summary lists distinct messages."""
    for language in ("en", "es"):
        _ = Context(translator(language), language)
        for step in DEMO.steps:
            messages = [missing_message(q, _) for q in step.questions]
            assert len(set(messages)) == len(messages), (step.id, messages)


def test_markup_in_an_answer_is_shown_escaped_on_the_check_and_staff_pages() -> None:
    """Both pages show answers with one macro, in a template Jinja autoescapes."""
    from chalicelib.rendering import template_environment

    fields = template_environment("en").get_template("pages/report/_fields.html")
    narrative = WHEN["narrative"]
    typed = checked({"narrative": "I <3 it <script>alert(1)</script> 👨‍👩‍👧"}, AT_2_45)["narrative"]

    shown = str(fields.module.show_answer(narrative, typed))  # type: ignore[attr-defined]

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "<script>" not in shown
    assert "I &lt;3 it" in shown
    assert "👨‍👩‍👧" in shown


def test_the_quick_look_for_refused_characters_misses_none() -> None:
    from chalicelib.intake import answers

    missed = [
        f"U+{code:04X}"
        for code in range(0x110000)
        if answers._refused_name(chr(code), set()) is not None
        and not answers._MAYBE_REFUSED.fullmatch(chr(code))
    ]

    assert missed == []
