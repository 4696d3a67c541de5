"""Lambda entry points that are not HTTP: the review workflow's Task states, and the reports
table's stream of expired reports."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from .. import services
from ..attachments.retention import batch_failures, expired_reports

blueprint = Blueprint(__name__)


@blueprint.lambda_function(name="review_step")
def review_step(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return services.current().review_steps.run(event)


@blueprint.lambda_function(name="attachment_retention")
def attachment_retention(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A batch of the reports table's stream: the files of reports whose TTL passed. Declared
    as a plain function, its event source mapping (with the TTL filter) is in the template."""
    failed = services.current().attachment_retention.expired(expired_reports(event))
    return batch_failures(failed)
