"""What a resident may answer to each kind of question, and how an answer is stored.

`validate_answer` turns raw input (JSON values, or strings from a form) into the stored value,
or raises `FieldProblems` naming every field at fault, in the resident's language;
`validate_answers` checks a step's answers together as well (a time later today is in the
future; an address's city and ZIP code agree). Every message names its question (GOV.UK's
error messages do), in the words of the profile's `error` texts or, failing those, its label.

Text is what a person types on a phone keyboard, markup included ("I <3 it"): it is stored as
typed and escaped wherever it is shown. Refused are only characters that are not text or that
change how other text looks without being seen (controls, direction overrides), and the
message names the one refused and where it is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..agency import Question, localise

if TYPE_CHECKING:
    from ..agency import AgencyProfile

MAX_MONEY = Decimal("10000000")
CENT = Decimal("0.01")
EARLIEST_YEARS = 100
MAX_PHONE = 40
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_AMOUNT = re.compile(r"^\$?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")
ADDRESS_PARTS = {"line1": 100, "line2": 100, "city": 60, "zip": 10}
ITEM_PARTS = {"description": 200, "serial": 100}

Answer = Any
Gettext = Callable[[str], str]


@dataclass(frozen=True)
class Context:
    """What a check needs besides the answer: gettext in the resident's language, the language
    itself (a message quotes the profile's texts in it) and the agency's phone region.

    Callable as gettext, so that every validator takes it as its `_`."""

    gettext: Gettext = str
    language: str = "en"
    phone_region: str = "US"

    def __call__(self, message: str) -> str:
        return self.gettext(message)


def context(_: Gettext) -> Context:
    return _ if isinstance(_, Context) else Context(_)


class FieldProblems(ValueError):
    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = dict(problems)


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def validate_answer(question: Question, raw: object, *, today: date, _: Gettext) -> Answer:
    """The stored value of an answer (None for a blank optional one). `_` is gettext, or a
    `Context` that also gives the language and the phone region."""
    if question.kind not in ("address", "items") and is_blank(raw):
        if question.required:
            raise FieldProblems({question.id: missing_message(question, _)})
        return None
    validator = _VALIDATORS[question.kind]
    return validator(question, raw, today, _)


def validate_answers(
    profile: AgencyProfile,
    questions: Mapping[str, Question],
    raw: Mapping[Any, object],
    *,
    stored: Mapping[str, Any],
    now: datetime,
    language: str,
    gettext: Gettext,
) -> dict[str, Answer]:
    """The stored values of some answers to a report's `questions`, each checked alone and then
    with the others given or `stored`: in the agency's time zone, a time on today's date may
    not be later than `now`; an address the jurisdiction rule reads must have a city and a
    ZIP code that agree. Raises FieldProblems naming every field at fault."""
    _ = Context(gettext, language, profile.phone_region)
    local = now.astimezone(profile.zone)
    today = local.date()
    problems: dict[str, str] = {}
    accepted: dict[str, Answer] = {}
    for question_id, value in raw.items():
        question = questions.get(str(question_id))
        if question is None:
            problems[f"answers.{question_id}"] = _("This report has no such question")
            continue
        try:
            accepted[question.id] = validate_answer(question, value, today=today, _=_)
        except FieldProblems as error:
            problems.update(error.problems)
    answers = {**stored, **accepted}
    for question in questions.values():
        paired = question.date_question
        if (
            paired
            and {question.id, paired} & set(accepted)
            and not {question.id, paired} & set(problems)
        ):
            problems.update(_time_not_later_today(question, answers, local, _))
    for rule in profile.screening:
        if rule.operator == "outside_jurisdiction":
            for question_id in rule.questions:
                if question_id in accepted and question_id in questions:
                    problems.update(
                        _city_and_zip_agree(profile, questions[question_id], accepted, _)
                    )
    if problems:
        raise FieldProblems(problems)
    return accepted


def subject(question: Question, _: Gettext) -> str:
    """How a message about the answer begins: "Your full name", "The date it happened"."""
    c = context(_)
    if question.error and question.error.subject:
        return localise(question.error.subject, c.language)
    return _("The answer to “%(label)s”") % {"label": localise(question.label, c.language)}


def missing_message(question: Question, _: Gettext) -> str:
    """The message for a required question left unanswered: "Select yes if anyone was hurt"."""
    c = context(_)
    if question.error and question.error.missing:
        return localise(question.error.missing, c.language)
    label = localise(question.label, c.language)
    if question.kind == "yes_no":
        return _("Select yes or no for “%(label)s”") % {"label": label}
    if question.kind == "choice":
        return _("Select an answer for “%(label)s”") % {"label": label}
    return _("Enter an answer for “%(label)s”") % {"label": label}


_FLAG_TAGS = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
"""The invisible tags that spell a subdivision's flag (🏴 + "gbsct" + cancel tag): the only
text where tag characters are meant to be."""

_DIRECTION_CONTROLS = {
    "\u202a": "a left-to-right embedding",
    "\u202b": "a right-to-left embedding",
    "\u202c": "a pop directional formatting character",
    "\u202d": "a left-to-right override",
    "\u202e": "a right-to-left override",
    "\u2066": "a left-to-right isolate",
    "\u2067": "a right-to-left isolate",
    "\u2068": "a first strong isolate",
    "\u2069": "a pop directional isolate",
}
"""They reorder the text around them (the "Trojan Source" trick): what staff read would not be
what was typed. The marks (U+200E, U+200F, U+061C), which right-to-left keyboards type, only
give an invisible letter a direction, and are accepted."""

_INVISIBLE = {
    "\u00ad": "a soft hyphen",
    "\u180e": "a Mongolian vowel separator",
    "\u200b": "a zero width space",
    "\u2060": "a word joiner",
    "\ufeff": "a zero width no-break space",
    "\u115f": "a blank filler character",
    "\u1160": "a blank filler character",
    "\u3164": "a blank filler character",
    "\uffa0": "a blank filler character",
}
"""Characters that show nothing and join nothing: they only hide a word from a search, or make
two names look alike. Joiners that shape text (U+200C, U+200D, in emoji such as 👨‍👩‍👧 and in
Arabic and Indic scripts), variation selectors and skin tones are text, and accepted."""


def _refused_name(character: str, allowed: set[str]) -> str | None:
    """What a refused character is called, in words for the message (untranslated); None if
    it is text."""
    if character in allowed:
        return None
    if character == "\n":
        return "a line break"
    if character == "\t":
        return "a tab"
    if character in _DIRECTION_CONTROLS:
        return _DIRECTION_CONTROLS[character]
    if character in _INVISIBLE:
        return _INVISIBLE[character]
    category = unicodedata.category(character)
    if category == "Cc":
        return "a control character"
    if category == "Cs":
        return "a broken character"
    if character in "\ufffe\uffff":
        return "a character that is not text"
    code = ord(character)
    if 0x2061 <= code <= 0x2064 or 0x206A <= code <= 0x206F or 0xFFF9 <= code <= 0xFFFB:
        return "an invisible formatting character"
    if 0xE0000 <= code <= 0xE007F:
        return "an invisible tag character"
    return None


def _character_name(name: str, _: Gettext) -> str:
    """A refused character's name in the resident's language."""
    names = {
        "a line break": _("a line break"),
        "a tab": _("a tab"),
        "a left-to-right embedding": _("a left-to-right embedding"),
        "a right-to-left embedding": _("a right-to-left embedding"),
        "a pop directional formatting character": _("a pop directional formatting character"),
        "a left-to-right override": _("a left-to-right override"),
        "a right-to-left override": _("a right-to-left override"),
        "a left-to-right isolate": _("a left-to-right isolate"),
        "a right-to-left isolate": _("a right-to-left isolate"),
        "a first strong isolate": _("a first strong isolate"),
        "a pop directional isolate": _("a pop directional isolate"),
        "a soft hyphen": _("a soft hyphen"),
        "a Mongolian vowel separator": _("a Mongolian vowel separator"),
        "a zero width space": _("a zero width space"),
        "a word joiner": _("a word joiner"),
        "a zero width no-break space": _("a zero width no-break space"),
        "a blank filler character": _("a blank filler character"),
        "a control character": _("a control character"),
        "a broken character": _("a broken character"),
        "a character that is not text": _("a character that is not text"),
        "an invisible formatting character": _("an invisible formatting character"),
        "an invisible tag character": _("an invisible tag character"),
    }
    return names.get(name, name)


_MAYBE_REFUSED = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u115f\u1160\u180e\u200b\u202a-\u202e\u2060-\u2064"
    r"\u2066-\u206f\u3164\ud800-\udfff\ufeff\uffa0\ufff9-\ufffb\ufffe\uffff\U000e0000-\U000e007f]"
)
"""Every character `_refused_name` may refuse: a quick first look, so that a long answer is
not read one character at a time."""


def refused_character(text: str, *, multiline: bool = False) -> tuple[int, str] | None:
    """The first character refused in `text`, as its position and its (English) name."""
    allowed = {"\n", "\t"} if multiline else set()
    flags: set[int] | None = None
    for match in _MAYBE_REFUSED.finditer(text):
        index = match.start()
        if flags is None:
            flags = {i for tags in _FLAG_TAGS.finditer(text) for i in range(*tags.span())}
        if index not in flags and (name := _refused_name(text[index], allowed)) is not None:
            return index, name
    return None


def clean_text(
    raw: object,
    field: str,
    max_length: int,
    _: Gettext,
    *,
    multiline: bool = False,
    subject: str | None = None,
) -> str:
    """Text as typed, trimmed, its line ends made "\\n" and its characters composed (NFC).

    `subject` begins the messages ("Your full name must be…"). Text may hold "<" and ">": it is
    escaped wherever it is shown."""
    what = subject or _("Your answer")
    if not isinstance(raw, str):
        raise FieldProblems({field: _("%(subject)s must be text") % {"subject": what}})
    text = re.sub("\r\n|[\r\u0085\u2028\u2029]", "\n", raw).strip()
    text = unicodedata.normalize("NFC", text)
    refused = refused_character(text, multiline=multiline)
    if refused is not None:
        index, name = refused
        values = {
            "subject": what,
            "character": _character_name(name, _),
            "code": f"U+{ord(text[index]):04X}",
            "before": " ".join(text[max(0, index - 20) : index].split()),
        }
        message = (
            _("%(subject)s must not include %(character)s (%(code)s): it comes after “%(before)s”")
            if values["before"]
            else _("%(subject)s must not include %(character)s (%(code)s): it is at the start")
        )
        raise FieldProblems({field: message % values})
    if len(text) > max_length:
        raise FieldProblems(
            {
                field: _("%(subject)s must be %(max)d characters or fewer")
                % {"subject": what, "max": max_length}
            }
        )
    return text


def _choice(question: Question, raw: object, today: date, _: Gettext) -> str:
    values = {option.value for option in question.options}
    if not isinstance(raw, str) or raw not in values:
        raise FieldProblems({question.id: missing_message(question, _)})
    return raw


def _yes_no(question: Question, raw: object, today: date, _: Gettext) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw in ("yes", "no"):
        return raw == "yes"
    raise FieldProblems({question.id: missing_message(question, _)})


def earliest_date(today: date) -> date:
    """The last day too long ago to be a real date of an incident: today, 100 years ago."""
    try:
        return today.replace(year=today.year - EARLIEST_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - EARLIEST_YEARS, day=28)


def long_date(day: date, language: str) -> str:
    """A date as words, as a date field shows it: "December 1, 1926", "1 de diciembre de 1926"."""
    from babel.dates import format_date  # imported on first use: it is large

    return str(format_date(day, format="long", locale=language))


def _date(question: Question, raw: object, today: date, _: Gettext) -> str:
    """A date in `YYYY-MM-DD` (what a date field sends), today or before, within 100 years."""
    what = subject(question, _)
    try:
        value = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        value = None
    if value is None:
        raise FieldProblems({question.id: _("%(subject)s must be a real date") % {"subject": what}})
    if value > today:
        raise FieldProblems(
            {question.id: _("%(subject)s must be today or in the past") % {"subject": what}}
        )
    earliest = earliest_date(today)
    if value <= earliest:
        raise FieldProblems(
            {
                question.id: _("%(subject)s must be after %(date)s")
                % {"subject": what, "date": long_date(earliest, context(_).language)}
            }
        )
    return value.isoformat()


def _date_range(question: Question, raw: object, today: date, _: Gettext) -> Answer:
    """When it happened, as one day ("2026-03-03", also what an older client sends) or
    between two days, either end optional: `{"from": ..., "to": ...}`. Each end is checked as a
    date; the two ends of a range as one day are stored as that day."""
    if isinstance(raw, str):
        return _date(question, raw, today, _)
    if not isinstance(raw, Mapping) or set(raw) - {"from", "to"}:
        raise FieldProblems({question.id: _("Enter the dates as from and to")})
    ends: dict[str, str | None] = {}
    problems: dict[str, str] = {}
    for side in ("from", "to"):
        value = raw.get(side)
        if is_blank(value):
            ends[side] = None
            continue
        try:
            ends[side] = _date(question, value, today, _)
        except FieldProblems as error:
            problems[f"{question.id}.{side}"] = next(iter(error.problems.values()))
    if problems:
        raise FieldProblems(problems)
    start, end = ends["from"], ends["to"]
    if start is None and end is None:
        if question.required:
            raise FieldProblems({f"{question.id}.from": _("Enter at least one of the dates")})
        return None
    if start is not None and end is not None and start > end:
        message = _("The first date must be the same as or before the second")
        raise FieldProblems({f"{question.id}.to": message})
    if start == end:
        return start
    return {"from": start, "to": end}


def date_bounds(answer: Answer) -> tuple[date | None, date | None]:
    """The first and last day an answer of a date or a date range allows (None: not known)."""
    if isinstance(answer, Mapping):
        return parse_date(answer.get("from")), parse_date(answer.get("to"))
    day = parse_date(answer)
    return day, day


def _time(question: Question, raw: object, today: date, _: Gettext) -> str:
    if not isinstance(raw, str) or not _TIME.match(raw.strip()):
        raise FieldProblems(
            {
                question.id: _("%(subject)s must be a real time, like 14:30")
                % {"subject": subject(question, _)}
            }
        )
    return raw.strip()


def _time_not_later_today(
    question: Question, answers: Mapping[str, Any], now: datetime, _: Gettext
) -> dict[str, str]:
    """A time on today's date must not be later than now (in the agency's zone)."""
    day, time = parse_date(answers.get(question.date_question or "")), answers.get(question.id)
    if day != now.date() or not isinstance(time, str) or time <= now.strftime("%H:%M"):
        return {}
    message = _("%(subject)s must be in the past: it is %(now)s now") % {
        "subject": subject(question, _),
        "now": now.strftime("%H:%M"),
    }
    return {question.id: message}


def _text(question: Question, raw: object, today: date, _: Gettext) -> str:
    return clean_text(
        raw,
        question.id,
        question.max_length,
        _,
        multiline=question.multiline,
        subject=subject(question, _),
    )


def _phone(question: Question, raw: object, today: date, _: Gettext) -> str:
    """A phone number the agency can call, in one format: the region's own ("(203) 555-0142")
    for its numbers, the international one ("+44 20 7946 0958") for others."""
    import phonenumbers  # its metadata is large: loaded when a phone number is first checked

    c, what = context(_), subject(question, _)
    text = clean_text(raw, question.id, MAX_PHONE, _, subject=what)
    try:
        number = phonenumbers.parse(text, c.phone_region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        example = phonenumbers.example_number_for_type(
            c.phone_region, phonenumbers.PhoneNumberType.MOBILE
        )
        shown = (
            phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
            if example
            else "+1 201 555 0123"
        )
        raise FieldProblems(
            {
                question.id: _("%(subject)s must be a phone number, like %(example)s")
                % {"subject": what, "example": shown}
            }
        )
    own = number.country_code == phonenumbers.country_code_for_region(c.phone_region)
    return str(
        phonenumbers.format_number(
            number,
            phonenumbers.PhoneNumberFormat.NATIONAL
            if own
            else phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        )
    )


def _number(question: Question, raw: object, today: date, _: Gettext) -> int:
    what = subject(question, _)
    not_whole = _("%(subject)s must be a whole number") % {"subject": what}
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise FieldProblems({question.id: not_whole})
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise FieldProblems({question.id: not_whole}) from None
    low = question.minimum if question.minimum is not None else 0
    high = question.maximum if question.maximum is not None else 1_000_000
    if not low <= value <= high:
        raise FieldProblems(
            {
                question.id: _("%(subject)s must be a number from %(low)d to %(high)d")
                % {"subject": what, "low": low, "high": high}
            }
        )
    return value


def money(raw: object, field: str, _: Gettext, *, subject: str | None = None) -> str:
    """An amount in dollars and cents, stored as a string so that no float rounds it."""
    values = {"subject": subject or _("The amount")}
    not_money = _("%(subject)s must be an amount in dollars, like 120 or 89.99") % values
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise FieldProblems({field: not_money})
    text = str(raw).strip()
    if text.startswith("-"):
        raise FieldProblems({field: _("%(subject)s cannot be negative") % values})
    # "89,99" must not become 8999: a comma only ever groups thousands here.
    if not _AMOUNT.match(text):
        raise FieldProblems({field: not_money})
    value = Decimal(text.removeprefix("$").strip().replace(",", ""))
    if value > MAX_MONEY:
        raise FieldProblems({field: _("%(subject)s must be $10,000,000 or less") % values})
    return str(value.quantize(CENT))


def _money(question: Question, raw: object, today: date, _: Gettext) -> str:
    return money(raw, question.id, _, subject=subject(question, _))


def _address(question: Question, raw: object, today: date, _: Gettext) -> dict[str, str] | None:
    if raw is None or (isinstance(raw, dict) and all(is_blank(v) for v in raw.values())):
        if question.required:
            raise FieldProblems({f"{question.id}.line1": missing_message(question, _)})
        return None
    if not isinstance(raw, dict):
        raise FieldProblems(
            {
                question.id: _(
                    "%(subject)s must have a street address, a town or city and a ZIP code"
                )
                % {"subject": subject(question, _)}
            }
        )
    parts = {
        "line1": _("The street address"),
        "line2": _("The apartment, suite or floor"),
        "city": _("The town or city"),
        "zip": _("The ZIP code"),
    }
    address, problems = _clean_parts(raw, question.id, ADDRESS_PARTS, parts, _)
    if not problems:
        if not address["line1"]:
            problems[f"{question.id}.line1"] = _("Enter the street address")
        if not address["city"]:
            problems[f"{question.id}.city"] = _("Enter the town or city")
        if not address["zip"]:
            problems[f"{question.id}.zip"] = _("Enter the ZIP code")
        elif not _ZIP.match(address["zip"]):
            problems[f"{question.id}.zip"] = _("The ZIP code must be 5 digits, like 06600")
    if problems:
        raise FieldProblems(problems)
    return address


def _city_and_zip_agree(
    profile: AgencyProfile, question: Question, answers: Mapping[str, Any], _: Gettext
) -> dict[str, str]:
    """An address where one of the city and the ZIP code is ours and the other does not go
    with it is mistyped, most likely: ask to check it, rather than take a report we cannot
    handle or stop one (and lose its answers) over a typo. Neither ours: outside, screening's
    business."""
    address = answers.get(question.id)
    if not isinstance(address, Mapping):
        return {}
    city, code = str(address.get("city", "")), str(address.get("zip", ""))[:5]
    place = profile.jurisdiction.place(city, code)
    if place == "other_zip":
        message = _("ZIP code %(zip)s is not in %(city)s: check the ZIP code, and the town or city")
        return {f"{question.id}.zip": message % {"zip": code, "city": city}}
    if place == "other_city":
        cities = ", ".join(profile.jurisdiction.zip_codes.get(code, ()))
        message = _(
            "ZIP code %(zip)s is in %(cities)s, not %(city)s: check the town or city, "
            "and the ZIP code"
        )
        return {f"{question.id}.city": message % {"zip": code, "cities": cities, "city": city}}
    return {}


def _clean_parts(
    raw: Mapping[str, Any],
    prefix: str,
    parts: Mapping[str, int],
    subjects: Mapping[str, str],
    _: Gettext,
) -> tuple[dict[str, str], dict[str, str]]:
    """The text parts of a compound answer (an address, an item), and each part's problem."""
    cleaned: dict[str, str] = {}
    problems: dict[str, str] = {}
    for part, max_length in parts.items():
        try:
            cleaned[part] = clean_text(
                raw.get(part) or "", f"{prefix}.{part}", max_length, _, subject=subjects[part]
            )
        except FieldProblems as error:
            problems.update(error.problems)
    return cleaned, problems


