"""Structured JSON logs. Records carry ids and outcomes, never personal data or secrets."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

APP_LOGGER = "chalicelib"


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send the application's records, as JSON lines, to stdout (CloudWatch in Lambda)."""
    logger = logging.getLogger(APP_LOGGER)
    if any(getattr(handler, "self_report", False) for handler in logger.handlers):
        return
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(LambdaPowertoolsFormatter(service="self-report"))
    handler.self_report = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
