"""Reconnection policy and its bookkeeping: pure state, no I/O, no clock of its own.

`Reconnect` is the immutable policy a user passes in; `ReconnectState` counts
failures and decides, for each one, whether to try again and after how long.
The sync and the async reading loops in ``_api.py`` both drive the same state.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from dataclasses import dataclass
from typing import Callable, NamedTuple, Optional

import httpx

from ._exceptions import SSEError

logger = logging.getLogger("httpx_sse")

#: What a dropped connection may raise; anything else is not the network's fault.
RETRYABLE_ERRORS = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class Reconnect:
    """How to carry on when a stream drops, as a browser's EventSource does.

    The wait before reconnecting is the server's ``retry`` time if it sent one, else
    ``initial_delay`` (seconds). Each further consecutive failure multiplies it by
    ``backoff``, up to ``max_delay`` (a server ``retry`` above ``max_delay`` is still
    honoured), and takes off a random part of up to ``jitter`` (a fraction) so that
    many clients do not reconnect in step. A ``Retry-After`` on a 429 or 503 sets the
    wait instead. A connection that delivered events resets the count.
    ``max_attempts`` bounds consecutive failed reconnects (``None``: no bound).

    >>> Reconnect(initial_delay=0.5, max_attempts=10)
    Reconnect(initial_delay=0.5, max_delay=30.0, backoff=2.0, jitter=0.5, max_attempts=10)
    """

    initial_delay: float = 1.0
    max_delay: float = 30.0
    backoff: float = 2.0
    jitter: float = 0.5
    max_attempts: Optional[int] = None

    def __post_init__(self) -> None:
        if self.initial_delay < 0 or self.max_delay < 0:
            raise ValueError("initial_delay and max_delay must not be negative")
        if self.backoff < 1:
            raise ValueError(f"backoff must be at least 1, not {self.backoff!r}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be between 0 and 1, not {self.jitter!r}")
        if self.max_attempts is not None and self.max_attempts < 0:
            raise ValueError(f"max_attempts must be None or at least 0, not {self.max_attempts!r}")

    def delay(self, failures: int, *, server_retry: Optional[float], random_fraction: float) -> float:
        """Seconds to wait before reconnect number ``failures`` in a row (1, 2, ...).

        ``random_fraction`` is a number in [0, 1) that picks the jitter; the first
        reconnect after a good connection waits the base time exactly, as browsers do.
        """
        base = self.initial_delay if server_retry is None else server_retry
        if failures <= 1:
            return base
        ceiling = max(self.max_delay, base)
        wait = min(ceiling, base * self.backoff ** min(failures - 1, 64))
        return wait * (1 - self.jitter * random_fraction)


def retry_after_seconds(response: httpx.Response, now: float) -> Optional[float]:
    """The wait a 429 or 503 asks for in ``Retry-After`` (seconds or an HTTP date)."""
    if response.status_code not in (429, 503):
        return None
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


class Failure(NamedTuple):
    """Why a connection ended, as the loops report it to `ReconnectState`."""

    reason: str
    error: Optional[BaseException] = None
    retry_after: Optional[float] = None


class ReconnectState:
    """Counts failures for one event source and says how long to wait after each."""

    def __init__(
        self,
        policy: Reconnect,
        *,
        random_fraction: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = policy
        self.failures = 0  # consecutive, since the last connection that delivered events
        self.reconnects = 0
        self._random_fraction = random_fraction
        self.clock = clock

    def delivered(self) -> None:
        """A connection delivered events: the next failure starts the backoff afresh."""
        self.failures = 0

    def base_delay(self, server_retry_ms: Optional[int]) -> float:
        """The wait before a first reconnect: the server's ``retry``, else the policy's."""
        return self.policy.delay(1, server_retry=_seconds(server_retry_ms), random_fraction=0.0)

    def next_delay(self, failure: Failure, server_retry_ms: Optional[int], last_event_id: str = "") -> float:
        """Seconds to wait before reconnecting; raises `SSEError` when attempts are spent."""
        self.failures += 1
        max_attempts = self.policy.max_attempts
        if max_attempts is not None and self.failures > max_attempts:
            message = f"gave up reconnecting after {max_attempts} attempt(s); last failure: {failure.reason}"
            response = failure.error.response if isinstance(failure.error, SSEError) else None
            raise SSEError(message, response=response) from failure.error
        if failure.retry_after is not None:
            wait = failure.retry_after
        else:
            server_retry = _seconds(server_retry_ms)
            wait = self.policy.delay(self.failures, server_retry=server_retry, random_fraction=self._random_fraction())
        self.reconnects += 1
        resume = f", Last-Event-ID: {last_event_id}" if last_event_id else ""
        logger.info("reconnecting in %.3fs (attempt %d%s): %s", wait, self.failures, resume, failure.reason)
        return wait


def _seconds(milliseconds: Optional[int]) -> Optional[float]:
    return None if milliseconds is None else milliseconds / 1000


def describe_error(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
