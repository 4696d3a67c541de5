"""The whole system on one machine, in one process, with no AWS account and no Docker.

moto's server stands in for AWS; every resource is provisioned from the project's own definitions;
Lambda invocations (including the state machine's) run the Chalice handlers in-process; the
Chalice app is served over HTTP; every email is printed and kept for `GET /_local/outbox`.

    python -m infra.local_stack            (what `make run` does)
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

PROJECT_DIR = Path(__file__).resolve().parent.parent
LOCAL_STAGE = "local"
DEFAULT_STAFF_PASSWORD = "Demo-Passw0rd!"  # noqa: S105 - the documented demo login, local only
EMAIL_START = "──── email "
EMAIL_END = "──── end of email ────"


@dataclass(frozen=True)
class Endpoints:
    app_url: str
    aws_url: str
    user_pool_id: str
    user_pool_client_id: str
    state_machine_arn: str
    staff_password: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def console_echo(stream: TextIO) -> Callable[[Any, datetime], None]:
    lock = threading.Lock()

    def echo(message: Any, sent_at: datetime) -> None:
        with lock:
            stream.write(
                f"{EMAIL_START}{sent_at:%H:%M:%S} ────\n"
                f"To:      {message.to}\nSubject: {message.subject}\n\n"
                f"{message.text.rstrip()}\n{EMAIL_END}\n"
            )
            stream.flush()

    return echo


def _stage_environment(config: Any) -> dict[str, str]:
    return {str(key): str(value) for key, value in config.environment_variables.items()}


class LocalStack:
    """Start with `start()`, stop with `stop()`; the process's environment points boto3 at moto."""

    def __init__(
        self,
        *,
        port: int = 8000,
        aws_port: int = 0,
        staff_password: str = DEFAULT_STAFF_PASSWORD,
        agency: str | None = None,
        stream: TextIO = sys.stdout,
        overrides: dict[str, str] | None = None,
    ) -> None:
        self._port = port
        self._aws_port = aws_port or free_port()
        self._staff_password = staff_password
        self._agency = agency
        self._stream = stream
        self._overrides = overrides or {}
        self._moto: Any = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> Endpoints:
        aws_url = f"http://127.0.0.1:{self._aws_port}"
        os.environ.update(
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",  # noqa: S106 - moto accepts any credentials
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ENDPOINT_URL=aws_url,
            MOTO_PORT=str(self._aws_port),  # moto's Step Functions interpreter calls back here
        )
        self._start_moto()
        app, config = self._load_app()
        environment = _stage_environment(config)
        if self._agency:
            environment["AGENCY_PROFILE"] = self._agency
        app_url = f"http://127.0.0.1:{self._port}"
        environment.update(BASE_URL=app_url, AWS_REGION="us-east-1")
        environment.update(self._overrides)
        os.environ.update(environment)

        from chalicelib import services
        from chalicelib.mail import RecordingOutbox

        current = services.install(
            services.Services(outbox=RecordingOutbox(console_echo(self._stream)))
        )
        endpoints = self._provision(current, app, app_url, aws_url)
        self._serve(app, config)
        return endpoints

    def _start_moto(self) -> None:
        from moto.core.config import default_user_config
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        default_user_config["stepfunctions"] = {"execute_state_machine": True}
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self._aws_port, verbose=False)
        self._moto.start()

    def _load_app(self) -> tuple[Any, Any]:
        from chalice.cli.factory import CLIFactory

        config = CLIFactory(project_dir=str(PROJECT_DIR)).create_config_obj(
            chalice_stage_name=LOCAL_STAGE
        )
        return config.chalice_app, config

    def _provision(self, current: Any, app: Any, app_url: str, aws_url: str) -> Endpoints:
        from chalicelib import services
        from chalicelib.models import AuditEvent, Report, table_name
        from infra import provision

        settings = current.settings
        aws = current.aws
        prefix = settings.resource_prefix
        provision.create_tables(aws.client("dynamodb"))
        provision.create_bucket(aws.s3, settings.bucket_name, settings.region)
        provision.verify_sender(aws.ses, current.agency.sender.address)
        pool_id, client_id = provision.create_staff_pool(
            aws.cognito_idp, f"{prefix}-staff", self._staff_password
        )
        role_arn = provision.create_execution_role(aws.client("iam"), f"{prefix}-execution")
        handlers = {
            provision.lambda_function_name(app.app_name, LOCAL_STAGE, function.name): function
            for function in app.pure_lambda_functions
        }
        arns = provision.create_functions(aws.client("lambda"), role_arn, handlers)
        install_lambda_dispatcher(handlers)
        state_machine_arn = provision.create_state_machine(
            aws.stepfunctions,
            f"{prefix}-review",
            role_arn,
            provision.REVIEW_STATE_MACHINE,
            {
                "ReviewStepFunctionArn": arns[
                    provision.lambda_function_name(app.app_name, LOCAL_STAGE, "review_step")
                ],
                "ReportsTableName": table_name(prefix, Report),
                "AuditTableName": table_name(prefix, AuditEvent),
            },
        )
        os.environ.update(
            USER_POOL_ID=pool_id,
            USER_POOL_CLIENT_ID=client_id,
            REVIEW_STATE_MACHINE_ARN=state_machine_arn,
            STAFF_JWKS_URL=f"{aws_url}/{pool_id}/.well-known/jwks.json",
        )
        # Settings were read before the pool and the state machine existed: build anew from them.
        services.install(services.Services(aws=current.aws, outbox=current.outbox))
        return Endpoints(
            app_url, aws_url, pool_id, client_id, state_machine_arn, self._staff_password
        )

    def _serve(self, app: Any, config: Any) -> None:
        from chalice.local import ChaliceRequestHandler, LocalDevServer

        class QuietHandler(ChaliceRequestHandler):
            """Access lines without query strings: verification links carry tokens there."""

            # Headers and body go out in separate writes: without this, delayed ACKs stall
            # every kept-alive response by ~40 ms.
            disable_nagle_algorithm = True

            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                path = self.path.split("?", 1)[0]
                sys.stderr.write(f"{self.command} {path} {code}\n")

        self._server = LocalDevServer(
            app, config, "127.0.0.1", self._port, handler_cls=QuietHandler
        )
        self._thread = threading.Thread(target=self._server.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server.server_close()
        if self._moto is not None:
            self._moto.stop()


def install_lambda_dispatcher(handlers: dict[str, Callable[[Any, Any], Any]]) -> None:
    """moto would run Lambda code in Docker; run the Chalice handler in this process instead."""
    from chalice.local import LambdaContext
    from moto.awslambda.models import LambdaFunction

    def invoke(function: Any, event: Any = None) -> tuple[str, bool, str]:
        handler = handlers.get(function.function_name)
        if handler is None:
            return (
                json.dumps({"errorMessage": f"no handler for {function.function_name}"}),
                True,
                "",
            )
        payload = event if isinstance(event, dict) else json.loads(event or "{}")
        try:
            result = handler(payload, LambdaContext(function.function_name, 256))
        except Exception as error:  # noqa: BLE001 - reported as a Lambda function error, like AWS
            traceback.print_exc()
            body = {"errorType": type(error).__name__, "errorMessage": str(error)}
            return json.dumps(body), True, ""
        return json.dumps(result), False, ""

    LambdaFunction._invoke_lambda = invoke  # type: ignore[method-assign,assignment]


def banner(endpoints: Endpoints) -> str:
    return "\n".join(
        [
            "",
            "Self-Report is running locally.",
            f"  Resident site:   {endpoints.app_url}/",
            f"  JSON API:        {endpoints.app_url}/api/agency",
            f"  Staff pages:     {endpoints.app_url}/staff",
            f"  Sent emails:     printed below, and {endpoints.app_url}/_local/outbox",
            f"  Local AWS (moto): {endpoints.aws_url}",
            "  Staff logins:    reviewer, supervisor, admin"
            f"  (password {endpoints.staff_password})",
            "Press Ctrl-C to stop.",
            "",
        ]
    )


def main() -> int:
    stack = LocalStack(
        port=int(os.environ.get("PORT", "8000")),
        aws_port=int(os.environ.get("MOTO_PORT", "0")),
        staff_password=os.environ.get("LOCAL_STAFF_PASSWORD") or DEFAULT_STAFF_PASSWORD,
        agency=os.environ.get("AGENCY") or None,
    )
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        endpoints = stack.start()
    except OSError as error:
        print(f"Could not start the local stack: {error}", file=sys.stderr)
        stack.stop()
        return 1
    print(banner(endpoints), flush=True)
    stopped.wait()
    print("Stopping…", flush=True)
    stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
