"""Start the real local stack (`python -m infra.local_stack`) as a subprocess, like `make run`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from infra.local_stack import EMAIL_END, EMAIL_START, free_port

PROJECT_DIR = Path(__file__).resolve().parents[2]
READY_LINE = "Self-Report is running locally."
STARTUP_SECONDS = 90


@dataclass
class Site:
    """A local stack seen over HTTP: its address and the emails it has sent."""

    app_url: str

    def outbox(self) -> list[dict[str, str]]:
        response = requests.get(f"{self.app_url}/_local/outbox", timeout=10)
        response.raise_for_status()
        messages: list[dict[str, str]] = response.json()
        return messages

    def emails_to(self, address: str) -> list[dict[str, str]]:
        return [message for message in self.outbox() if message["to"] == address]

    def latest_link(self, address: str) -> str:
        messages = self.emails_to(address)
        assert messages, f"no email was sent to {address}"
        match = re.search(r"https?://\S+/verify\?token=[\w-]+", messages[-1]["text"])
        assert match, "the verification email holds no link"
        return match.group(0)


@dataclass
class RunningStack(Site):
    """The local stack in a subprocess, as `make run` starts it."""

    process: subprocess.Popen[str]
    aws_url: str
    output: list[str] = field(default_factory=list)

    def log_lines(self) -> list[str]:
        """What the stack printed, without the emails it shows on purpose."""
        lines, inside_email = [], False
        for line in list(self.output):
            if line.startswith(EMAIL_START):
                inside_email = True
            elif line.startswith(EMAIL_END):
                inside_email = False
            elif not inside_email:
                lines.append(line)
        return lines


def start(extra_env: dict[str, str] | None = None) -> RunningStack:
    port, aws_port = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key not in {"MOTO_PORT", "PORT"}
    }
    env.update(PORT=str(port), MOTO_PORT=str(aws_port), PYTHONUNBUFFERED="1", **(extra_env or {}))
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local_stack"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stack = RunningStack(
        app_url=f"http://127.0.0.1:{port}",
        process=process,
        aws_url=f"http://127.0.0.1:{aws_port}",
    )
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            stack.output.append(line.rstrip("\n"))
            if line.startswith(READY_LINE):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(stack)
            raise RuntimeError("the local stack did not start:\n" + "\n".join(stack.output))
    return stack


def stop(stack: RunningStack) -> int:
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGINT)
        try:
            stack.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            stack.process.kill()
            stack.process.wait()
    return stack.process.returncode
