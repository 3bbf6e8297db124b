"""The reconnection policy: how long to wait after each failure, and when to give up.

`Reconnect` is the immutable policy a user passes in. It is pure arithmetic: the
lifecycle (``_lifecycle.py``) counts the failures and asks it for each wait.
"""

from __future__ import annotations

import email.utils
import math
from dataclasses import dataclass
from typing import Optional

import httpx

#: No wait is longer than a day, whatever a server asks (``retry``, ``Retry-After``).
MAX_WAIT = 24 * 60 * 60.0
#: Consecutive failures back off from at least this base (or ``initial_delay`` when it
#: is smaller), even when the server asks for no delay at all, as Firefox does.
BACKOFF_FLOOR = 0.5


@dataclass(frozen=True)
class Reconnect:
    """How to carry on when a stream drops, as a browser's EventSource does.

    The wait before reconnecting is the server's ``retry`` time if it sent one, else
    ``initial_delay`` (seconds); a ``Retry-After`` on a 429 or 503 sets it instead.
    Each further consecutive failure multiplies it by ``backoff``, up to ``max_delay``
    (a server asking more is still honoured), and takes off a random part of up to
    ``jitter`` (a fraction) so that many clients do not reconnect in step. Consecutive
    failures back off from at least half a second (or ``initial_delay`` if smaller),
    so a failing server that asks for no delay is not hammered. No wait passes a day.
    A connection that delivered events resets the count.

    Giving up: ``max_attempts`` bounds consecutive failures, ``max_elapsed`` (seconds)
    how long they may last; past either, `SSEError` is raised, chained from the last
    failure. ``fail_fast=True`` raises at once when the very first connection fails
    (wrong host, refused, 5xx) instead of retrying it. ``allow_replay=True`` lets a
    POST or PATCH that got a 2xx be sent again from the start; by default that raises
    (it would run the request twice, and an LLM API bills it twice) unless the stream
    set an id to resume from, ``resume=`` continues it by another request, or the
    request carries an ``Idempotency-Key``.

    ```python
    policy = Reconnect(initial_delay=0.5, max_attempts=10)
    with connect_sse(client, "GET", url, reconnect=policy) as source:
        for sse in source:
            print(sse.data)
    ```
    """

    initial_delay: float = 1.0
    max_delay: float = 30.0
    backoff: float = 2.0
    jitter: float = 0.5
    max_attempts: Optional[int] = None
    max_elapsed: Optional[float] = None
    fail_fast: bool = False
    allow_replay: bool = False

    def __post_init__(self) -> None:
        for name in ("initial_delay", "max_delay", "backoff", "jitter"):
            value = getattr(self, name)
            if not _is_finite_number(value):
                raise ValueError(f"{name} must be a finite number, not {value!r}")
        if self.initial_delay < 0 or self.max_delay < 0:
            raise ValueError("initial_delay and max_delay must not be negative")
        if self.backoff < 1:
            raise ValueError(f"backoff must be at least 1, not {self.backoff!r}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be between 0 and 1, not {self.jitter!r}")
        attempts = self.max_attempts
        if attempts is not None and (not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 0):
            raise ValueError(f"max_attempts must be None or a whole number, at least 0, not {attempts!r}")
        elapsed = self.max_elapsed
        if elapsed is not None and (not _is_number(elapsed) or not elapsed >= 0):
            raise ValueError(f"max_elapsed must be None or a number of seconds, not {elapsed!r}")

    def delay(
        self,
        failures: int,
        *,
        server_retry: Optional[float],
        random_fraction: float,
        retry_after: Optional[float] = None,
    ) -> float:
        """Seconds to wait before reconnect number ``failures`` in a row (1, 2, ...).

        ``server_retry`` is the stream's ``retry`` in seconds, ``retry_after`` a
        response's ``Retry-After``; ``random_fraction`` is a number in [0, 1) that picks
        the jitter. The first reconnect after a good connection waits what the server
        asked, exactly, as browsers do.
        """
        base = self.initial_delay if server_retry is None else server_retry
        asked = base if retry_after is None else retry_after
        if failures <= 1:
            return min(asked, MAX_WAIT)
        start = max(base, min(BACKOFF_FLOOR, self.initial_delay))
        ceiling = max(self.max_delay, base)
        exponent = min(failures - 1, 64)
        if start <= 0 or ceiling <= start:
            wait = min(start, ceiling)
        elif exponent * math.log(self.backoff) >= math.log(ceiling / start):
            wait = ceiling  # past the ceiling: known without the power, which may overflow a float
        else:
            wait = start * self.backoff**exponent
        wait *= 1 - self.jitter * random_fraction
        return min(max(wait, asked), MAX_WAIT)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_finite_number(value: object) -> bool:
    if not _is_number(value):
        return False
    try:
        return math.isfinite(value)  # type: ignore[arg-type]
    except OverflowError:  # an int too large for a float
        return False


def clamp_wait(seconds: object) -> float:
    """A wait in seconds, at most `MAX_WAIT`, from any int or float (however large)."""
    return float(min(seconds, MAX_WAIT))  # type: ignore[call-overload]


def retry_after_seconds(response: httpx.Response, now: float) -> Optional[float]:
    """The wait a 429 or 503 asks for in ``Retry-After`` (seconds or an HTTP date)."""
    if response.status_code not in (429, 503):
        return None
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        significant = value.lstrip("0")
        return MAX_WAIT if len(significant) > 9 else float(significant or 0)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if when is None:
        return None
    try:
        return min(MAX_WAIT, max(0.0, when.timestamp() - now))
    except (OverflowError, ValueError, OSError):
        return None


def seconds(milliseconds: Optional[int]) -> Optional[float]:
    """A stream's ``retry`` (ms, any size) as seconds, capped at `MAX_WAIT`."""
    if milliseconds is None:
        return None
    return min(milliseconds, int(MAX_WAIT * 1000)) / 1000


def describe_error(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
