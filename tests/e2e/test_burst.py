"""50 residents at once, each from a link request to a submitted report, on the local stack.

The burst itself is `bench/burst.py`, which `make bench` times; this checks only that nothing went
wrong: every answer the one expected, every report in the staff queue exactly once, one review
per report, one link and one confirmation per address. Nothing here asserts a timing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from bench import burst
from tests.support import local_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def burst_stack() -> Iterator[local_stack.RunningStack]:
    """A stack of its own, with the one per-client cap the burst's single client address would
    break raised to exactly one link per resident (why: `burst.STACK_SETTINGS`)."""
    stack = local_stack.start(burst.STACK_SETTINGS)
    yield stack
    local_stack.stop(stack)


def test_fifty_residents_at_once_each_get_one_report_queued_and_one_confirmation(
    burst_stack: local_stack.RunningStack,
) -> None:
    # Each resident sends every answer in one PATCH, as a JSON client may: the same links,
    # sessions, drafts, submits and reviews at once, in half the requests, which keeps the test
    # near 45 s on a busy 2-core machine (the bench answers step by step, as the wizard does).
    happened = burst.run(burst_stack, by_step=False)

    assert happened.failures() == []
    assert all(journey.reference for journey in happened.journeys)
    assert len({journey.report_id for journey in happened.journeys}) == burst.RESIDENTS
    assert burst.verify(burst_stack, happened).problems == []
    # The per-client count of links lost none of the burst's concurrent increments: the cap
    # allows exactly one link per resident, so the next link from the same client is refused.
    one_more = requests.post(
        f"{burst_stack.app_url}/api/verifications",
        json={"email": "burst-one-more@example.com"},
        timeout=burst.REQUEST_SECONDS,
    )
    assert one_more.status_code == 429, one_more.text
