"""The one place AWS clients are made: lazily, once per process, replaceable in tests."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3


class AwsClients:
    """boto3 clients for one region; each is created on first use.

    Endpoints come from botocore's own resolution, so `AWS_ENDPOINT_URL` points every client
    (PynamoDB's included) at the local stack.
    """

    def __init__(self, region: str, session: boto3.session.Session | None = None) -> None:
        self._region = region
        self._session = session

    @cached_property
    def session(self) -> boto3.session.Session:
        import boto3  # imported on first use: it costs a cold start ~90 ms that pages do not need

        return self._session or boto3.session.Session(region_name=self._region)

    def client(self, service: str, **options: Any) -> Any:
        return self.session.client(service, region_name=self._region, **options)

    @cached_property
    def ses(self) -> Any:
        return self.client("ses")

    @cached_property
    def stepfunctions(self) -> Any:
        return self.client("stepfunctions")

    @cached_property
    def s3(self) -> Any:
        from botocore.config import Config

        # Signature V4 for presigned links: the only kind every region accepts, and it expires.
        return self.client("s3", config=Config(signature_version="s3v4"))

    @cached_property
    def events(self) -> Any:
        return self.client("events")

    @cached_property
    def cognito_idp(self) -> Any:
        return self.client("cognito-idp")
