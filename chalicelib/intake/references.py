"""Human-friendly report references: short, easy to read aloud, without 0/O, 1/I/L or U."""

from __future__ import annotations

import re
import secrets

from ..errors import NotFound

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS = (4, 4)  # 30**8, about 6.6e11 references per agency
# The shape of any reference, checked before a lookup: the agency's code, then two groups.
REFERENCE = re.compile(r"[A-Z]{2,6}-[A-Z0-9]{4}-[A-Z0-9]{4}")
NO_SUCH_REPORT = "There is no report with that reference."


def new_reference(short_code: str) -> str:
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(size)) for size in GROUPS)
    return "-".join((short_code, *groups))


def normalise_reference(candidate: object) -> str:
    """What a resident or clerk typed, as stored; what cannot be a reference is not found."""
    text = candidate.strip().upper() if isinstance(candidate, str) else ""
    if not REFERENCE.fullmatch(text):
        raise NotFound(NO_SUCH_REPORT)
    return text
