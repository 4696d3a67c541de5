"""The one place AWS clients are made: lazily, once per process, replaceable in tests.

The client types come from the boto3 stubs, a development requirement imported only while
type-checking: the Lambda package neither has them nor needs them.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ses import SESClient
    from mypy_boto3_stepfunctions import SFNClient


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
        """A client of any other service (provisioning and tests): untyped."""
        return self.session.client(service, region_name=self._region, **options)  # type: ignore[call-overload]

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        return self.session.client("dynamodb", region_name=self._region)

    @cached_property
    def ses(self) -> SESClient:
        return self.session.client("ses", region_name=self._region)

    @cached_property
    def stepfunctions(self) -> SFNClient:
        return self.session.client("stepfunctions", region_name=self._region)

    @cached_property
    def s3(self) -> S3Client:
        from botocore.config import Config

        # Signature V4 for presigned links: the only kind every region accepts, and it expires.
        return self.session.client(
            "s3", region_name=self._region, config=Config(signature_version="s3v4")
        )

    @cached_property
    def events(self) -> EventBridgeClient:
        return self.session.client("events", region_name=self._region)

    @cached_property
    def cognito_idp(self) -> CognitoIdentityProviderClient:
        return self.session.client("cognito-idp", region_name=self._region)
