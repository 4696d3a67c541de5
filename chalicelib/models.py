"""PynamoDB models: the single source of truth for every table's schema.

Table names carry the deployment's prefix; `bind_models` sets them (and the region) once the
settings are known, so importing this module reads no configuration.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model


class VerificationLink(Model):
    """A pending email verification: the link's token digest, single-use, short-lived."""

    class Meta:
        table_name: str | None = None
        region: str | None = None

    token_digest = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    language = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    used_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute()


class ResidentSession(Model):
    """A resident's signed-in session, opened by a verification link."""

    class Meta:
        table_name: str | None = None
        region: str | None = None

    session_digest = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    language = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


class RateLimitWindow(Model):
    """How many times one key (a hashed address, a client) acted in one fixed window."""

    class Meta:
        table_name: str | None = None
        region: str | None = None

    window_key = UnicodeAttribute(hash_key=True)
    hits = NumberAttribute(default=0)
    expires_at = TTLAttribute()


class StaffSession(Model):
    """A member of staff's signed-in session, behind the ID token the pages' cookie and the API's
    bearer header carry: one GetItem per staff request says whether it is still open.

    The key is the token's digest, never the token. `access_token` is Cognito's, kept only to
    revoke the sign-in (GlobalSignOut) when the session ends; DynamoDB encrypts it at rest. The
    item expires with the ID token.
    """

    class Meta:
        table_name: str | None = None
        region: str | None = None

    token_digest = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute()
    groups = ListAttribute(of=UnicodeAttribute, null=True)
    created_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    ended_at = UTCDateTimeAttribute(null=True)
    ended_by = UnicodeAttribute(null=True)  # "sign_out" or "idle"
    access_token = UnicodeAttribute()
    expires_at = TTLAttribute()


class ReportsByOwner(GlobalSecondaryIndex["Report"]):  # type: ignore[no-untyped-call]
    """A resident's own reports, newest first, without reading anyone else's."""

    class Meta:
        index_name = "by-owner"
        projection = IncludeProjection(
            ["status", "incident_type", "submitted_at", "updated_at", "screening_rule"]
        )

    owner_key = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class ReportsByStatus(GlobalSecondaryIndex["Report"]):  # type: ignore[no-untyped-call]
    """The staff queue and the counts: reports of one status, oldest first.

    `listed_at` is the submission time (the screening time for a screened-out report); drafts
    have none, so they are not in the index.
    """

    class Meta:
        index_name = "by-status"
        projection = IncludeProjection(
            [
                "incident_type",
                "case_number",
                "decided_at",
                "past_sla",
                "failure",
                "claimed_by",
                "claimed_at",
            ]
        )

    status = UnicodeAttribute(hash_key=True)
    listed_at = UTCDateTimeAttribute(range_key=True)


class ReportsByExportState(GlobalSecondaryIndex["Report"]):  # type: ignore[no-untyped-call]
    """Reports whose records export failed, for admins to re-push; sparse, so usually empty."""

    class Meta:
        index_name = "by-export-state"
        projection = IncludeProjection(["case_number", "incident_type"])

    export_state = UnicodeAttribute(hash_key=True)
    listed_at = UTCDateTimeAttribute(range_key=True)


class ReportsByCopyCode(GlobalSecondaryIndex["Report"]):  # type: ignore[no-untyped-call]
    """A copy's verification code to the report it was issued for: sparse (only reports with a
    copy have a code), and it projects only what the check page shows, nothing personal."""

    class Meta:
        index_name = "by-copy-code"
        projection = IncludeProjection(["status", "case_number", "incident_type", "copy_issued_at"])

    copy_code = UnicodeAttribute(hash_key=True)


