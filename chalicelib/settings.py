"""Deployment settings, read from the environment the stage sets, never at import time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class SettingsError(RuntimeError):
    """The environment does not describe a usable deployment."""


class Settings(BaseModel):
    """Everything a handler needs to know about where it runs.

    Field aliases are the environment variable names, so one stage's `environment_variables`
    in `.chalice/config.json` (or the local stack) is the whole configuration.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    stage: str = Field(alias="STAGE", min_length=1)
    agency_profile: str = Field(alias="AGENCY_PROFILE", min_length=1)
    resource_prefix: str = Field(alias="RESOURCE_PREFIX", pattern=r"^[A-Za-z0-9_.-]{3,80}$")
    base_url: str = Field(alias="BASE_URL", pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
    region: str = Field(alias="AWS_REGION", default="us-east-1")
    reports_bucket: str | None = Field(alias="REPORTS_BUCKET", default=None)
    records_event_bus: str = Field(alias="RECORDS_EVENT_BUS", default="default")
    copy_link_seconds: int = Field(alias="COPY_LINK_SECONDS", default=300, gt=0, le=3600)
    state_machine_arn: str | None = Field(alias="REVIEW_STATE_MACHINE_ARN", default=None)
    user_pool_id: str | None = Field(alias="USER_POOL_ID", default=None)
    user_pool_client_id: str | None = Field(alias="USER_POOL_CLIENT_ID", default=None)
    ses_configuration_set: str | None = Field(alias="SES_CONFIGURATION_SET", default=None)
    verification_ttl_seconds: int = Field(alias="VERIFICATION_TTL_SECONDS", default=900, gt=0)
    session_ttl_seconds: int = Field(alias="SESSION_TTL_SECONDS", default=8 * 3600, gt=0)
    verification_window_seconds: int = Field(
        alias="VERIFICATION_WINDOW_SECONDS", default=3600, gt=0
    )
    verifications_per_address: int = Field(alias="VERIFICATIONS_PER_ADDRESS", default=5, gt=0)
    """Links one client may ask for one address in a window."""
    verifications_per_address_total: int = Field(
        alias="VERIFICATIONS_PER_ADDRESS_TOTAL", default=20, gt=0
    )
    """Links one address may receive in a window, whoever asks: the bound on mail-bombing."""
    verifications_per_client: int = Field(alias="VERIFICATIONS_PER_CLIENT", default=30, gt=0)
    staff_sign_in_failures_per_client: int = Field(
        alias="STAFF_SIGN_IN_FAILURES_PER_CLIENT", default=20, gt=0
    )
    """Wrong staff passwords or codes from one address, whatever the names, before it is locked
    out for the profile's `staff_lockout_minutes` (each name has the profile's own, lower bound)."""
    copy_checks_per_client: int = Field(alias="COPY_CHECKS_PER_CLIENT", default=30, gt=0)
    """Verification codes one address may look up at /copies/verify in a window."""
    copy_check_window_seconds: int = Field(alias="COPY_CHECK_WINDOW_SECONDS", default=3600, gt=0)
    review_sla_seconds: int | None = Field(alias="REVIEW_SLA_SECONDS", default=None, gt=0)
    info_request_seconds: int | None = Field(alias="INFO_REQUEST_SECONDS", default=None, gt=0)
    jwks_url: str | None = Field(alias="STAFF_JWKS_URL", default=None)

    @property
    def staff_issuer(self) -> str | None:
        if not self.user_pool_id:
            return None
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def staff_jwks_url(self) -> str | None:
        """Only the local stack may fetch keys elsewhere: a deployed stage trusts Cognito alone."""
        if self.jwks_url and self.is_local:
            return self.jwks_url
        return f"{self.staff_issuer}/.well-known/jwks.json" if self.staff_issuer else None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        try:
            return cls.model_validate(dict(environ))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in issue['loc'])}: {issue['msg']}"
                for issue in error.errors()
            )
            raise SettingsError(f"invalid deployment settings: {problems}") from None

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    @property
    def bucket_name(self) -> str:
        return self.reports_bucket or f"{self.resource_prefix}-reports"

    @property
    def base_path(self) -> str:
        """The path prefix every page link carries (empty behind a custom domain)."""
        return urlsplit(self.base_url).path.rstrip("/")

    @property
    def cookies_need_tls(self) -> bool:
        parts = urlsplit(self.base_url)
        return not (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS)

    @property
    def verification_ttl(self) -> timedelta:
        return timedelta(seconds=self.verification_ttl_seconds)

    @property
    def session_ttl(self) -> timedelta:
        return timedelta(seconds=self.session_ttl_seconds)

    @property
    def verification_window(self) -> timedelta:
        return timedelta(seconds=self.verification_window_seconds)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path
