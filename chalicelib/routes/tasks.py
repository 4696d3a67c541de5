"""Lambda entry points that are not HTTP: the review workflow's Task states."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from .. import services

blueprint = Blueprint(__name__)


@blueprint.lambda_function(name="review_step")
def review_step(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return services.current().review_steps.run(event)
