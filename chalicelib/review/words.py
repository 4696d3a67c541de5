"""What staff read instead of codes: statuses, decisions, audit actions and languages in words.

The staff pages are in English only; these are their words, registered as template filters by
`rendering.py`. An unknown code still reads as words ("export_repushed" → "Export repushed"),
so a new action shows before anyone names it here.
"""

from __future__ import annotations

from ..status import Decision, ReportStatus

STATUS_WORDS: dict[str, str] = {
    ReportStatus.SUBMITTED: "Waiting for review",
    ReportStatus.INFO_REQUESTED: "Waiting for the resident",
    ReportStatus.APPROVED: "Approved",
    ReportStatus.REJECTED: "Rejected",
    ReportStatus.NEEDS_ATTENTION: "Needs attention",
    ReportStatus.WITHDRAWN: "Withdrawn by the resident",
    ReportStatus.SCREENED_OUT: "Screened out",
    ReportStatus.DRAFT: "Draft",
}

DECISION_WORDS: dict[str, str] = {
    Decision.APPROVE: "Approved",
    Decision.REJECT: "Rejected",
    Decision.REQUEST_INFO: "Asked for more information",
}

ACTION_WORDS: dict[str, str] = {
    "submitted": "Submitted by the resident",
    "view": "Viewed",
    "information_supplied": "The resident answered",
    "withdrawn": "Withdrawn by the resident",
    "retried": "Review retried",
    "corrected": "Answers corrected",
    "reclassified": "Incident type changed",
    "claimed": "Claimed",
    "released": "Released",
    "assigned": "Assigned",
    "note": "Internal note",
    "attachment_opened": "Attached file opened",
    "export_repushed": "Sent to the records system again",
    "exported_to_records": "Sent to the records system",
    "confirmation_emailed": "Confirmation emailed to the resident",
    "resident_notified": "Resident emailed",
    "case_number_assigned": "Case number given",
    "copy_stored": "Copy stored",
    "staff_reminded": "Staff reminded: past the promised time",
    "needs_attention": "Review stopped: needs attention",
}

OUTCOME_WORDS: dict[str, str] = {
    "succeeded": "Done",
    "failed": "Failed",
    "refused": "Refused",
}


def readable(code: str) -> str:
    """A code nobody named yet, as words: "export_repushed" → "Export repushed"."""
    spaced = code.replace("_", " ").replace(":", ": ").strip()
    return spaced[:1].upper() + spaced[1:]


def status_words(status: object) -> str:
    code = str(status or "")
    return STATUS_WORDS.get(code) or readable(code)


def decision_words(decision: object) -> str:
    code = str(decision or "")
    return DECISION_WORDS.get(code) or readable(code)


def action_words(action: object) -> str:
    """An audit event's action: "decision:approve" → "Approved"."""
    code = str(action or "")
    kind, _, decision = code.partition(":")
    if kind == "decision" and decision:
        return decision_words(decision)
    return ACTION_WORDS.get(code) or readable(code)


def outcome_words(outcome: object) -> str:
    """An audit event's outcome; a failure's own name (an error's) is kept as it is."""
    code = str(outcome or "")
    return OUTCOME_WORDS.get(code) or code


def language_name(code: object) -> str:
    """A language by its English name, and its own where that differs: "Spanish (español)"."""
    from babel import Locale, UnknownLocaleError  # large: imported on first use

    text = str(code or "")
    try:
        locale = Locale.parse(text)
    except (UnknownLocaleError, ValueError, TypeError):
        return text
    english = locale.get_display_name("en") or text
    own = locale.get_display_name(text) or english
    return english if own.lower() == english.lower() else f"{english} ({own})"
