"""JSON from outside (request bodies, cursors): parsed once, its nesting bounded.

A deeply nested document is refused rather than parsed: Python's parser recurses per level, and
nothing this service accepts nests more than a few levels.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 16


class UnreadableJson(ValueError):
    """Not JSON, not UTF-8, or nested deeper than anything this service accepts."""


def parse_json(text: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    try:
        document = json.loads(text)
    except RecursionError:
        raise UnreadableJson("nested too deeply") from None
    except ValueError as error:  # includes UnicodeDecodeError and JSONDecodeError
        raise UnreadableJson(str(error)) from None
    if depth_exceeds(document, max_depth):
        raise UnreadableJson("nested too deeply")
    return document


def depth_exceeds(document: Any, max_depth: int) -> bool:
    """Whether arrays and objects nest more than `max_depth` levels, walked without recursion."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if isinstance(value, dict) else value
        if not isinstance(value, dict | list):
            continue
        if depth > max_depth:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
