"""The idle timer: no event for ``idle_timeout`` seconds is a failure, heartbeats or not.

Two halves: after each chunk, a stream that sent bytes but no event is checked
against the deadline; between chunks, the next read waits no longer than the time
left, so a stream that falls silent is caught on time too.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Sequence, Type

import httpx

from ._exceptions import request_of
from ._lifecycle import IdleTimeout
from ._models import ServerSentEvent


class IdleTimer:
    def __init__(self, seconds: float, clock: Callable[[], float], read_timeout: Type[BaseException]) -> None:
        self.seconds = seconds
        self._read_timeout_error = read_timeout  # the client library's
        self._clock = clock
        self._deadline = 0.0
        self._timeouts: Optional[Dict[str, Any]] = None  # the connection's request's timeouts
        self._read_timeout: Optional[float] = None  # the caller's own
        self._binds = False  # whether the read timeout now set is ours

    def start(self, response: httpx.Response) -> None:
        """A response passed the checks: the timer starts."""
        request = request_of(response)
        timeouts = None if request is None else request.extensions.get("timeout")
        # The dict httpcore reads the read timeout from, looked up once per connection.
        self._timeouts = timeouts if isinstance(timeouts, dict) else None
        self._read_timeout = None if self._timeouts is None else self._timeouts.get("read")
        self._deadline = self._clock() + self.seconds
        self._limit_next_read(self.seconds)

    def after(self, items: Sequence[object], response: httpx.Response) -> None:
        """After a chunk: restart on an event, else raise `IdleTimeout` once past the deadline."""
        now = self._clock()
        if any(type(item) is ServerSentEvent for item in items):
            self._deadline = now + self.seconds
        elif now >= self._deadline:
            raise self.timeout(response)
        self._limit_next_read(self._deadline - now)

    def explain(self, error: BaseException, response: httpx.Response) -> BaseException:
        """A read that timed out on our limit is the idle timeout, not the caller's."""
        if isinstance(error, self._read_timeout_error) and self._binds and not isinstance(error, IdleTimeout):
            return self.timeout(response)
        return error

    def timeout(self, response: httpx.Response) -> IdleTimeout:
        message = f"no event for {self.seconds:g}s (idle_timeout); comments do not count"
        return IdleTimeout(message, request=request_of(response))

    def _limit_next_read(self, remaining: float) -> None:
        # httpcore looks up the request's read timeout before each read.
        read = self._read_timeout
        self._binds = read is None or remaining <= read
        if self._timeouts is not None:
            self._timeouts["read"] = remaining if self._binds else read
