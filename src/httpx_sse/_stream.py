"""`StreamState`: the state of one event source across its connections, and the steps the loops share.

It owns everything a stream is while it is read: the decoder, the lifecycle that decides
what follows each thing that happens, the idle timer, the request plan, the open
connection, and how far the caller got through the events of a chunk. The loops
(``_loops.py``) perform the I/O and tell it what happened through its methods;
`EventSource` (``_source.py``) is the facade users hold.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from operator import length_hint
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional, Tuple, Union

import anyio
import httpx

from ._decoder import SSEDecoder
from ._exceptions import SSEError, describe_bad_response, request_of
from ._hooks import Hooks
from ._idle import IdleTimer
from ._libs import Library
from ._lifecycle import Lifecycle, StreamFailure
from ._models import ServerSentEvent, SSEComment
from ._reconnect import Reconnect
from ._request import RequestPlan

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
            resuming=bool(last_event_id),
            clock=_clock,
            error_type=lib.sse_error,
        )
        self.idle = None if hooks.idle_timeout is None else IdleTimer(hooks.idle_timeout, _clock, lib.read_timeout)
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

    # -- a connection -------------------------------------------------------------------

    def request(self) -> httpx.Request:
        assert self.plan is not None
        return self.plan.build(self.decoder.last_event_id)

    @property
    def client(self) -> Any:
        assert self.plan is not None
        return self.plan.client

    @property
    def send_options(self) -> Dict[str, Any]:
        assert self.plan is not None
        return self.plan.send_options

    def opened(self, response: httpx.Response) -> None:
        if self.idle is not None:
            self.idle.start(response)

    def decode_watched(self, chunk: bytes, response: httpx.Response) -> List[Union[ServerSentEvent, SSEComment]]:
        """Decode a chunk for the item-by-item loops: with its comments if a hook wants them; tell the idle timer."""
        decoder = self.decoder
        items: List[Union[ServerSentEvent, SSEComment]] = []
        items += decoder.feed_with_comments(chunk) if self.hooks.on_comment is not None else decoder.feed(chunk)
        if self.idle is not None:
            self.idle.after(items, response)
        return items

    def is_terminal(self, event: ServerSentEvent) -> bool:
        until = self.hooks.until
        if until is not None and until(event):
            self.life.reached_end()
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
        self, error: Optional[BaseException], request: Optional[httpx.Request], reason: Optional[str] = None
    ) -> StreamFailure:
        decoder = self.decoder
        return self.life.failed(
            error, reason, last_event_id=decoder.last_event_id, server_retry_ms=decoder.retry, request=request
        )

    def refused(self, response: httpx.Response, body_start: bytes) -> StreamFailure:
        error = self.lib.sse_error(describe_bad_response(response, body_start), response=response)
        return self.refused_error(error)

    def refused_error(self, error: SSEError) -> StreamFailure:
        self.life.refused(error)  # raises unless a reconnect may retry it
        return self.failed(error, request_of(error.response) if error.response is not None else None)

    def read_failure(
        self, error: BaseException, response: httpx.Response, last_before: Optional[ServerSentEvent]
    ) -> StreamFailure:
        """A read failed: say which failure it is, with the request httpx may have left unset."""
        self.decoder.close()  # an error the decoder still holds (an event too large) comes first
        if self.last is not last_before:
            self.life.delivered()
        if self.idle is not None:
            error = self.idle.explain(error, response)
        if isinstance(error, self.lib.request_error):
            self.with_request(error, response)
        return self.failed(error, request_of(response))

    def with_request(self, error: BaseException, response: httpx.Response) -> None:
        """Give an error the request (and response) it concerns, as httpx does for its own."""
        try:
            error.request  # type: ignore[attr-defined]  # noqa: B018  (raises when httpx left it unset)
        except RuntimeError:
            request = request_of(response)
            if request is not None:
                error.request = request  # type: ignore[attr-defined]
        if isinstance(error, SSEError):
            self.lib.adopt(error)
            if error.response is None:
                error.response = response

    def ended(self, response: httpx.Response, last_before: Optional[ServerSentEvent]) -> Optional[StreamFailure]:
        self.decoder.close()  # the spec's end of stream; raises an error the decoder still holds
        if self.last is not last_before:
            self.life.delivered()
        return self.life.ended(self.decoder.last_event_id, self.decoder.retry, request_of(response))

    def wait(self, failure: StreamFailure, chosen: object) -> float:
        wait = self.life.wait_for(failure, chosen)
        self.decoder.close()
        return wait

    # -- stopping from elsewhere --------------------------------------------------------

    def stop(self) -> None:
        """close() or aclose() was called: the loops end at their next step."""
        self.stopping.set()

    def interrupt(self) -> None:
        """Wake a read blocked on the open connection, from outside the loop reading it."""
        response = self.response
        if response is None:
            return
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        # A socket of any kind (the standard one, asyncio's or trio's wrapper of it).
        shutdown = getattr(sock, "shutdown", None)
        if shutdown is not None and response.http_version != "HTTP/2":
            # The reader sees the end of the connection at once, sync or async. (An HTTP/2
            # connection may carry other streams: those are left alone.)
            with contextlib.suppress(OSError):
                shutdown(socket.SHUT_RDWR)
        else:
            with contextlib.suppress(Exception):  # the reader's own close will follow
                response.close()
