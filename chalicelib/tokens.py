"""Secrets handed to residents (link tokens, sessions): random, and stored only as digests."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32  # 256 bits from the operating system's CSPRNG


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(secret: str) -> str:
    """What the database keeps instead of the secret: a leaked table opens no session."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def looks_like_token(candidate: str) -> bool:
    return 20 <= len(candidate) <= 100 and all(
        character.isascii() and (character.isalnum() or character in "-_")
        for character in candidate
    )
