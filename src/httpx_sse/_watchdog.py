"""The watchdog: how long a stream may go without a progress event, heartbeats or not.

Two deadlines: ``first_event_timeout`` from sending a request to its first progress
event (the time to first token), and ``idle_timeout`` between progress events after
that. An event is progress when ``progress(event)`` says so (by default every event);
comments never are. Two halves: after each chunk, a stream that sent bytes but no
progress is checked against the deadline; before each read, the read waits no longer
than the time left, so a stream that falls silent is caught on time too.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, Optional, Type

import httpx

from ._exceptions import StreamStalled, request_of, request_of_error
from ._hooks import Hooks
from ._libs import Library
from ._models import ServerSentEvent

Progress = Callable[[ServerSentEvent], object]


class Watchdog:
    def __init__(
        self,
        *,
        idle: Optional[float],
        first_event: Optional[float],
        progress: Optional[Progress],
        clock: Callable[[], float],
        read_timeout: Type[BaseException],
        stalled: Type[StreamStalled],
    ) -> None:
        self.idle = idle
        self.first_event = first_event
        self._progress = progress
        self._clock = clock
        self._read_timeout_error = read_timeout  # the client library's
        self._stalled = stalled  # the client library's StreamStalled
        self._sent_at = 0.0
        self._waiting_first = False  # no progress event yet since the request was sent
        self._deadline = math.inf
        self._timeouts: Optional[Dict[str, Any]] = None  # the connection's request's timeouts
        self._read_timeout: Optional[float] = None  # the caller's own
        self._binds = False  # whether the read timeout now set is ours

    @classmethod
    def of(cls, hooks: Hooks, lib: Library, clock: Callable[[], float]) -> Optional[Watchdog]:
        """The watchdog the options ask for, or ``None``."""
        if hooks.idle_timeout is None and hooks.first_event_timeout is None:
            return None
        return cls(
            idle=hooks.idle_timeout,
            first_event=hooks.first_event_timeout,
            progress=hooks.progress,
            clock=clock,
            read_timeout=lib.read_timeout,
            stalled=lib.error(StreamStalled),
        )

    # -- a request, then its response -------------------------------------------------

    def sent(self, request: httpx.Request) -> None:
        """A request is about to be sent: the first-event deadline starts now."""
        self._sent_at = self._clock()
        self._waiting_first = self.first_event is not None
        # The response's headers come within the first-event deadline too.
        self._watch(request.extensions.get("timeout"))
        self._deadline = self._sent_at + self.first_event if self.first_event is not None else math.inf
        self._limit_next_read(self._deadline - self._sent_at)

    def start(self, response: httpx.Response) -> None:
        """A response passed the checks: its body is watched from now."""
        now = self._clock()
        if not self._waiting_first:
            self._deadline = now + self.idle if self.idle is not None else math.inf
        request = request_of(response)
        timeouts = None if request is None else request.extensions.get("timeout")
        if timeouts is not self._timeouts:  # a response the caller opened: never sent through us
            self._watch(timeouts)
        self._limit_next_read(self._deadline - now)

    def after(self, progressed: bool, response: httpx.Response) -> None:
        """After a chunk: restart on a progress event, else raise `StreamStalled` once past the deadline."""
        now = self._clock()
        if progressed:
            self._waiting_first = False
            self._deadline = now + self.idle if self.idle is not None else math.inf
        elif now >= self._deadline:
            raise self.stall(response)
        self._limit_next_read(self._deadline - now)

    # -- what a timeout means -----------------------------------------------------------

    def explain(self, error: BaseException, response: Optional[httpx.Response] = None) -> BaseException:
        """A read (or a send) that timed out on our limit is a stall, not the caller's timeout."""
        if isinstance(error, self._read_timeout_error) and self._binds and not isinstance(error, StreamStalled):
            stall = self.stall(response, request=request_of_error(error))
            stall.__cause__ = error
            return stall
        return error

    def stall(self, response: Optional[httpx.Response], request: Optional[httpx.Request] = None) -> StreamStalled:
        if request is None and response is not None:
            request = request_of(response)
        if self._waiting_first:
            assert self.first_event is not None
            message = f"no progress event {self.first_event:g}s after the request was sent (first_event_timeout)"
            return self._stalled(message, timeout=self.first_event, kind="first_event", request=request)
        assert self.idle is not None
        unmoving = "comments do not count"
        if self._progress is not None:
            unmoving = "comments and events that progress= rejects do not count"
        message = f"no event for {self.idle:g}s (idle_timeout); {unmoving}"
        return self._stalled(message, timeout=self.idle, kind="idle", request=request)

    def _watch(self, timeouts: object) -> None:
        """The request's timeouts, which httpcore reads before each read: ours to set from now."""
        self._timeouts = timeouts if isinstance(timeouts, dict) else None
        self._read_timeout = None if self._timeouts is None else self._timeouts.get("read")

    def _limit_next_read(self, remaining: float) -> None:
        # httpcore looks up the request's read timeout before each read.
        read = self._read_timeout
        self._binds = remaining != math.inf and (read is None or remaining <= read)
        if self._timeouts is not None:
            self._timeouts["read"] = max(remaining, 0.0) if self._binds else read
