"""What a resident may answer to each kind of question, and how an answer is stored.

`validate_answer` turns raw input (JSON values, or strings from a form) into the stored value,
or raises `FieldProblems` naming every field at fault, in the resident's language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ..agency import Question

MAX_MONEY = Decimal("10000000")
CENT = Decimal("0.01")
_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!?]")
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_AMOUNT = re.compile(r"^\$?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")
ADDRESS_PARTS = {"line1": 100, "line2": 100, "city": 60, "zip": 10}
ITEM_PARTS = {"description": 200, "serial": 100}

Answer = Any
Gettext = Callable[[str], str]


class FieldProblems(ValueError):
    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = dict(problems)


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def validate_answer(question: Question, raw: object, *, today: date, _: Gettext) -> Answer:
    """The stored value of an answer (None for a blank optional one)."""
    if question.kind not in ("address", "items") and is_blank(raw):
        if question.required:
            raise FieldProblems({question.id: _missing(question, _)})
        return None
    validator = _VALIDATORS[question.kind]
    return validator(question, raw, today, _)


def _missing(question: Question, _: Gettext) -> str:
    return {
        "choice": _("Select an option"),
        "yes_no": _("Select yes or no"),
        "date": _("Enter the date"),
        "time": _("Enter the time"),
        "money": _("Enter an amount"),
        "number": _("Enter a number"),
    }.get(question.kind, _("Enter an answer"))


def clean_text(
    raw: object,
    field: str,
    max_length: int,
    _: Gettext,
    *,
    multiline: bool = False,
    markup_allowed: bool = False,
) -> str:
    if not isinstance(raw, str):
        raise FieldProblems({field: _("Enter text")})
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    allowed = {"\n", "\t"} if multiline else set()
    if any(unicodedata.category(c) in ("Cc", "Cf") and c not in allowed for c in text):
        raise FieldProblems({field: _("Remove the special characters from your answer")})
    if not markup_allowed and _HTML_TAG.search(text):
        raise FieldProblems({field: _("Remove the < and > characters from your answer")})
    if len(text) > max_length:
        raise FieldProblems({field: _("Enter %(max)d characters or fewer") % {"max": max_length}})
    return text


def _choice(question: Question, raw: object, today: date, _: Gettext) -> str:
    values = {option.value for option in question.options}
    if not isinstance(raw, str) or raw not in values:
        raise FieldProblems({question.id: _("Select one of the options")})
    return raw


def _yes_no(question: Question, raw: object, today: date, _: Gettext) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw in ("yes", "no"):
        return raw == "yes"
    raise FieldProblems({question.id: _("Select yes or no")})


def _date(question: Question, raw: object, today: date, _: Gettext) -> str:
    try:
        value = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        value = None
    if value is None:
        raise FieldProblems({question.id: _("Enter a real date, like 2026-03-27")})
    if value > today:
        raise FieldProblems({question.id: _("The date must be today or in the past")})
    if value.year < today.year - 100:
        raise FieldProblems({question.id: _("Enter a real date, like 2026-03-27")})
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
        raise FieldProblems({question.id: _("Enter a time like 14:30")})
    return raw.strip()


def _text(question: Question, raw: object, today: date, _: Gettext) -> str:
    return clean_text(raw, question.id, question.max_length, _, multiline=question.multiline)


def _number(question: Question, raw: object, today: date, _: Gettext) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise FieldProblems({question.id: _("Enter a whole number")})
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise FieldProblems({question.id: _("Enter a whole number")}) from None
    low = question.minimum if question.minimum is not None else 0
    high = question.maximum if question.maximum is not None else 1_000_000
    if not low <= value <= high:
        raise FieldProblems(
            {question.id: _("Enter a number from %(low)d to %(high)d") % {"low": low, "high": high}}
        )
    return value


def money(raw: object, field: str, _: Gettext) -> str:
    """An amount in dollars and cents, stored as a string so that no float rounds it."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise FieldProblems({field: _("Enter an amount, like 120 or 89.99")})
    text = str(raw).strip()
    if text.startswith("-"):
        raise FieldProblems({field: _("The amount cannot be negative")})
    # "89,99" must not become 8999: a comma only ever groups thousands here.
    if not _AMOUNT.match(text):
        raise FieldProblems({field: _("Enter an amount, like 120 or 89.99")})
    value = Decimal(text.removeprefix("$").strip().replace(",", ""))
    if value > MAX_MONEY:
        raise FieldProblems({field: _("Enter an amount of $10,000,000 or less")})
    return str(value.quantize(CENT))


def _money(question: Question, raw: object, today: date, _: Gettext) -> str:
    return money(raw, question.id, _)


def _address(question: Question, raw: object, today: date, _: Gettext) -> dict[str, str] | None:
    if raw is None or (isinstance(raw, dict) and all(is_blank(v) for v in raw.values())):
        if question.required:
            raise FieldProblems({f"{question.id}.line1": _("Enter the street address")})
        return None
    if not isinstance(raw, dict):
        raise FieldProblems({question.id: _("Enter the address")})
    address, problems = _clean_parts(raw, question.id, ADDRESS_PARTS, _)
    if not problems:
        if not address["line1"]:
            problems[f"{question.id}.line1"] = _("Enter the street address")
        if not address["city"]:
            problems[f"{question.id}.city"] = _("Enter the town or city")
        if not _ZIP.match(address["zip"]):
            problems[f"{question.id}.zip"] = _("Enter a ZIP code, like 06600")
    if problems:
        raise FieldProblems(problems)
    return address


def _clean_parts(
    raw: Mapping[str, Any], prefix: str, parts: Mapping[str, int], _: Gettext
) -> tuple[dict[str, str], dict[str, str]]:
    """The text parts of a compound answer (an address, an item), and each part's problem."""
    cleaned: dict[str, str] = {}
    problems: dict[str, str] = {}
    for part, max_length in parts.items():
        try:
            cleaned[part] = clean_text(raw.get(part) or "", f"{prefix}.{part}", max_length, _)
        except FieldProblems as error:
            problems.update(error.problems)
    return cleaned, problems


def _items(question: Question, raw: object, today: date, _: Gettext) -> list[dict[str, str]] | None:
    rows = [] if raw is None else raw
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise FieldProblems({question.id: _("Enter the items as a list")})
    rows = [row for row in rows if not all(is_blank(value) for value in row.values())]
    if not rows:
        if question.required:
            raise FieldProblems({f"{question.id}.0.description": _("Add at least one item")})
        return None
    if len(rows) > question.max_items:
        raise FieldProblems(
            {question.id: _("Enter %(max)d items or fewer") % {"max": question.max_items}}
        )
    problems: dict[str, str] = {}
    items: list[dict[str, str]] = []
    for index, row in enumerate(rows):
        item, row_problems = _clean_parts(row, f"{question.id}.{index}", ITEM_PARTS, _)
        problems.update(row_problems)
        if not problems.get(f"{question.id}.{index}.description") and not item.get("description"):
            problems[f"{question.id}.{index}.description"] = _("Describe the item")
        try:
            item["value"] = money(row.get("value"), f"{question.id}.{index}.value", _)
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
}
