"""moto's DynamoDB made atomic per request, as DynamoDB is.

moto checks a condition, then writes, in separate steps, and undoes a cancelled transaction by
restoring whole tables from a copy: with concurrent requests it lets two conditional writes both
win, which DynamoDB never does. One lock per request makes moto as atomic as the service, so a
race seen on the local stack, or in a test, is the application's.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

OPERATIONS = (
    "get_item",
    "put_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "transact_write_items",
)


def atomic_operations() -> dict[str, Callable[..., Any]]:
    """`DynamoDBBackend`'s request methods, each wrapped in one shared lock (not installed)."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()

    def locked(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def call(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return original(*args, **kwargs)

        return call

    return {name: locked(getattr(DynamoDBBackend, name)) for name in OPERATIONS}


def make_moto_dynamodb_atomic() -> None:
    """Install the locked methods for the rest of the process (the local stack's)."""
    from moto.dynamodb.models import DynamoDBBackend

    for name, method in atomic_operations().items():
        setattr(DynamoDBBackend, name, method)
