"""`StreamState`: the state of one event source across its connections, and the steps the loops share.

It owns everything a stream is while it is read: the decoder, the lifecycle that decides
what follows each thing that happens, the idle timer, the request plan, the open
connection, and how far the caller got through the events of a chunk. The loops
(``_loops.py``) perform the I/O and tell it what happened through its methods;
`EventSource` (``_source.py``) is the facade users hold.
"""

from __future__ import annotations

import threading
import time
from operator import length_hint
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional, Tuple

import anyio
import httpx

from ._body import wake_reader
from ._decoder import SSEDecoder
from ._exceptions import SSEError, StreamError, describe_bad_response, request_of, request_of_error
from ._gate import EventGate, Item, ask
from ._hooks import Hooks
from ._libs import Library
from ._lifecycle import Lifecycle, StreamFailure
from ._models import ServerSentEvent
from ._reconnect import Reconnect
from ._request import RequestPlan
from ._resume import Resumption
from ._stats import StreamStats, Tally
from ._telemetry import Telemetry
from ._watchdog import Watchdog

__all__ = ["StreamState"]

# Looked up at call time, so tests can set the clock.
_clock = time.monotonic


class StreamState:
    """One event source's state. ``plan`` is ``None`` for a response the caller opened
    (``EventSource(response)``); with a plan, the connections are the stream's to open
    and close.

    The loops report through its methods. The few attributes they set themselves are
    what they alone know, at a cost per event that a method call would double: the
    connection they opened (``response``, ``latest``), a failed send (``pending_failure``),
    how far the caller got through a chunk (``last``, ``mid_chunk``, ``handing``), the
    body being read (``chunks``) and the wait in progress (``sleeping``).
    """

    def __init__(
        self,
        lib: Library,
        hooks: Hooks,
        policy: Optional[Reconnect],
        *,
        max_event_size: Optional[int],
        response: Optional[httpx.Response] = None,
        plan: Optional[RequestPlan] = None,
        method: str = "GET",
        last_event_id: str = "",
    ) -> None:
        self.lib = lib
        self.hooks = hooks
        self.plan = plan
        self.owned = plan is not None  # whether closing the responses is ours to do
        self.response = response  # the open connection
        self.latest = response  # what EventSource.response shows, also between connections
        self.decoder = SSEDecoder(max_event_size=max_event_size, last_event_id=last_event_id)
        self.life = Lifecycle(
            policy,
            method=method,
            until=hooks.until,
            idempotency_key=plan is not None and plan.has_idempotency_key,
            resumable=hooks.resume is not None,
            ends_at_close=hooks.ends_at_close,
            clock=_clock,
            error_type=lib.sse_error,
        )
        self.watchdog = Watchdog.of(hooks, lib, _clock)
        self.gate = EventGate(self.decoder, hooks)
        self.tally = Tally()
        self.telemetry = Telemetry()
        if response is not None:
            self.telemetry.start(request_of(response), self)
        self.clock = _clock
        self._events_at_open = 0  # the decoder's count when this connection opened
        self.resumption = Resumption(hooks.resume, lib, self.life)
        self.pending_failure: Optional[StreamFailure] = None  # a failed send, for the loop to wait on
        self.last: Optional[ServerSentEvent] = None  # the last event handed out
        self.mid_chunk = False  # events of the current chunk are still being handed out
        # Or, on the readers' fast path: the current chunk's events and their iterator.
        self.handing: Optional[Tuple[List[ServerSentEvent], Iterator[ServerSentEvent]]] = None
        self.chunks: Optional[AsyncIterator[bytes]] = None  # the body the async loop reads
        # Set by close() and aclose(), which may come from another thread or task.
        self.stopping = threading.Event()
        self.sleeping: Optional[anyio.CancelScope] = None  # the async loop's wait, to cancel

    # -- what the caller sees ---------------------------------------------------------

    @property
    def last_event_id(self) -> str:
        """The id of the last event handed out (or set since)."""
        handed = self._handed_out()
        return self.decoder.last_event_id if handed is None else handed.id

    def _handed_out(self) -> Optional[ServerSentEvent]:
        """The last event handed out, while the events of a chunk are being handed out."""
        if self.handing is not None:
            events, rest = self.handing
            count = len(events) - length_hint(rest)
            return events[count - 1] if count else self.last
        return self.last if self.mid_chunk else None

    @property
    def cursor(self) -> Optional[str]:
        """Where to resume from: what ``cursor=`` extracted last, else the last event ID."""
        return self.gate.cursor if self.hooks.cursor is not None else self.last_event_id

    def stats(self) -> StreamStats:
        not_yet_handed = 0 if self.handing is None else length_hint(self.handing[1])
        # Read item by item, the gate counts what it hands out; on the fast path every
        # event decoded is handed out, but for the rest of the chunk in hand.
        events = self.gate.delivered if self.hooks.item_by_item else self.decoder.events_seen - not_yet_handed
        decoder = self.decoder
        return self.tally.snapshot(
            self.life.opened,
            self.life.reconnects,
            events=events,
            comments=decoder.comments_seen,
            size=decoder.bytes_seen,
        )

    # -- a connection -------------------------------------------------------------------

    def request(self) -> httpx.Request:
        """The next request: what resume= gave, else the caller's, built afresh."""
        request = self.resumption.next_request()
        if request is None:
            assert self.plan is not None
            request = self.plan.build(self.decoder.last_event_id)
        if self.tally.first_sent_at is None:
            self.tally.first_sent_at = _clock()
            self.telemetry.start(request, self)
        if self.watchdog is not None:
            self.watchdog.sent(request)
        return request

    def send_failed(self, error: BaseException, request: httpx.Request) -> StreamFailure:
        if self.watchdog is not None:
            error = self.watchdog.explain(error)
        return self.failed(error, request)

    def resume_with(self, request: object, failure: StreamFailure) -> None:
        self.resumption.take(request, failure, self.decoder.last_event_id)

    @property
    def client(self) -> Any:
        assert self.plan is not None
        return self.plan.client

    @property
    def send_options(self) -> Dict[str, Any]:
        assert self.plan is not None
        return self.plan.send_options

    def opened(self, response: httpx.Response) -> None:
        self.gate.connection_started()
        self._events_at_open = self.decoder.events_seen
        if self.watchdog is not None:
            self.watchdog.start(response)

    def progressed(self) -> bool:
        """Whether this connection handed out a progress event (on the fast path: any event)."""
        if self.hooks.item_by_item:
            return self.gate.progressed
        return self.decoder.events_seen > self._events_at_open

    def decode_watched(self, chunk: bytes, response: httpx.Response) -> List[Item]:
        """Decode a chunk for the item-by-item loops; tell the watchdog and the tally."""
        gate = self.gate
        items = gate.decode(chunk)
        progressed = any(type(item) is ServerSentEvent and gate.is_progress(item) for item in items)
        if progressed:
            self.tally.progressed(_clock())
        if self.watchdog is not None:
            self.watchdog.after(progressed, response)
        return items

    def is_terminal(self, event: ServerSentEvent) -> bool:
        until = self.hooks.until
        if until is not None and ask(until, event, "until"):
            self.life.reached_end()
            self.tally.ended("terminal")
            return True
        return False

    def release(self) -> bool:
        """After a connection: whether to close it (ours, or the stream is finished)."""
        self.mid_chunk = False
        self.handing = None
        if self.life.policy is not None:
            self.response = None
        return self.owned or self.life.finished

    # -- how a connection ends ----------------------------------------------------------

    def failed(
        self, error: Optional[BaseException], request: Optional[httpx.Request], *, served: bool = True
    ) -> StreamFailure:
        decoder = self.decoder
        return self.life.failed(
            error,
            last_event_id=decoder.last_event_id,
            server_retry_ms=decoder.retry,
            request=request,
            cursor=self.cursor,
            served=served,
        )

    def refused(self, response: httpx.Response, body_start: bytes) -> StreamFailure:
        error = self.lib.sse_error(describe_bad_response(response, body_start), response=response)
        return self.refused_error(error)

    def refused_error(self, error: SSEError) -> StreamFailure:
        self.resumption.check(error)  # raises ResumeExpired for a resume request the server cannot serve
        self.life.refused(error)  # raises unless a reconnect may retry it
        return self.failed(error, request_of(error.response) if error.response is not None else None)

    def read_failure(self, error: BaseException, response: httpx.Response, *, served: bool = True) -> StreamFailure:
        """A read failed: say which failure it is, with the request httpx may have left unset."""
        self.gate.raise_held()
        self.decoder.close()  # an error the decoder still holds (an event too large) comes first
        if self.progressed():
            self.life.delivered()
        if self.watchdog is not None:
            error = self.watchdog.explain(error, response)
        if isinstance(error, self.lib.request_error):
            self.with_request(error, response)
        return self.failed(error, request_of(response), served=served)

    def retries_in_band(self, error: BaseException, response: httpx.Response) -> bool:
        """An error the server sent in the stream (errors=): retried only when it says it may
        be and no progress event of this request reached the caller yet."""
        if isinstance(error, SSEError):
            self.with_request(error, response)
        return (
            isinstance(error, StreamError)
            and error.retryable
            and self.life.policy is not None
            and not self.progressed()
        )

    def with_request(self, error: BaseException, response: httpx.Response) -> None:
        """Give an error the request (and response) it concerns, as httpx does for its own."""
        if request_of_error(error) is None:
            request = request_of(response)
            if request is not None:
                error.request = request  # type: ignore[attr-defined]
        if isinstance(error, SSEError):
            self.lib.adopt(error)
            if error.response is None:
                error.response = response

    def ended(self, response: httpx.Response) -> Optional[StreamFailure]:
        self.gate.raise_held()
        self.decoder.close()  # the spec's end of stream; raises an error the decoder still holds
        if self.progressed():
            self.life.delivered()
        failure = self.life.ended(self.decoder.last_event_id, self.decoder.retry, request_of(response), self.cursor)
        if failure is None:
            self.tally.ended("closed")
        return failure

    def wait(self, failure: StreamFailure, chosen: object) -> float:
        wait = self.life.wait_for(failure, chosen)
        self.decoder.close()
        self.telemetry.reconnecting(failure, wait)
        return wait

    # -- stopping from elsewhere --------------------------------------------------------

    def stop(self) -> None:
        """close() or aclose() was called: the loops end at their next step."""
        self.tally.ended("closed")
        self.stopping.set()
        self.telemetry.finish(self)

    def finish(self, error: Optional[BaseException] = None) -> None:
        """The stream's plan is over (returned, raised ``error``, or was closed)."""
        if error is not None:
            self.tally.ended("error")
        self.telemetry.finish(self, error)

    def interrupt(self) -> None:
        """Wake a read blocked on the open connection, from outside the loop reading it."""
        if self.response is not None:
            wake_reader(self.response)