def _items(question: Question, raw: object, today: date, _: Gettext) -> list[dict[str, str]] | None:
    what = subject(question, _)
    rows = [] if raw is None else raw
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise FieldProblems(
            {question.id: _("%(subject)s must be a list of items") % {"subject": what}}
        )
    rows = [row for row in rows if not all(is_blank(value) for value in row.values())]
    if not rows:
        if question.required:
            raise FieldProblems({f"{question.id}.0.description": missing_message(question, _)})
        return None
    if len(rows) > question.max_items:
        raise FieldProblems(
            {
                question.id: _("%(subject)s must have %(max)d items or fewer")
                % {"subject": what, "max": question.max_items}
            }
        )
    problems: dict[str, str] = {}
    items: list[dict[str, str]] = []
    for index, row in enumerate(rows):
        number = {"number": index + 1}
        subjects = {
            "description": _("The description of item %(number)d") % number,
            "serial": _("The serial number of item %(number)d") % number,
        }
        key = f"{question.id}.{index}"
        item, row_problems = _clean_parts(row, key, ITEM_PARTS, subjects, _)
        problems.update(row_problems)
        if not problems.get(f"{key}.description") and not item.get("description"):
            problems[f"{key}.description"] = _("Describe item %(number)d") % number
        kind = row.get("kind")
        if question.item_kinds and not is_blank(kind):
            if kind not in {option.value for option in question.item_kinds}:
                problems[f"{key}.kind"] = _("Select what item %(number)d is from the list") % number
            else:
                item["kind"] = kind
        if is_blank(row.get("value")):
            problems[f"{key}.value"] = _("Enter the value of item %(number)d") % number
        else:
            try:
                item["value"] = money(
                    row.get("value"),
                    f"{key}.value",
                    _,
                    subject=_("The value of item %(number)d") % number,
                )
            except FieldProblems as error:
                problems.update(error.problems)
        items.append(item)
    if problems:
        raise FieldProblems(problems)
    return items


