"""Dollars per 1,000 reports, from the measured counts and the prices in `bench/prices.json`.

A report's life, as measured: the verification email, a session, a draft, one save per wizard
step, the submit, the confirmation email, one staff queue page, one staff view, an approval, the
approval workflow and one copy download. Everything billable it caused is counted (DynamoDB
request units from real item sizes, emails, S3 requests, events, state transitions, Lambda
invocations, API Gateway requests) and priced; the floor is what the workflow cannot do
without: the emails and the state transitions of the smallest workflow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .aws_calls import APPROVAL_STEPS, Life
from .recorder import sum_units
from .results import Record

PRICES = Path(__file__).with_name("prices.json")
CHALICE_CONFIG = Path(__file__).resolve().parent.parent / ".chalice" / "config.json"
SERVICES: dict[str, tuple[str, ...]] = {
    "DynamoDB": ("dynamodb_rru", "dynamodb_wru"),
    "SES": ("ses_emails",),
    "Step Functions": ("sfn_transitions",),
    "Lambda": ("lambda_requests", "lambda_gb_seconds"),
    "API Gateway (REST)": ("apigw_rest_requests",),
    "S3": ("s3_put", "s3_get"),
    "EventBridge": ("eventbridge_events",),
}
FLOOR_EMAILS = 3  # the sign-in link, the submission's confirmation, the case number
REPORTS = 1000


def memory_mb(config_path: Path = CHALICE_CONFIG) -> tuple[int, int]:
    """The memory the deployed functions get: (the API handler, the workflow's steps)."""
    config = json.loads(config_path.read_text(encoding="utf-8"))
    api = int(config.get("lambda_memory_size", 128))
    workflow = int(
        config.get("lambda_functions", {}).get("review_step", {}).get("lambda_memory_size", api)
    )
    return api, workflow


def load_prices(path: Path = PRICES) -> dict[str, Any]:
    prices: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return prices


def unit_price(prices: dict[str, Any], quantity: str) -> float:
    entry = prices["prices"][quantity]
    return float(entry["usd"]) / float(entry["per"])


def assumption(prices: dict[str, Any], name: str) -> float:
    return float(prices["assumptions"][name]["value"])


def dollars(quantities: dict[str, float], prices: dict[str, Any]) -> dict[str, float]:
    """Dollars per service for these quantities (services with no quantity cost nothing)."""
    return {
        service: sum(quantities.get(name, 0.0) * unit_price(prices, name) for name in names)
        for service, names in SERVICES.items()
    }


@dataclass(frozen=True)
class Inputs:
    life: Life
    queue_page_rru: float | None
    """A full queue page's read units (part 2); the life's own page lists one report."""
    transitions: int
    transitions_floor: int
    lambda_tasks: int
    source: str
    """Where the transitions and Lambda tasks come from."""


def http_requests(life: Life) -> int:
    return sum(1 for key in life.operations if key not in ("workflow", "step")) + len(life.steps)


def per_report(inputs: Inputs, prices: dict[str, Any]) -> dict[str, float]:
    """Everything billable one report's life caused."""
    life = inputs.life
    units = sum_units(life.all_calls())
    if inputs.queue_page_rru is not None and "queue" in life.operations:
        units["dynamodb_rru"] += inputs.queue_page_rru - sum_units(
            life.operations["queue"].calls
        ).get("dynamodb_rru", 0.0)
    requests = http_requests(life)
    copies = 1 if "render_copy" in life.workflow_steps else 0
    api_mb, workflow_mb = memory_mb()
    api_ms = requests * assumption(prices, "lambda_ms_per_api_request")
    workflow_ms = (inputs.lambda_tasks - copies) * assumption(
        prices, "lambda_ms_per_workflow_step"
    ) + copies * assumption(prices, "lambda_ms_render_copy")
    downloads = 1 if "copy" in life.operations else 0
    return {
        "dynamodb_rru": units.get("dynamodb_rru", 0.0),
        "dynamodb_wru": units.get("dynamodb_wru", 0.0),
        "ses_emails": units.get("ses_emails", 0.0),
        "sfn_transitions": float(inputs.transitions),
        "lambda_requests": float(requests + inputs.lambda_tasks),
        "lambda_gb_seconds": (api_mb * api_ms + workflow_mb * workflow_ms) / 1024 / 1000,
        "apigw_rest_requests": float(requests),
        "s3_put": units.get("s3_put", 0.0),
        "s3_get": units.get("s3_get", 0.0)
        + downloads * assumption(prices, "s3_gets_per_copy_download"),
        "eventbridge_events": units.get("events", 0.0),
    }


def describe_life(inputs: Inputs) -> str:
    life = inputs.life
    return (
        f"one approved theft report: the link email, a session, a draft, {len(life.steps)} step "
        f"saves (one per step), the submit, the confirmation email, one staff queue page (a full "
        f"page, all charged to this report), one staff view, an approval, the approval workflow "
        f"({inputs.transitions} transitions, {inputs.lambda_tasks} Lambda steps, {inputs.source}), "
        f"one copy download (and the browser's S3 GET); {http_requests(life)} JSON API requests "
        f"(the HTML pages would add a GET per page); no retries; free tiers ignored"
    )


def _amounts(quantities: dict[str, float], names: tuple[str, ...]) -> str:
    return ", ".join(f"{quantities[name]:g} {name}" for name in names)


def records(inputs: Inputs, prices: dict[str, Any]) -> list[Record]:
    quantities = per_report(inputs, prices)
    cost = dollars(quantities, prices)
    floors = {
        "SES": dollars({"ses_emails": FLOOR_EMAILS}, prices)["SES"],
        "Step Functions": dollars({"sfn_transitions": inputs.transitions_floor}, prices)[
            "Step Functions"
        ],
    }
    found = []
    for service, names in SERVICES.items():
        floor = floors.get(service)
        why = ""
        if service == "SES":
            why = f". Floor: {FLOOR_EMAILS} emails (link, confirmation, case number)"
        elif service == "Step Functions":
            why = (
                f". Floor: {inputs.transitions_floor} transitions (the smallest approval workflow)"
            )
        found.append(
            Record(
                f"USD per 1,000 reports: {service}",
                round(cost[service] * REPORTS, 4),
                "USD",
                None if floor is None else round(floor * REPORTS, 4),
                f"per report: {_amounts(quantities, names)}{why}",
            )
        )
    total, floor_total = sum(cost.values()), sum(floors.values())
    found.append(
        Record(
            "USD per 1,000 reports: total",
            round(total * REPORTS, 4),
            "USD",
            round(floor_total * REPORTS, 4),
            f"floor: the emails and transitions the workflow cannot do without; life: "
            f"{describe_life(inputs)}; prices {prices['region']} as of {prices['date']} "
            "(Lambda memory as .chalice/config.json sets it, %d MB for the API and %d MB for "
            "the workflow; the durations in bench/prices.json are assumptions)" % memory_mb(),
        )
    )
    return found


def lambda_steps_fallback() -> int:
    return len(APPROVAL_STEPS)
