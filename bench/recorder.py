"""Every AWS call made in this process, counted where botocore makes it, with what it costs.

`CallRecorder` replaces `botocore.client.BaseClient._make_api_call` (as the tests' `aws_calls`
fixture does), so calls from boto3 and from PynamoDB are all seen. For each call it keeps the
billable quantities AWS charges for:

- DynamoDB request units, worked out from the real item sizes (read back from the table before
  and after each write) with DynamoDB's published rules: a read unit per 4 KB (half for an
  eventually consistent read), a write unit per 1 KB of the larger of the old and new item,
  twice for a transaction, and the writes each global secondary index takes when a write adds,
  changes or removes its projection of the item. moto's own `ConsumedCapacity` is a constant, so
  it is kept only to show that it is one.
- emails for SES, PUT- and GET-class requests for S3, events (64 KB chunks) for EventBridge.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024
EVENT_CHUNK_BYTES = 64 * 1024
S3_PUT_CLASS = frozenset({"PutObject", "CopyObject", "PostObject", "ListObjects", "ListObjectsV2"})
S3_GET_CLASS = frozenset({"GetObject", "HeadObject"})


@dataclass
class Call:
    """One AWS API call: `service:Operation`, the error code if it failed, what it costs."""

    name: str
    error: str | None = None
    units: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def service(self) -> str:
        return self.name.split(":", 1)[0]

    @property
    def operation(self) -> str:
        return self.name.split(":", 1)[1]


def sum_units(calls: list[Call]) -> dict[str, float]:
    total: dict[str, float] = {}
    for call in calls:
        for key, amount in call.units.items():
            total[key] = total.get(key, 0.0) + amount
    return total


# -- DynamoDB item sizes and request units --------------------------------------------------------


def _value_bytes(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(str(inner).encode("utf-8"))
    if kind == "N":
        digits = str(Decimal(str(inner)).normalize()).lstrip("-").replace(".", "")
        significant = digits.split("E")[0].strip("0") or "0"
        return math.ceil(len(significant) / 2) + 1
    if kind == "B":
        return len(inner) if isinstance(inner, bytes | bytearray) else len(base64.b64decode(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_bytes({kind[0]: element}) for element in inner)
    if kind == "L":
        return 3 + sum(_value_bytes(element) + 1 for element in inner)
    if kind == "M":
        return 3 + sum(
            len(name.encode("utf-8")) + _value_bytes(element) + 1 for name, element in inner.items()
        )
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_bytes(item: dict[str, Any] | None) -> int:
    """An item's size as DynamoDB bills it: attribute names plus values."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + _value_bytes(value) for name, value in item.items())


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


def write_units(size: int) -> float:
    return float(max(1, math.ceil(size / WRITE_UNIT_BYTES)))


@dataclass(frozen=True)
class TableShape:
    keys: tuple[str, ...]
    indexes: tuple[tuple[str, tuple[str, ...], str, frozenset[str]], ...]
    """(name, key attributes, projection type, non-key attributes) of each global index."""


