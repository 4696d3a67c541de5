"""The Chalice application class: Chalice, with the request being handled kept per thread."""

from __future__ import annotations

import threading
from typing import Any

from chalice.app import Chalice, Request


class SelfReportApp(Chalice):
    """Chalice whose `current_request` and `lambda_context` belong to the thread handling them.

    Chalice keeps both as plain attributes of the one app object: `Chalice.__call__` assigns them
    for each event and every blueprint reads them back through the app
    (`blueprint.current_request` is `app.current_request`). In Lambda that is safe, because an
    instance runs one event at a time. Chalice's local server (`chalice.local.LocalDevServer`,
    which the local stack uses) handles each connection on its own thread, so two requests at once
    would read each other's request, and a resident could save into another's report or a
    reviewer decide with another's reason (aws/chalice#759). Backing both with a
    `threading.local()` gives each thread its own pair; with one thread per event, as in Lambda,
    nothing changes.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Set before Chalice's own initialisation, in case anything there touches the request.
        self._per_thread = threading.local()
        super().__init__(*args, **kwargs)

    @property
    def current_request(self) -> Request | None:
        request: Request | None = getattr(self._per_thread, "current_request", None)
        return request

    @current_request.setter
    def current_request(self, request: Request | None) -> None:
        self._per_thread.current_request = request

    @property
    def lambda_context(self) -> Any:
        return getattr(self._per_thread, "lambda_context", None)

    @lambda_context.setter
    def lambda_context(self, context: Any) -> None:
        self._per_thread.lambda_context = context
