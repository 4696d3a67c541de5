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
    WITHDRAWN = "withdrawn"


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

AWAITING_DECISION = (ReportStatus.SUBMITTED, ReportStatus.INFO_REQUESTED)
"""Waiting for a decision, or for the resident's answer to staff's question before one: staff
may claim and correct such a report."""

WITHDRAWABLE = AWAITING_DECISION
"""A resident may withdraw a report until a decision is made: waiting for one, or for their
answer to staff's question. Not one that needs attention: its review stopped on a fault, no
workflow runs to end, and an admin's retry expects to find it as it stopped."""
