"""Human-friendly report references: short, easy to read aloud, without 0/O, 1/I/L or U."""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS = (4, 4)  # 30**8, about 6.6e11 references per agency


def new_reference(short_code: str) -> str:
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(size)) for size in GROUPS)
    return "-".join((short_code, *groups))


def normalise_reference(candidate: str) -> str:
    """What a resident or clerk typed, as stored."""
    return candidate.strip().upper()
