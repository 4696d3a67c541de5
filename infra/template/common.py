"""What every part of the template shares: the logical ids Chalice gives the functions, the names
a deployment gives its resources, the intrinsic functions, and the deletion policies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.models import Model

from chalicelib.models import table_name

API_HANDLER = "APIHandler"
REVIEW_STEP = "ReviewStep"
API_STAGE = "api"
RETAINED = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
DISPOSABLE = {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}
Template = dict[str, Any]


@dataclass(frozen=True)
class Names:
    """Every name a deployment gives its resources, derived from the agency's id."""

    agency_id: str

    @property
    def slug(self) -> str:
        return self.agency_id.replace("_", "-")

    @property
    def stack(self) -> str:
        return f"self-report-{self.slug}"

    @property
    def prefix(self) -> str:
        return f"selfreport-{self.slug}"

    def function(self, logical_id: str) -> str:
        return {API_HANDLER: f"{self.prefix}-api", REVIEW_STEP: f"{self.prefix}-review-step"}[
            logical_id
        ]

    def table(self, model: type[Model]) -> str:
        return table_name(self.prefix, model)

    @property
    def state_machine(self) -> str:
        return f"{self.prefix}-review"

    @property
    def event_bus(self) -> str:
        return f"{self.prefix}-records"


def table_logical_id(model: type[Model]) -> str:
    return f"{model.__name__}Table"


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def regional_arn(service: str, resource: str) -> dict[str, str]:
    """The ARN of a resource in the stack's own partition, region and account."""
    return sub(f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}")


def tls_only(service: str, resources: list[Any]) -> Template:
    """A resource policy's statement refusing every request made without TLS."""
    return {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": f"{service}:*",
        "Resource": resources,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
