"""Give staff search the reports submitted before it existed, in an agency's deployed stack.

    python -m infra.search_backfill AGENCY   (`make search-backfill AGENCY=...`)

Run once by IT after upgrading a stack from a version without staff search. It reads the reports
table once: a paged `Scan` of the attributes a report's search terms come from (the only Scan in
the project, run from a terminal, never by a request), and puts each submitted report's terms as
its submission would have. Terms are keyed by their value and the report, so running it again
writes the same items: it may be repeated, or resumed after an interruption.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from chalicelib.agency import AgencyProfile, AgencyProfileError, load_profile
from chalicelib.models import Report, SearchTerm, bind_models
from chalicelib.search_index import SearchIndex
from chalicelib.status import ReportStatus

from .template import Names

NEVER_FOUND = (ReportStatus.DRAFT, ReportStatus.SCREENED_OUT)
TERM_SOURCES = [
    "report_id",
    "status",
    "submitted_at",
    "contact_email",
    "answers",
    "case_number",
    "expires_at",
]


def submitted_reports() -> Iterator[Report]:
    """Every report that was submitted, read once, a page at a time."""
    for report in Report.scan(
        filter_condition=~Report.status.is_in(*NEVER_FOUND),
        attributes_to_get=TERM_SOURCES,
        page_size=200,
    ):
        if report.submitted_at is not None:
            yield report


def backfill(profile: AgencyProfile) -> int:
    """The terms of every submitted report of the tables the models are bound to."""
    return SearchIndex(agency=profile).backfill(submitted_reports())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.search_backfill")
    parser.add_argument("agency")
    arguments = parser.parse_args(argv)
    try:
        profile = load_profile(arguments.agency)
    except AgencyProfileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    bind_models(Names(profile.id).prefix, profile.deployment.region)
    written = backfill(profile)
    print(f"{written} search terms written to {Names(profile.id).table(SearchTerm)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
