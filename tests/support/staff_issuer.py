"""A test module's own issuer of staff ID tokens, shaped as Cognito's: the app checks a real
RS256 signature, the issuer, the audience, the expiry and the groups, and the token's
server-side session is open, as at a real sign-in."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.review.staff import StaffTokens
from tests.support.deployment import open_staff_session


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class StaffIssuer:
    pool: str
    """The user pool's name, which makes the issuer's URL and the audience."""
    region: str = "us-east-1"
    key: rsa.RSAPrivateKey = field(default_factory=_new_key, repr=False)

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.region}_{self.pool}"

    @property
    def audience(self) -> str:
        return self.pool.lower()

    def tokens(self) -> StaffTokens:
        """What the app checks staff tokens with: this issuer's key only."""
        return StaffTokens(
            issuer=self.issuer, audience=self.audience, signing_keys=lambda _: self.key.public_key()
        )

    def session_token(self, username: str, group: str) -> str:
        """An ID token of `username` in `group`, valid for an hour, its session opened."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": username,
            "token_use": "id",
            "iat": now,
            "exp": now + 3600,
            "cognito:username": username,
            "cognito:groups": [group],
        }
        return open_staff_session(jwt.encode(claims, self.key, algorithm="RS256"))
