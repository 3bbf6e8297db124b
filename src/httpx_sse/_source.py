"""`EventSource`: the events of one stream, across connections when reconnecting.

It holds the stream's state and makes the decisions both reading loops share; the
loops themselves (``_loops.py``) only send, read, sleep and call hooks.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from operator import length_hint
from typing import (
    Any,
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Dict,
    Generator,
    Generic,
    Iterator,
    List,
    Optional,
    Tuple,
    Union,
)

import anyio
import httpx

from . import _loops
from ._decoder import DEFAULT_MAX_EVENT_SIZE, SSEDecoder
from ._exceptions import SSEError, describe_bad_response, request_of
from ._hooks import Hooks
from ._idle import IdleTimer
from ._libs import Library, library_of
from ._lifecycle import Lifecycle, StreamFailure
from ._models import ServerSentEvent, SSEComment
from ._reconnect import Reconnect
from ._request import RequestPlan, check_caller_last_event_id
from ._types import ResponseT

__all__ = ["EventSource"]

# Looked up at call time, so tests can set the clock.
_clock = time.monotonic


class EventSource(Generic[ResponseT]):
    """The events of one stream: of one response, or, when reconnecting, of many.

    ``EventSource(response)`` reads a response from ``client.stream(...)``;
    `connect_sse` and `aconnect_sse` make one that can also reconnect.
    Iterate it (``for sse in source`` / ``async for sse in source``) or call
    ``iter_sse()`` / ``aiter_sse()``. Breaking out of the loop loses nothing:
    iterating again goes on with the next event.

    >>> with client.stream("GET", url) as response:  # doctest: +SKIP
    ...     for sse in EventSource(response):
    ...         print(sse.data)
    """

    def __init__(
        self,
        response: ResponseT,
        *,
        max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE,
        until: Optional[Callable[[ServerSentEvent], object]] = None,
        idle_timeout: Optional[float] = None,
        on_comment: Optional[Callable[[str], Any]] = None,
        on_open: Optional[Callable[[httpx.Response], Any]] = None,
    ) -> None:
        # httpx's or httpx2's: the same API, typed as httpx's inside the package.
        self._response: Optional[httpx.Response] = response  # type: ignore[assignment]  # the open connection
        self._latest = self._response  # what .response shows, also between connections
        self._plan: Optional[RequestPlan] = None
        self._owned = False  # whether closing the responses is ours to do
        hooks = Hooks(on_open=on_open, on_comment=on_comment, until=until, idle_timeout=idle_timeout)
        self._start(library_of(response), hooks, None, max_event_size=max_event_size)

    def _start(
        self,
        lib: Library,
        hooks: Hooks,
        policy: Optional[Reconnect],
        *,
        max_event_size: Optional[int],
        method: str = "GET",
        last_event_id: str = "",
    ) -> None:
        self._lib = lib
        self._hooks = hooks
        self._decoder = SSEDecoder(max_event_size=max_event_size, last_event_id=last_event_id)
        self._life = Lifecycle(
            policy,
            method=method,
            until=hooks.until,
            resuming=bool(last_event_id),
            clock=_clock,
            error_type=lib.sse_error,
        )
        self._idle = None if hooks.idle_timeout is None else IdleTimer(hooks.idle_timeout, _clock, lib.read_timeout)
        self._pending_failure: Optional[StreamFailure] = None
        self._last: Optional[ServerSentEvent] = None  # the last event handed out
        self._mid_chunk = False  # events of the current chunk are still being handed out
        # Or, on the readers' fast path: the current chunk's events and their iterator.
        self._handing: Optional[Tuple[List[ServerSentEvent], Iterator[ServerSentEvent]]] = None
        self._chunks: Optional[AsyncIterator[bytes]] = None  # the body the async loop reads
        self._iterator: Optional[Generator[ServerSentEvent, None, None]] = None
        self._async_iterator: Optional[AsyncGenerator[ServerSentEvent, None]] = None
        # Set by close() and aclose(), which may come from another thread or task.
        self._stopping = threading.Event()
        self._sleeping: Optional[anyio.CancelScope] = None  # the async loop's wait, to cancel

    @classmethod
    def _for_request(
        cls,
        client: Any,
        method: str,
        url: Union[httpx.URL, str],
        *,
        reconnect: Union[bool, Reconnect],
        last_event_id: Optional[str],
        max_event_size: Optional[int],
        hooks: Hooks,
        options: Dict[str, Any],
    ) -> EventSource[Any]:
        if not isinstance(reconnect, (bool, Reconnect)):
            raise TypeError(f"reconnect takes True, False or a Reconnect(...) policy, not {reconnect!r}")
        lib = library_of(client)
        plan = RequestPlan(client, method, url, options)
        start_id = check_caller_last_event_id(plan.initial_last_event_id if last_event_id is None else last_event_id)
        if reconnect is not False and not isinstance(plan.build(start_id).stream, lib.byte_stream):
            raise ValueError(
                "reconnect is on, but the request body is a stream that cannot be sent twice; "
                "pass the body as bytes, str, data= or json=, or turn reconnect off"
            )
        policy = None if reconnect is False else Reconnect() if reconnect is True else reconnect
        source = cls.__new__(cls)
        source._response = source._latest = None
        source._plan = plan
        source._owned = True
        source._start(lib, hooks, policy, max_event_size=max_event_size, method=method, last_event_id=start_id)
        return source

    @property
    def response(self) -> ResponseT:
        """The response being read; when reconnecting, the latest connection's."""
        if self._latest is None:
            raise RuntimeError("no response yet: the first connection failed, and iterating retries it")
        return self._latest  # type: ignore[return-value]  # the client library's own Response

    @property
    def last_event_id(self) -> str:
        """The id of the last event handed out (or set since): sent as ``Last-Event-ID``."""
        handed = self._handed_out()
        return self._decoder.last_event_id if handed is None else handed.id

    def _handed_out(self) -> Optional[ServerSentEvent]:
        """The last event handed out, while the events of a chunk are being handed out."""
        if self._handing is not None:
            events, rest = self._handing
            count = len(events) - length_hint(rest)
            return events[count - 1] if count else self._last
        return self._last if self._mid_chunk else None

    @property
    def retry_delay(self) -> Optional[float]:
        """Seconds to wait before reconnecting: the server's ``retry``, else the policy's initial delay."""
        return self._life.base_delay(self._decoder.retry)

    @property
    def reconnects(self) -> int:
        """How many times the stream has reconnected."""
        return self._life.reconnects

    # -- what both loops share ------------------------------------------------------

    def _request(self) -> httpx.Request:
        assert self._plan is not None
        return self._plan.build(self._decoder.last_event_id)

    def _client(self) -> Any:
        assert self._plan is not None
        return self._plan.client

    def _send_options(self) -> Dict[str, Any]:
        assert self._plan is not None
        return self._plan.send_options

    def _failed(
        self, error: Optional[BaseException], request: Optional[httpx.Request], reason: Optional[str] = None
    ) -> StreamFailure:
        decoder = self._decoder
        return self._life.failed(
            error, reason, last_event_id=decoder.last_event_id, server_retry_ms=decoder.retry, request=request
        )

    def _refused(self, response: httpx.Response, body_start: bytes) -> StreamFailure:
        error = self._lib.sse_error(describe_bad_response(response, body_start), response=response)
        return self._refused_error(error)

    def _refused_error(self, error: SSEError) -> StreamFailure:
        self._life.refused(error)  # raises unless a reconnect may retry it
        return self._failed(error, request_of(error.response) if error.response is not None else None)

    def _opened(self, response: httpx.Response) -> None:
        if self._idle is not None:
            self._idle.start(response)

    def _decode_watched(self, chunk: bytes, response: httpx.Response) -> List[Union[ServerSentEvent, SSEComment]]:
        """Decode a chunk for the item-by-item loops: with its comments if a hook wants them; tell the idle timer."""
        decoder = self._decoder
        items: List[Union[ServerSentEvent, SSEComment]] = []
        items += decoder.feed_with_comments(chunk) if self._hooks.on_comment is not None else decoder.feed(chunk)
        if self._idle is not None:
            self._idle.after(items, response)
        return items

    def _read_failure(
        self, error: BaseException, response: httpx.Response, last_before: Optional[ServerSentEvent]
    ) -> StreamFailure:
        """A read failed: say which failure it is, with the request httpx may have left unset."""
        self._decoder.close()  # an error the decoder still holds (an event too large) comes first
        if self._last is not last_before:
            self._life.delivered()
        if self._idle is not None:
            error = self._idle.explain(error, response)
        if isinstance(error, self._lib.request_error):
            self._with_request(error, response)
        return self._failed(error, request_of(response))

    def _with_request(self, error: BaseException, response: httpx.Response) -> None:
        """Give an error the request (and response) it concerns, as httpx does for its own."""
        try:
            error.request  # type: ignore[attr-defined]  # noqa: B018  (raises when httpx left it unset)
        except RuntimeError:
            request = request_of(response)
            if request is not None:
                error.request = request  # type: ignore[attr-defined]
        if isinstance(error, SSEError):
            self._lib.adopt(error)
            if error.response is None:
                error.response = response

    def _ended(self, response: httpx.Response, last_before: Optional[ServerSentEvent]) -> Optional[StreamFailure]:
        self._decoder.close()  # the spec's end of stream; raises an error the decoder still holds
        if self._last is not last_before:
            self._life.delivered()
        return self._life.ended(self._decoder.last_event_id, self._decoder.retry, request_of(response))

    def _is_terminal(self, event: ServerSentEvent) -> bool:
        until = self._hooks.until
        if until is not None and until(event):
            self._life.reached_end()
            return True
        return False

    def _release(self) -> bool:
        """After a connection: whether to close it (ours, or the stream is finished)."""
        self._mid_chunk = False
        self._handing = None
        if self._life.policy is not None:
            self._response = None
        return self._owned or self._life.finished

    def _wait(self, failure: StreamFailure, chosen: object) -> float:
        wait = self._life.wait_for(failure, chosen)
        self._decoder.close()
        return wait

    def iter_sse(self) -> Generator[ServerSentEvent, None, None]:
        """Yield the stream's events; when reconnecting, across connections."""
        iterator = self._iterator
        if iterator is None or getattr(iterator, "gi_frame", None) is None:
            iterator = self._iterator = _loops.perform(self, _loops.steps(self))
        return iterator

    def __iter__(self) -> Generator[ServerSentEvent, None, None]:
        return self.iter_sse()

    def close(self) -> None:
        """Stop reading: end the iteration and close the connection.

        Safe from another thread: a reader blocked on the network or waiting to reconnect
        is woken, and its iteration ends without an error.
        """
        self._stopping.set()
        iterator = self._iterator
        if iterator is not None and getattr(iterator, "gi_running", False):
            self._interrupt()  # another thread is inside the loop: it ends itself
            return
        if iterator is not None:
            iterator.close()
        if self._response is not None:
            self._response.close()

    def _interrupt(self) -> None:
        """Wake a read blocked on the open connection, from outside the loop reading it."""
        response = self._response
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

    def aiter_sse(self) -> AsyncGenerator[ServerSentEvent, None]:
        """The async twin of `iter_sse`."""
        iterator = self._async_iterator
        if iterator is None or getattr(iterator, "ag_frame", None) is None:
            iterator = self._async_iterator = _loops.aperform(self, _loops.steps(self))
        return iterator

    def __aiter__(self) -> AsyncGenerator[ServerSentEvent, None]:
        return self.aiter_sse()

    async def aclose(self) -> None:
        """The async twin of `close`; safe from another task."""
        self._stopping.set()
        iterator = self._async_iterator
        if iterator is not None:
            try:
                await iterator.aclose()
            except RuntimeError as error:
                # Another task is inside the loop (an async generator says so only by
                # refusing): wake it, and it ends itself.
                if "already running" not in str(error):
                    raise
                if self._sleeping is not None:
                    self._sleeping.cancel()
                self._interrupt()
                return
        if self._response is not None:
            await self._response.aclose()
