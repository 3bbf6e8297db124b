"""Where an instrumentation watches streams (``httpx_sse.otel``): the core calls it at a
handful of moments of a stream's life, never per event, and only when one is installed.

The core knows nothing of OpenTelemetry: an `Observer` turns each stream into a
`StreamWatch`, which gets the moments and, at the end, the stream's `StreamStats`.
"""

from __future__ import annotations

import contextlib
from typing import Any, ContextManager, Optional, Protocol

from ._lifecycle import StreamFailure
from ._stats import StreamStats

__all__ = ["NOT_WATCHED", "Observer", "StreamWatch", "Telemetry", "install", "observer"]

#: What `StreamWatch.sending` returns when a stream is not watched: a context that does nothing.
NOT_WATCHED: ContextManager[None] = contextlib.nullcontext()


class StreamWatch(Protocol):
    def sending(self, request: Any) -> ContextManager[Any]:
        """Around sending one request: the stream's span is the current one."""

    def opened(self, response: Any) -> None:
        """A response arrived (a stream, a refusal or the end)."""

    def reconnecting(self, failure: StreamFailure, wait: float) -> None:
        """The stream failed or ended and reconnects after ``wait`` seconds."""

    def ended(self, stats: StreamStats, last_event_id: str, error: Optional[BaseException]) -> None:
        """The stream is over: once, with what it did, its last event id, and the error it ended in."""


class Finished(Protocol):
    """What a watch is told of a stream that ended (`StreamState`)."""

    @property
    def last_event_id(self) -> str: ...

    def stats(self) -> StreamStats: ...


class Observer(Protocol):
    def watch(self, request: Any, owner: object) -> StreamWatch:
        """A stream starts with ``request`` (the first one sent, or the one a given response
        answers); ``owner`` is the object whose collection ends it, if nothing else did."""


#: The installed observer, or ``None``: the one thing the core checks when a stream starts.
observer: Optional[Observer] = None


def install(new: Optional[Observer]) -> None:
    global observer
    observer = new


class Telemetry:
    """One stream's link to the observer: nothing (one ``None`` test at each moment) when
    none was installed as the stream started; the watch, ended once, when one was."""

    __slots__ = ("watch",)

    def __init__(self) -> None:
        self.watch: Optional[StreamWatch] = None

    def start(self, request: Any, owner: object) -> None:
        """The stream's first request (or the response it was given): watched from here on."""
        if observer is not None and self.watch is None:
            self.watch = observer.watch(request, owner)

    def sending(self, request: Any) -> ContextManager[Any]:
        watch = self.watch
        return NOT_WATCHED if watch is None else watch.sending(request)

    def answered(self, response: Any) -> None:
        if self.watch is not None:
            self.watch.opened(response)

    def reconnecting(self, failure: StreamFailure, wait: float) -> None:
        if self.watch is not None:
            self.watch.reconnecting(failure, wait)

    def finish(self, stream: Finished, error: Optional[BaseException] = None) -> None:
        """The stream ended (in ``error``, if given): the first call tells the watch, later ones nothing."""
        watch, self.watch = self.watch, None
        if watch is not None:
            watch.ended(stream.stats(), stream.last_event_id, error)