def items_total(items: list[dict[str, str]] | None) -> Decimal:
    return sum((Decimal(item["value"]) for item in items or []), Decimal(0))


def typed_total(rows: object) -> Decimal:
    """The total of the values typed so far, skipping any that are not amounts yet."""
    total = Decimal(0)
    for row in rows if isinstance(rows, list) else []:
        try:
            total += Decimal(money(row.get("value") if isinstance(row, dict) else None, "", str))
        except FieldProblems:
            continue
    return total


def amount(answer: Answer) -> Decimal:
    """The money an answer stands for: an amount, a number, or the total of a list of items."""
    if isinstance(answer, list):
        return items_total(answer)
    if isinstance(answer, str | int) and not isinstance(answer, bool):
        try:
            return Decimal(answer)
        except InvalidOperation:
            return Decimal(0)
    return Decimal(0)


def parse_date(answer: Answer) -> date | None:
    try:
        return date.fromisoformat(answer) if isinstance(answer, str) else None
    except ValueError:
        return None


def local_today(zone: Any, now: datetime) -> date:
    return now.astimezone(zone).date()


_VALIDATORS: dict[str, Callable[[Question, object, date, Gettext], Answer]] = {
    "choice": _choice,
    "yes_no": _yes_no,
    "date": _date,
    "date_range": _date_range,
    "time": _time,
    "text": _text,
    "number": _number,
    "money": _money,
    "address": _address,
    "items": _items,
    "phone": _phone,
}