class Report(Model):
    """One resident's report, from the first answer to the review's decision.

    The key is the human-friendly reference. `owner_key` is a digest of the verified email
    address, so a screened-out report keeps no address at all.
    """

    class Meta:
        table_name: str | None = None
        region: str | None = None

    report_id = UnicodeAttribute(hash_key=True)
    owner_key = UnicodeAttribute()
    contact_email = UnicodeAttribute(null=True)
    language = UnicodeAttribute()
    incident_type = UnicodeAttribute()
    status = UnicodeAttribute()
    answers = JSONAttribute(null=True)
    screening_rule = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    submitted_at = UTCDateTimeAttribute(null=True)
    listed_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    version = VersionAttribute()
    # The review (written by the workflow and by staff decisions)
    review_token = UnicodeAttribute(null=True)
    resident_token = UnicodeAttribute(null=True)
    decision = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_at = UTCDateTimeAttribute(null=True)
    withdrawn_at = UTCDateTimeAttribute(null=True)  # the resident withdrew it (status withdrawn)
    case_number = UnicodeAttribute(null=True)
    supplements = JSONAttribute(null=True)
    past_sla = BooleanAttribute(null=True)
    failure = UnicodeAttribute(null=True)
    export_state = UnicodeAttribute(null=True)  # "failed" while the records export is owed
    exported_at = UTCDateTimeAttribute(null=True)
    # What the workflow has done that it must never do twice, so that a retried step or an
    # admin's retry of the whole review skips it: the emails sent (one key each, see
    # `workflow.notice_key`) and when the copy was stored.
    notices = UnicodeSetAttribute(null=True)
    copy_stored_at = UTCDateTimeAttribute(null=True)
    # The code printed on the copy, which anyone may check at /copies/verify, and when the
    # copy with it was issued (both set once, before the copy is rendered).
    copy_code = UnicodeAttribute(null=True)
    copy_issued_at = UTCDateTimeAttribute(null=True)
    # A report that needs attention: the status it had when its workflow stopped (written by
    # the state machine's NeedsAttention), and how many times an admin has retried it.
    interrupted_status = UnicodeAttribute(null=True)
    retries = NumberAttribute(null=True)
    # The workbench: who holds the report ("I'm on it") and since when; the corrections staff
    # made before deciding (each with the question, the old and the new value, who, when and
    # why: the resident, the copy and the export are told), and how many edits were saved, so
    # that a stale edit is refused instead of overwriting a colleague's.
    claimed_by = UnicodeAttribute(null=True)
    claimed_at = UTCDateTimeAttribute(null=True)
    corrections = JSONAttribute(null=True)
    answers_revision = NumberAttribute(null=True)
    # Photos and documents the resident attached (chalicelib/attachments/uploads.py): each an
    # object with its id, cleaned file name, state and, once checked, type, size, SHA-256 and
    # the keys of the stored file and thumbnail in the bucket.
    attachments = JSONAttribute(null=True)

    by_owner = ReportsByOwner()
    by_status = ReportsByStatus()
    by_export_state = ReportsByExportState()
    by_copy_code = ReportsByCopyCode()


class SearchTerm(Model):
    """One way staff may find a report: the digest of a normalised term (an email address, a
    phone number, a word of the resident's name, a case number) and the report it finds.

    Kept by the writes that give a report the term (its submission, a staff correction, its
    case number), never by reading reports. The range key sorts a term's reports newest first
    by submission. A term holds no status, so a status change writes nothing here; a rejected
    report's terms expire with it.
    """

    class Meta:
        table_name: str | None = None
        region: str | None = None

    term = UnicodeAttribute(hash_key=True)
    found = UnicodeAttribute(range_key=True)  # "<submitted_at ISO>#<report_id>"
    report_id = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)


class CaseNumberCounter(Model):
    """The last case number given, one item per agency and year."""

    class Meta:
        table_name: str | None = None
        region: str | None = None

    counter_id = UnicodeAttribute(hash_key=True)
    last = NumberAttribute(default=0)


class AuditEvent(Model):
    """Append-only: who did what to which report (or which sign-in), when, and the outcome."""

    class Meta:
        table_name: str | None = None
        region: str | None = None

    subject = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute(range_key=True)
    at = UnicodeAttribute()  # ISO 8601: the workflow writes events too, with its own clock format
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    outcome = UnicodeAttribute()
    details = JSONAttribute(null=True)

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.at)


TABLE_SUFFIXES: dict[type[Model], str] = {
    Report: "reports",
    CaseNumberCounter: "case-numbers",
    AuditEvent: "audit",
    VerificationLink: "verification-links",
    ResidentSession: "resident-sessions",
    RateLimitWindow: "rate-limits",
    StaffSession: "staff-sessions",
    SearchTerm: "search-terms",
}
ALL_MODELS: tuple[type[Model], ...] = tuple(TABLE_SUFFIXES)


def table_name(prefix: str, model: type[Model]) -> str:
    return f"{prefix}-{TABLE_SUFFIXES[model]}"


def bind_models(prefix: str, region: str) -> None:
    for model in ALL_MODELS:
        model.Meta.table_name = table_name(prefix, model)
        model.Meta.region = region
        model._connection = None


def ttl_attribute_name(model: type[Model]) -> str | None:
    for name, attribute in model.get_attributes().items():
        if isinstance(attribute, TTLAttribute):
            return attribute.attr_name or name
    return None
