"""Email: rendered from templates (text and HTML parts), sent through SES only."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from .errors import DeliveryFailed
from .rendering import render

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    text: str
    html: str
    kind: str


class Outbox(Protocol):
    """Somewhere that sees every email sent: the local stack's console, for instance."""

    def record(self, message: EmailMessage, sent_at: datetime) -> None: ...


def compose(kind: str, to: str, *, language: str, **context: object) -> EmailMessage:
    """Render `templates/email/<kind>/` (subject.txt, body.txt, body.html) for one recipient."""
    return EmailMessage(
        to=to,
        subject=" ".join(render(f"email/{kind}/subject.txt", language, **context).split()),
        text=render(f"email/{kind}/body.txt", language, **context),
        html=render(f"email/{kind}/body.html", language, **context),
        kind=kind,
    )


class Mailer:
    def __init__(
        self,
        ses: SESClient,
        *,
        sender_address: str,
        sender_name: str,
        configuration_set: str | None,
        clock: Callable[[], datetime],
        outbox: Outbox | None = None,
    ) -> None:
        self._ses = ses
        self._source = str(Address(display_name=sender_name, addr_spec=sender_address))
        self._configuration_set = configuration_set
        self._clock = clock
        self._outbox = outbox

    def send(self, message: EmailMessage) -> str:
        request: dict[str, Any] = {
            "Source": self._source,
            "Destination": {"ToAddresses": [message.to]},
            "Message": {
                "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": message.text, "Charset": "UTF-8"},
                    "Html": {"Data": message.html, "Charset": "UTF-8"},
                },
            },
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            message_id: str = self._ses.send_email(**request)["MessageId"]
        except (ClientError, BotoCoreError) as error:
            log.error("email not sent", extra={"kind": message.kind, "cause": type(error).__name__})
            raise DeliveryFailed(
                "We could not send the email. Please try again shortly."
            ) from error
        log.info("email sent", extra={"kind": message.kind, "message_id": message_id})
        if self._outbox is not None:
            self._outbox.record(message, self._clock())
        return message_id


class RecordingOutbox:
    """Keeps every email sent in this process, newest last, and shows each to `echo`.

    Only the local stack installs one: it is how a developer sees emails without an inbox.
    """

    def __init__(self, echo: Callable[[EmailMessage, datetime], None] | None = None) -> None:
        self._messages: list[tuple[EmailMessage, datetime]] = []
        self._lock = threading.Lock()
        self._echo = echo

    def record(self, message: EmailMessage, sent_at: datetime) -> None:
        with self._lock:
            self._messages.append((message, sent_at))
        if self._echo is not None:
            self._echo(message, sent_at)

    def as_json(self) -> list[dict[str, str]]:
        with self._lock:
            return [
                {
                    "to": message.to,
                    "subject": message.subject,
                    "text": message.text,
                    "html": message.html,
                    "kind": message.kind,
                    "sent_at": sent_at.isoformat(),
                }
                for message, sent_at in self._messages
            ]
