"""The DynamoDB tables, one per PynamoDB model, with the models' own keys, indexes and TTLs."""

from __future__ import annotations

from typing import Any

from pynamodb.models import Model

from chalicelib.models import (
    ALL_MODELS,
    AuditEvent,
    CaseNumberCounter,
    Report,
    SearchTerm,
    ttl_attribute_name,
)

from .common import DATA_KEY, DISPOSABLE, RETAINED, Names, Template, arn_of, table_logical_id

# Records: never deleted with the stack (the search terms index the records: without them a
# restored stack could not find its reports). Ephemeral tables (links, sessions, counters) are.
RETAINED_MODELS = (Report, CaseNumberCounter, AuditEvent, SearchTerm)


def table_encryption() -> Template:
    """Every table under the data key, the ephemeral ones too: links and sessions are residents'."""
    return {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": arn_of(DATA_KEY)}


def table_resource(model: type[Model], names: Names) -> Template:
    schema: dict[str, Any] = dict(model._get_schema())
    indexes = [
        {
            "IndexName": index["index_name"],
            "KeySchema": sorted(index["key_schema"], key=lambda key: key["KeyType"]),
            "Projection": index["projection"],
        }
        for index in sorted(
            schema.get("global_secondary_indexes", []), key=lambda index: index["index_name"]
        )
    ]
    properties: Template = {
        "TableName": names.table(model),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": sorted(
            schema["attribute_definitions"], key=lambda attribute: attribute["AttributeName"]
        ),
        "KeySchema": sorted(schema["key_schema"], key=lambda key: key["KeyType"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": table_encryption(),
    }
    if indexes:
        properties["GlobalSecondaryIndexes"] = indexes
    ttl_attribute = ttl_attribute_name(model)
    if ttl_attribute:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl_attribute, "Enabled": True}
    resource: Template = {"Type": "AWS::DynamoDB::Table", "Properties": properties}
    if model is Report:
        # Keys only: the retention function needs the report's id and who removed it (every
        # record says), never its answers.
        properties["StreamSpecification"] = {"StreamViewType": "KEYS_ONLY"}
    if model in RETAINED_MODELS:
        properties["DeletionProtectionEnabled"] = True
    resource.update(RETAINED if model in RETAINED_MODELS else DISPOSABLE)
    return resource


def tables(names: Names) -> Template:
    return {table_logical_id(model): table_resource(model, names) for model in ALL_MODELS}
