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
import re
import signal
import socket
import sys
import threading
import traceback
import unicodedata
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
LISTEN_BACKLOG = 128  # connections waiting to be accepted; a burst of clients must not be reset
MAX_BODY_BYTES = 1 << 20  # refused unread; the app itself refuses bodies over 64 KiB (413)
MAX_LOGGED_PATH = 200


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

        from infra.moto_atomic import make_moto_dynamodb_atomic

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        default_user_config["stepfunctions"] = {"execute_state_machine": True}
        make_moto_dynamodb_atomic()  # concurrent requests: DynamoDB's atomicity, not moto's
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
        provision.create_bucket(
            aws.s3, settings.bucket_name, settings.region, provision.origin_of(settings.base_url)
        )
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
        self._server = local_server(app, config, "127.0.0.1", self._port)
        self._thread = threading.Thread(target=self._server.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server.server_close()
        if self._moto is not None:
            self._moto.stop()


def loggable(text: str) -> str:
    """A path or request line as an access line may show it: no query string (verification links
    carry tokens there), no control characters (a client could forge lines), at most a few
    hundred characters (a URL may be 64 KiB)."""
    kept = text.split("?", 1)[0]
    kept = "".join(character for character in kept if unicodedata.category(character)[0] != "C")
    if len(kept) > MAX_LOGGED_PATH:
        kept = kept[:MAX_LOGGED_PATH] + "…"
    return kept


def declared_length(values: list[str]) -> int | None:
    """The body length a request's Content-Length headers declare: 0 without one, None unless they
    agree on one non-negative integer in ASCII digits (int() also takes "+5", "5_0" and digits
    of other scripts)."""
    if not values:
        return 0
    stripped = {value.strip() for value in values}
    if len(stripped) != 1:
        return None
    [value] = stripped
    return int(value) if re.fullmatch(r"[0-9]{1,20}", value) else None


def local_server(app: Any, config: Any, host: str, port: int) -> Any:
    """Chalice's local server (`chalice.local.LocalDevServer`), made fit for a burst of clients and
    for whatever a client sends: a request line it cannot parse, a URL over 64 KiB, a
    Content-Length that is not a length. Each of these gets an HTTP error, never a dropped
    connection or a traceback, and the server goes on answering."""
    from chalice.local import ChaliceRequestHandler, LocalDevServer, ThreadedHTTPServer

    class BurstServer(ThreadedHTTPServer):
        """A thread per connection (daemon threads: stopping never waits for a kept-alive one),
        and a listen backlog for a burst: with socketserver's default of 5, the kernel drops or
        resets new connections once a few dozen clients connect at once (a dropped one is tried
        again only a second or more later)."""

        request_queue_size = LISTEN_BACKLOG
        daemon_threads = True

    class QuietHandler(ChaliceRequestHandler):
        """Access lines without query strings; a clean 400 or 413 for a body length that is not
        one, or too long to read."""

        # Headers and body go out in separate writes: without this, delayed ACKs stall
        # every kept-alive response by ~40 ms.
        disable_nagle_algorithm = True
        # A request line it cannot parse leaves http.server assuming HTTP/0.9, and so answering
        # 400 with a bare HTML body, no status line: no client of ours speaks HTTP/0.9.
        default_request_version = "HTTP/1.1"

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            # A request line refused by parse_request (400) or too long to read (414) leaves no
            # `path`, and `command` None or empty: log what there is.
            command = loggable(getattr(self, "command", None) or "-")
            path = loggable(getattr(self, "path", "")) or "-"
            sys.stderr.write(f"{command} {path} {code}\n")

        def log_message(self, format: str, *args: Any) -> None:
            # send_error logs the raw request line ("Bad request syntax ('...')"): clean it too.
            cleaned = tuple(loggable(arg) if isinstance(arg, str) else arg for arg in args)
            sys.stderr.write(loggable(format % cleaned) + "\n")

        def _generic_handle(self) -> None:
            # Chalice's _parse_payload does int(content-length) unguarded and reads that much.
            length = declared_length(self.headers.get_all("content-length") or [])
            if length is None:
                self.close_connection = True
                self.send_error(400, "Content-Length is not a non-negative integer")
                return
            if length > MAX_BODY_BYTES:
                # Unread, the body would be taken for the next request: close the connection.
                self.close_connection = True
                self.send_error(413, f"Request bodies are at most {MAX_BODY_BYTES} bytes")
                return
            super()._generic_handle()

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

        def __getattr__(self, name: str) -> Any:
            # Any other method (TRACE, QUERY, ...) goes to the app, which answers it as it
            # answers a method a route lacks (405), as API Gateway does; http.server says 501.
            if name.startswith("do_"):
                return self._generic_handle
            raise AttributeError(name)

    return LocalDevServer(app, config, host, port, handler_cls=QuietHandler, server_cls=BurstServer)


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