class DynamoMeter:
    """Reads tables' shapes and items around each write, bypassing the recorder."""

    def __init__(self, original: Any, client: Any) -> None:
        self._original = original
        self._client = client

    def shape(self, table: str, cache: dict[str, TableShape]) -> TableShape:
        if table not in cache:
            described = self._original(self._client, "DescribeTable", {"TableName": table})
            description = described["Table"]
            indexes = tuple(
                (
                    index["IndexName"],
                    tuple(key["AttributeName"] for key in index["KeySchema"]),
                    index["Projection"].get("ProjectionType", "ALL"),
                    frozenset(index["Projection"].get("NonKeyAttributes", [])),
                )
                for index in description.get("GlobalSecondaryIndexes", [])
            )
            cache[table] = TableShape(
                tuple(key["AttributeName"] for key in description["KeySchema"]), indexes
            )
        return cache[table]

    def item(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        found = self._original(
            self._client, "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True}
        )
        item: dict[str, Any] | None = found.get("Item")
        return item


def _projection(
    item: dict[str, Any] | None,
    table_keys: tuple[str, ...],
    index: tuple[str, tuple[str, ...], str, frozenset[str]],
) -> dict[str, Any] | None:
    _, index_keys, projection, non_key = index
    if item is None or any(key not in item for key in index_keys):
        return None
    if projection == "ALL":
        return item
    keep = set(table_keys) | set(index_keys) | (set(non_key) if projection == "INCLUDE" else set())
    return {name: value for name, value in item.items() if name in keep}


def index_write_units(
    shape: TableShape, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> float:
    """Writes the global indexes take: one put, one delete, or both when the index key moved."""
    units = 0.0
    for index in shape.indexes:
        old, new = (_projection(item, shape.keys, index) for item in (before, after))
        if old == new:
            continue
        if old is None or new is None:
            units += write_units(item_bytes(old or new))
        elif all(old[key] == new[key] for key in index[1]):
            units += write_units(item_bytes(new))
        else:
            units += write_units(item_bytes(old)) + write_units(item_bytes(new))
    return units


# -- the recorder ---------------------------------------------------------------------------------


class CallRecorder:
    """`with CallRecorder() as recorder:` counts every call; `recorder.span()` a slice of them."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._original: Any = None
        self._shapes: dict[str, TableShape] = {}
        self._paused = False

    def __enter__(self) -> CallRecorder:
        # a private botocore method the stubs do not declare
        self._original = BaseClient._make_api_call  # type: ignore[attr-defined]
        recorder = self

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if recorder._paused:
                return recorder._original(client, operation, params)
            return recorder._record(client, operation, params)

        BaseClient._make_api_call = counted  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        BaseClient._make_api_call = self._original  # type: ignore[attr-defined]

    @contextmanager
    def span(self) -> Iterator[list[Call]]:
        """The calls made inside the `with` block (the list fills in when the block ends)."""
        start = len(self.calls)
        made: list[Call] = []
        try:
            yield made
        finally:
            made.extend(self.calls[start:])

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Calls made here are neither counted nor metered (loading data, for instance)."""
        self._paused = True
        try:
            yield
        finally:
            self._paused = False

    def _record(self, client: Any, operation: str, params: dict[str, Any]) -> Any:
        service = client.meta.service_model.service_name
        call = Call(f"{service}:{operation}")
        meter = DynamoMeter(self._original, client) if service == "dynamodb" else None
        before = self._before(meter, operation, params) if meter else []
        response: dict[str, Any] | None = None
        try:
            response = self._original(client, operation, params)
        except ClientError as error:
            call.error = str(error.response.get("Error", {}).get("Code", "ClientError"))
            raise
        finally:
            self.calls.append(call)
            if meter is not None:
                self._dynamodb_units(call, meter, operation, params, response, before)
            else:
                self._other_units(call, service, operation, params)
        return response

    # DynamoDB ---------------------------------------------------------------------------------

    def _write_targets(self, operation: str, params: dict[str, Any]) -> list[tuple[str, Any, int]]:
        """(table, key, multiplier) of each item a write touches."""
        targets: list[tuple[str, Any, int]] = []
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            targets.append((params["TableName"], params.get("Key") or params.get("Item"), 1))
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((_kind, body),) = entry.items()
                targets.append((body["TableName"], body.get("Key") or body.get("Item"), 2))
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    ((_kind, body),) = request.items()
                    targets.append((table, body.get("Key") or body.get("Item"), 1))
        return targets

    def _key(self, meter: DynamoMeter, table: str, item: dict[str, Any]) -> dict[str, Any]:
        shape = meter.shape(table, self._shapes)
        return {name: item[name] for name in shape.keys}

    def _before(
        self, meter: DynamoMeter, operation: str, params: dict[str, Any]
    ) -> list[tuple[str, dict[str, Any], int, dict[str, Any] | None]]:
        found = []
        for table, item, multiplier in self._write_targets(operation, params):
            key = self._key(meter, table, item)
            found.append((table, key, multiplier, meter.item(table, key)))
        return found

    def _dynamodb_units(
        self,
        call: Call,
        meter: DynamoMeter,
        operation: str,
        params: dict[str, Any],
        response: dict[str, Any] | None,
        before: list[tuple[str, dict[str, Any], int, dict[str, Any] | None]],
    ) -> None:
        if operation == "GetItem":
            size = item_bytes((response or {}).get("Item"))
            call.units["dynamodb_rru"] = read_units(size, bool(params.get("ConsistentRead")))
        elif operation in ("Query", "Scan"):
            items = (response or {}).get("Items", [])
            size = sum(item_bytes(item) for item in items)
            call.units["dynamodb_rru"] = read_units(size, bool(params.get("ConsistentRead")))
            call.details.update(
                table=params.get("TableName"),
                index=params.get("IndexName"),
                count=(response or {}).get("Count"),
                scanned_count=(response or {}).get("ScannedCount"),
                consumed_capacity=(response or {}).get("ConsumedCapacity"),
                bytes_read=size,
            )
        elif operation == "BatchGetItem":
            responses = (response or {}).get("Responses", {})
            call.units["dynamodb_rru"] = sum(
                read_units(item_bytes(item), bool(spec.get("ConsistentRead")))
                for table, spec in params["RequestItems"].items()
                for item in responses.get(table, [])
            )
        elif operation == "TransactGetItems":
            items = (response or {}).get("Responses", [])
            call.units["dynamodb_rru"] = sum(
                2 * read_units(item_bytes(entry.get("Item")), True) for entry in items
            )
        elif before:
            base = indexes = 0.0
            for table, key, multiplier, old in before:
                new = meter.item(table, key)
                base += multiplier * write_units(max(item_bytes(old), item_bytes(new)))
                indexes += index_write_units(meter.shape(table, self._shapes), old, new)
            call.units["dynamodb_wru"] = base + indexes
            call.details.update(table_wru=base, index_wru=indexes)

    # other services ---------------------------------------------------------------------------

    @staticmethod
    def _other_units(call: Call, service: str, operation: str, params: dict[str, Any]) -> None:
        if service == "ses" and operation == "SendEmail":
            destination = params.get("Destination", {})
            call.units["ses_emails"] = float(
                sum(len(destination.get(kind, [])) for kind in ("ToAddresses", "CcAddresses"))
                + len(destination.get("BccAddresses", []))
            )
        elif service == "ses" and operation == "SendRawEmail":
            call.units["ses_emails"] = float(len(params.get("Destinations", [])) or 1)
        elif service == "s3" and operation in S3_PUT_CLASS:
            call.units["s3_put"] = 1.0
            body = params.get("Body")
            if isinstance(body, bytes | bytearray):
                call.details["bytes"] = len(body)
        elif service == "s3" and operation in S3_GET_CLASS:
            call.units["s3_get"] = 1.0
        elif service == "events" and operation == "PutEvents":
            call.units["events"] = float(
                sum(
                    max(1, math.ceil(len(str(entry).encode("utf-8")) / EVENT_CHUNK_BYTES))
                    for entry in params.get("Entries", [])
                )
            )
        elif service == "stepfunctions" and operation == "StartExecution":
            call.units["sfn_executions"] = 1.0
