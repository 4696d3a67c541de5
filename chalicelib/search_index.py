"""The search-terms table: every write to it, and its reads. Nothing else writes it.

A report is found by terms: the digest of "<kind>:<normalised value>" for its resident's email
address, each phone number it gives, each word of the resident's name, and its case number.
The digest keeps no address, number or name in the clear, and a search digests what staff type
the same way. One item per term and report (`found` = "<submitted_at>#<report_id>", so a
term's reports come newest first), written in the same transaction as what gives the report
the term: its submission, its case number, a correction. A term holds no status: a status
change writes nothing here, and a search reads the status from the report. A rejected report's
terms expire with it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PutError

from .agency import AgencyProfile
from .models import Report, SearchTerm
from .query_pages import first_page
from .tokens import digest

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

log = logging.getLogger(__name__)

BUSY = "The service is busy. Please try again shortly."
MAX_NAME_WORDS = 8
"""Words of one name that are indexed: every real name, and few enough that a report's terms
always fit one BatchWriteItem (25 items) and one transaction."""
WORD = re.compile(r"[^\W_]+")
# Letters that Unicode does not decompose into a base letter and an accent, but that a clerk
# types as plain Latin letters ("Łukasz" as "Lukasz").
UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "\u0131": "i", "æ": "ae", "œ": "oe", "þ": "th"}
)


def name_words(text: str) -> list[str]:
    """The whole words of a name, casefolded and without accents, in order, each once; words of
    one letter (initials) are left out."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c)).translate(UNDECOMPOSED)
    words: list[str] = []
    for word in WORD.findall(plain):
        if len(word) > 1 and word not in words:
            words.append(word)
    return words


def normal_email(text: str) -> str:
    return text.strip().lower()


def e164(text: str, region: str) -> str | None:
    """The number in E.164 ("+12035550142"), or None when it is not a valid phone number."""
    import phonenumbers  # its metadata is large: loaded when a number is first indexed

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def term(kind: str, value: str) -> str:
    return digest(f"{kind}:{value}")


def found_key(report: Report) -> str:
    submitted = report.submitted_at.isoformat() if report.submitted_at else ""
    return f"{submitted}#{report.report_id}"


FOUND = re.compile(r"\d{4}-\d{2}-\d{2}T[0-9:.+\-]+#[A-Z]{2,6}-[A-Z0-9]{4}-[A-Z0-9]{4}")


class SearchIndex:
    def __init__(self, *, agency: AgencyProfile) -> None:
        self._agency = agency
        questions = [q for step in agency.steps for q in step.questions]
        self._name_questions = tuple(q.id for q in questions if q.records_field == "reporter_name")
        self._phone_questions = tuple(q.id for q in questions if q.kind == "phone")

    # -- what finds a report --------------------------------------------------------------------

    def terms_of(self, report: Report) -> frozenset[str]:
        """The digested terms that find `report`: none for a draft or a screened-out report,
        which have no submission (and a screened-out one no answers)."""
        if not report.submitted_at:
            return frozenset()
        answers: Mapping[str, Any] = report.answers or {}
        terms: set[str] = set()
        if report.contact_email:
            terms.add(term("email", normal_email(report.contact_email)))
        for question in self._phone_questions:
            answer = answers.get(question)
            number = e164(answer, self._agency.phone_region) if isinstance(answer, str) else None
            if number:
                terms.add(term("phone", number))
        terms.update(term("name", word) for word in self.name_of(answers)[:MAX_NAME_WORDS])
        if report.case_number:
            terms.add(term("case", report.case_number.strip().upper()))
        return frozenset(terms)

    def name_of(self, answers: Mapping[str, Any]) -> list[str]:
        """The words of the resident's name in `answers` (every reporter-name question's)."""
        words: list[str] = []
        for question in self._name_questions:
            answer = answers.get(question)
            if isinstance(answer, str):
                words += [word for word in name_words(answer) if word not in words]
        return words

    # -- writes, in the caller's transaction ----------------------------------------------------

    def add(self, transaction: TransactWrite, report: Report) -> None:
        """A report just submitted (`report` shows its submission): its terms."""
        self._put(transaction, report, self.terms_of(report))

    def add_case_number(self, transaction: TransactWrite, report: Report, number: str) -> None:
        """In the case number's transaction: the number finds the report."""
        self._put(transaction, report, {term("case", number.strip().upper())})

    def reindex(self, transaction: TransactWrite, before: Report, after: Report) -> None:
        """A report whose answers staff corrected: the terms `after` has and `before` lacks
        are put, those it no longer has are deleted, all in the caller's transaction."""
        old, new = self.terms_of(before), self.terms_of(after)
        self._put(transaction, after, new - old)
        found = found_key(before)
        for gone in sorted(old - new):
            transaction.delete(SearchTerm(gone, found))

    def _put(self, transaction: TransactWrite, report: Report, terms: Iterable[str]) -> None:
        for digested in sorted(terms):
            transaction.save(self._item(report, digested))

    def _item(self, report: Report, digested: str) -> SearchTerm:
        return SearchTerm(
            digested,
            found_key(report),
            report_id=report.report_id,
            expires_at=report.expires_at,
        )

    # -- a rejected report ----------------------------------------------------------------------

    def expire(self, report: Report, expires_at: datetime) -> None:
        """A rejected report's terms expire with it: one BatchWriteItem re-puts them with its
        `expires_at` (a report has fewer than 25 terms). Failing, the decision stands: the
        terms stay, and once the report has expired they find nothing (a search keeps only the
        reports it can read)."""
        terms = self.terms_of(report)
        if not terms:
            return
        try:
            with SearchTerm.batch_write() as batch:
                for digested in sorted(terms):
                    item = self._item(report, digested)
                    item.expires_at = expires_at
                    batch.save(item)
        except PutError:
            log.warning("search terms not expired", extra={"report_id": report.report_id})

    # -- reports submitted before the index ----------------------------------------------------

    def backfill(self, reports: Iterable[Report]) -> int:
        """Put the terms of reports submitted before this index existed, as their submissions
        would have (`infra/search_backfill.py` reads them), 25 items a `BatchWriteItem`.
        Writing a term again changes nothing, so a run may be repeated or resumed. Returns how
        many terms were written."""
        written = 0
        with SearchTerm.batch_write() as batch:
            for report in reports:
                for digested in sorted(self.terms_of(report)):
                    batch.save(self._item(report, digested))
                    written += 1
        return written

    # -- reads ----------------------------------------------------------------------------------

    def page(
        self, digested: str, page_size: int, after: str | None
    ) -> tuple[list[str], str | None]:
        """One page of a term's reports, newest first: exactly one `Query`. The ids, and the
        `found` value to go on from (None at the end)."""
        start = {"term": {"S": digested}, "found": {"S": after}} if after else None
        results = SearchTerm.query(
            digested,
            scan_index_forward=False,
            page_size=page_size,
            last_evaluated_key=start,
            attributes_to_get=["term", "found", "report_id"],
        )
        items, last = first_page(results)
        ids = [item["report_id"]["S"] for item in items if "report_id" in item]
        return ids, (last["found"]["S"] if last else None)
