"""The states a report moves through, and the decisions staff make: the only spelling of each."""

from __future__ import annotations

from enum import StrEnum


class ReportStatus(StrEnum):
    DRAFT = "draft"
    SCREENED_OUT = "screened_out"
    SUBMITTED = "submitted"
    INFO_REQUESTED = "info_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    NEEDS_ATTENTION = "needs_attention"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_INFO = "request_info"

    @property
    def status(self) -> ReportStatus:
        """The status a report takes when this decision is recorded."""
        return DECIDED_STATUS[self]


DECIDED_STATUS = {
    Decision.APPROVE: ReportStatus.APPROVED,
    Decision.REJECT: ReportStatus.REJECTED,
    Decision.REQUEST_INFO: ReportStatus.INFO_REQUESTED,
}
