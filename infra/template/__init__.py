"""The CloudFormation merged into `chalice package`: every resource of an agency's stack that is
not the Lambda code or the API itself, and the properties Chalice cannot express (function names,
roles, environment variables that point at those resources).

It is built from the project's own definitions, so nothing is said twice: tables from the PynamoDB
models, the state machine from the file the local stack runs, the staff pool from the settings the
local stack uses, names and limits from the agency profile. Each resource family has its module;
`stack` puts them together.
"""

from __future__ import annotations

from .common import (
    API_HANDLER,
    API_STAGE,
    ATTACHMENT_RETENTION,
    REVIEW_STEP,
    Names,
    Template,
    table_logical_id,
    tls_only,
)
from .review_machine import state_machine_substitutions
from .stack import merge_template

__all__ = [
    "API_HANDLER",
    "API_STAGE",
    "ATTACHMENT_RETENTION",
    "REVIEW_STEP",
    "Names",
    "Template",
    "merge_template",
    "state_machine_substitutions",
    "table_logical_id",
    "tls_only",
]
