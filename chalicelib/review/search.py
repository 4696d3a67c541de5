"""Finding a report from what a resident says on the phone: its reference, its case number,
their email address, their phone number or their name. Never a Scan: at most two AWS calls.

One free-text query is read as one kind of key, by its shape: a reference (one `GetItem` on the
reports table), else a case number in the agency's format, an email address (it has "@"), a
phone number (digits and phone punctuation only), or else the words of a name. Each of the last
four is a term of the search index: one `Query` of the term's reports, newest first, then one
`BatchGetItem` of what their result rows show. A name is looked up by its longest word, and a
report is kept only if its resident's name has every word typed (in any order, any case, with or
without accents). Drafts and screened-out reports are never found: they have no terms, and a
reference that names one finds nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ..agency import AgencyProfile
from ..errors import InvalidInput, NotFound
from ..intake.references import REFERENCE
from ..json_text import parse_json
from ..models import Report
from ..report_store import ReportStore
from ..search_index import FOUND, SearchIndex, e164, name_words, normal_email, term
from ..status import ReportStatus

log = logging.getLogger(__name__)

MAX_QUERY = 100
MAX_WORDS = 5
PAGE_SIZE = 25
PHONE_LIKE = re.compile(r"[0-9+()./\s-]+")
NEVER_FOUND = (ReportStatus.DRAFT, ReportStatus.SCREENED_OUT)

Kind = Literal["reference", "case_number", "email", "phone", "name"]


@dataclass(frozen=True)
class SearchResult:
    report_id: str
    status: ReportStatus
    incident_type: str
    submitted_at: datetime | None
    case_number: str | None
    claimed_by: str | None


@dataclass(frozen=True)
class SearchPage:
    query: str
    """What was searched for, as typed (without surrounding spaces)."""
    kind: Kind
    items: list[SearchResult]
    next_cursor: str | None


def encode_cursor(found: str | None) -> str | None:
    if not found:
        return None
    return base64.urlsafe_b64encode(json.dumps({"found": found}).encode()).decode()


def decode_cursor(cursor: str | None) -> str | None:
    """Where a page of a term's reports stopped, exactly as `encode_cursor` wrote it. The term
    itself is the query's, so the cursor carries no digest."""
    if not cursor:
        return None
    refused = InvalidInput("The cursor is not valid.", fields={"cursor": "not valid"})
    try:
        key = parse_json(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError):
        raise refused from None
    if (
        not isinstance(key, dict)
        or set(key) != {"found"}
        or not isinstance(key["found"], str)
        or not FOUND.fullmatch(key["found"])
    ):
        raise refused
    return key["found"]


def case_number_shape(agency: AgencyProfile) -> re.Pattern[str]:
    """What the agency's case numbers look like, from its `case_number_format`."""
    pattern = ""
    for literal, field, _spec, _conversion in string.Formatter().parse(
        agency.review.case_number_format
    ):
        pattern += re.escape(literal.upper())
        if field == "short_code":
            pattern += re.escape(agency.short_code)
        elif field == "year":
            pattern += r"\d{4}"
        elif field == "number":
            pattern += r"\d+"
    return re.compile(pattern)


def refuse(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"q": message})


class StaffSearch:
    def __init__(self, *, agency: AgencyProfile, store: ReportStore, index: SearchIndex) -> None:
        self._store = store
        self._index = index
        self._region = agency.phone_region
        self._case_number = case_number_shape(agency)

    def search(self, query: object, cursor: str | None = None) -> SearchPage:
        raw = query if isinstance(query, str) else ""
        text = raw.strip()
        if not text:
            raise refuse("Type a reference, case number, email address, phone number or name.")
        if len(raw) > MAX_QUERY:
            raise refuse(f"Type at most {MAX_QUERY} characters.")
        text = " ".join(text.split())  # a pasted name's tabs and no-break spaces too
        if not text.isprintable():  # control characters, lone surrogates: nothing typed
            raise refuse("Type letters, digits and punctuation only.")
        after = decode_cursor(cursor)
        upper = text.upper()
        kind: Kind
        # A case number first: one may have a reference's shape ("RPD-2026-0001"), but never
        # its letters (references have no 0, and every year of this century has one).
        if self._case_number.fullmatch(upper):
            kind = "case_number"
            items, last = self._by_term(term("case", upper), after)
        elif REFERENCE.fullmatch(upper):
            kind, items, last = "reference", self._by_reference(upper, after), None
        elif "@" in text:
            kind = "email"
            items, last = self._by_term(term("email", normal_email(text)), after)
        elif PHONE_LIKE.fullmatch(text):
            number = e164(text, self._region)
            if number is None:
                raise refuse("That is not a phone number: check its digits.")
            kind = "phone"
            items, last = self._by_term(term("phone", number), after)
        else:
            kind = "name"
            items, last = self._by_name(text, after)
        log.info("staff search", extra={"kind": kind, "results": len(items)})
        return SearchPage(text, kind, items, encode_cursor(last))

    def _by_reference(self, reference: str, after: str | None) -> list[SearchResult]:
        if after is not None:  # one report at most: there is no next page
            return []
        try:
            report = self._store.get(reference)
        except NotFound:
            return []
        return [row] if (row := self._row(report)) else []

    def _by_term(self, digested: str, after: str | None) -> tuple[list[SearchResult], str | None]:
        ids, last = self._index.page(digested, PAGE_SIZE, after)
        found = self._store.search_rows(ids, with_answers=False)
        rows = [self._row(found[report_id]) for report_id in ids if report_id in found]
        return [row for row in rows if row], last

    def _by_name(self, text: str, after: str | None) -> tuple[list[SearchResult], str | None]:
        words = name_words(text)
        if not words:
            raise refuse("Type a whole word of the name: two letters or more.")
        if len(words) > MAX_WORDS:
            raise refuse(f"Type at most {MAX_WORDS} words of the name.")
        longest = max(words, key=len)  # the rarest, likely: the fewest reports to read
        ids, last = self._index.page(term("name", longest), PAGE_SIZE, after)
        found = self._store.search_rows(ids, with_answers=True)
        rows = []
        for report_id in ids:
            report = found.get(report_id)
            if report is None or not set(words) <= set(self._index.name_of(report.answers or {})):
                continue
            if row := self._row(report):
                rows.append(row)
        return rows, last

    def _row(self, report: Report) -> SearchResult | None:
        if report.status in NEVER_FOUND:
            return None
        return SearchResult(
            report_id=report.report_id,
            status=ReportStatus(report.status),
            incident_type=report.incident_type,
            submitted_at=report.submitted_at,
            case_number=report.case_number,
            claimed_by=report.claimed_by,
        )
