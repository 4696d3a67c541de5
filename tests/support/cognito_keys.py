"""moto's Cognito key pair, so the app can verify the ID tokens moto issues and tests can sign
tokens of the same shape. moto's keys are public: a deployed stack trusts only the real issuer."""

from __future__ import annotations

import gzip
import importlib.resources
import json
import time
import uuid
from typing import Any

import jwt

_RESOURCES = importlib.resources.files("moto.cognitoidp") / "resources"


def _jwks(name: str) -> Any:
    return json.loads(gzip.decompress((_RESOURCES / name).read_bytes()))


MOTO_PRIVATE_JWK = _jwks("jwks-private.json.gz")
MOTO_KID = str(MOTO_PRIVATE_JWK["kid"])
MOTO_PRIVATE_KEY: Any = jwt.algorithms.RSAAlgorithm.from_jwk(MOTO_PRIVATE_JWK)
MOTO_PUBLIC_KEYS: dict[str, Any] = {
    key["kid"]: jwt.PyJWK(key).key for key in _jwks("jwks-public.json.gz")["keys"]
}


def moto_signing_keys(token: str) -> Any:
    """The pool's published key for the token's `kid`, as `jwks_signing_keys` returns it."""
    kid = jwt.get_unverified_header(token).get("kid")
    if kid not in MOTO_PUBLIC_KEYS:
        raise jwt.PyJWKClientError(f"no signing key {kid!r}")
    return MOTO_PUBLIC_KEYS[kid]


def moto_id_token(
    issuer: str,
    audience: str,
    username: str,
    groups: list[str] | None,
    *,
    token_use: str = "id",  # noqa: S107 - a claim, not a password
    key: Any = MOTO_PRIVATE_KEY,
    algorithm: str = "RS256",
    issued: int | None = None,
    lifetime: int = 3600,
) -> str:
    """A Cognito-shaped ID token signed with moto's key (or `key`, to forge one)."""
    now = int(time.time()) if issued is None else issued
    claims: dict[str, object] = {
        "iss": issuer,
        "sub": str(uuid.uuid4()),
        "aud": audience,
        "token_use": token_use,
        "iat": now,
        "auth_time": now,
        "exp": now + lifetime,
        "cognito:username": username,
    }
    if groups is not None:
        claims["cognito:groups"] = groups
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": MOTO_KID})
