"""One page of a PynamoDB query, as the paged lists (the queue, a search) read it: exactly one
`Query` call. DynamoDB refuses a start key that is not one of the index's (a forged cursor):
that is the caller's 422; any other failure is an outage."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import QueryError
from pynamodb.pagination import ResultIterator

from .errors import DeliveryFailed, InvalidInput

BUSY = "The service is busy. Please try again shortly."


def first_page(results: ResultIterator[Any]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The raw items of the query's first page, and the key to go on from (None at the end)."""
    try:
        page: dict[str, Any] = next(results.page_iter, {})
    except QueryError as error:
        if "ValidationException" in str(error):
            raise InvalidInput("The cursor is not valid.", fields={"cursor": "not valid"}) from None
        raise DeliveryFailed(BUSY) from error
    items: list[dict[str, Any]] = page.get("Items", [])
    return items, results.page_iter.last_evaluated_key
