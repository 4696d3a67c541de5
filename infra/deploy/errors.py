"""The one error every step of packaging and deploying raises."""

from __future__ import annotations


class DeployError(RuntimeError):
    """A step failed; the message says which and what to do."""
