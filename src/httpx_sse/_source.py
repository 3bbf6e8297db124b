"""`EventSource`: the events of one stream, across connections when reconnecting.

Two loops read it, one sync and one async. They perform what `Lifecycle` decides and
differ only in how they send, read, sleep and call hooks; everything they share is a
method here or a decision there.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from typing import Any, AsyncGenerator, AsyncIterator, Callable, Generator, Iterable, Iterator, List, Optional, Union

import anyio  # httpx's own dependency: one sleep for asyncio and trio alike
import httpx

from ._decoder import DEFAULT_MAX_EVENT_SIZE, SSEDecoder
from ._exceptions import SSEError, describe_bad_response
from ._lifecycle import IdleTimeout, Lifecycle, StreamFailure
from ._models import ServerSentEvent, SSEComment
from ._reconnect import RETRYABLE_ERRORS, Reconnect
from ._request import RequestPlan
from ._response import Verdict, aread_body_start, read_body_start

__all__ = ["EventSource"]

# Looked up at call time, so tests can wait without waiting and set the clock.
_sleep = time.sleep
_async_sleep = anyio.sleep
_clock = time.monotonic

_SLICE = 16 * 1024  # bigger chunks are decoded, and their events handed out, a slice at a time


@dataclass(frozen=True)
class Hooks:
    """The caller's lifecycle options; each ``None`` when unused."""

    on_open: Optional[Callable[[httpx.Response], Any]] = None
    on_error: Optional[Callable[[StreamFailure], Any]] = None
    on_comment: Optional[Callable[[str], Any]] = None
    until: Optional[Callable[[ServerSentEvent], object]] = None
    idle_timeout: Optional[float] = None

    def __post_init__(self) -> None:
        if self.idle_timeout is not None and not self.idle_timeout > 0:
            raise ValueError(f"idle_timeout must be a positive number of seconds, not {self.idle_timeout!r}")

    @property
    def watching(self) -> bool:
        """Whether each chunk needs more than decoding: comments, or the idle timer."""
        return self.on_comment is not None or self.idle_timeout is not None


def _reads_raw(response: httpx.Response) -> bool:
    """Whether the body can be read straight from the transport's stream.

    Without a Content-Encoding the transport's bytes are the body, and reading them
    directly skips httpx's iter_raw and iter_bytes generators: a third of the
    client's own cost per chunk when a server sends one event per chunk. What those
    layers also do is done here: the stream is marked consumed, and a network error
    gets its request (see `EventSource._with_request`). Not kept: num_bytes_downloaded.
    """
    if response.is_stream_consumed:
        return False  # already read: iter_bytes() gives the content
    encoding: str = response.headers.get("content-encoding", "identity")
    if encoding.strip().lower() != "identity":
        return False
    response.is_stream_consumed = True
    return True


def _sync_chunks(response: httpx.Response) -> Iterator[bytes]:
    if isinstance(response.stream, httpx.SyncByteStream) and _reads_raw(response):
        return iter(response.stream)
    return response.iter_bytes()


def _async_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    # The iterator itself, so that the loop can close it: an async generator left to
    # the garbage collector is finalized late (and trio warns about it).
    if isinstance(response.stream, httpx.AsyncByteStream) and _reads_raw(response):
        return response.stream.__aiter__()
    return response.aiter_bytes()


async def _aclose(response: httpx.Response, chunks: Optional[AsyncIterator[bytes]]) -> None:
    """Close the connection, then run httpx's chain of body generators to its end.

    Closing an async generator part-way leaves the generators it was reading from
    suspended, for the garbage collector to finalize late (trio warns of each):
    once the connection is closed, reading on ends them all at once.
    """
    await response.aclose()
    if chunks is not None:
        try:
            async for _ in chunks:
                pass
        except Exception:  # a closed stream may say so; it is closed either way
            pass


def _sync_result(hook: Callable[[Any], Any], argument: object) -> Any:
    result = hook(argument)
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()
        raise TypeError(f"{hook!r} returned an awaitable: async hooks need aconnect_sse")
    return result


class EventSource:
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
        response: Optional[httpx.Response],
        *,
        max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE,
        until: Optional[Callable[[ServerSentEvent], object]] = None,
        idle_timeout: Optional[float] = None,
        on_comment: Optional[Callable[[str], Any]] = None,
        on_open: Optional[Callable[[httpx.Response], Any]] = None,
    ) -> None:
        self._response = response  # the open connection, if any
        self._latest = response  # what .response shows, also between connections
        self._decoder = SSEDecoder(max_event_size=max_event_size)
        self._hooks = Hooks(on_open=on_open, on_comment=on_comment, until=until, idle_timeout=idle_timeout)
        self._life = Lifecycle(None, until=until)
        self._plan: Optional[RequestPlan] = None
        self._owned = False  # whether closing the responses is ours to do
        self._pending_failure: Optional[StreamFailure] = None
        self._last: Optional[ServerSentEvent] = None  # the last event handed out
        self._mid_chunk = False  # events of the current chunk are still being handed out
        self._idle_deadline = 0.0
        self._idle_binds = False  # whether the read timeout now set is the idle timer's
        self._read_timeout: Optional[float] = None  # the caller's own
        self._iterator: Optional[Generator[ServerSentEvent, None, None]] = None
        self._async_iterator: Optional[AsyncGenerator[ServerSentEvent, None]] = None

    @classmethod
    def _for_request(
        cls,
        client: Union[httpx.Client, httpx.AsyncClient],
        method: str,
        url: Union[httpx.URL, str],
        *,
        reconnect: Union[bool, Reconnect],
        last_event_id: Optional[str],
        max_event_size: Optional[int],
        hooks: Hooks,
        options: dict[str, Any],
    ) -> EventSource:
        if not isinstance(reconnect, (bool, Reconnect)):
            raise TypeError(f"reconnect takes True, False or a Reconnect(...) policy, not {reconnect!r}")
        source = cls(None)
        plan = RequestPlan(client, method, url, options)
        start_id = plan.initial_last_event_id if last_event_id is None else last_event_id
        if reconnect is not False and not isinstance(plan.build(start_id).stream, httpx.ByteStream):
            raise ValueError(
                "reconnect is on, but the request body is a stream that cannot be sent twice; "
                "pass the body as bytes, str, data= or json=, or turn reconnect off"
            )
        policy = None if reconnect is False else Reconnect() if reconnect is True else reconnect
        source._life = Lifecycle(policy, method=method, until=hooks.until, resuming=bool(start_id), clock=_clock)
        source._decoder = SSEDecoder(max_event_size=max_event_size, last_event_id=start_id)
        source._hooks = hooks
        source._plan = plan
        source._owned = True
        return source

    @property
    def response(self) -> httpx.Response:
        """The response being read; when reconnecting, the latest connection's."""
        if self._latest is None:
            raise RuntimeError("no response yet: the first connection failed, and iterating retries it")
        return self._latest

    @property
    def last_event_id(self) -> str:
        """The id of the last event handed out (or set since): sent as ``Last-Event-ID``."""
        if self._mid_chunk and self._last is not None:
            return self._last.id
        return self._decoder.last_event_id

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

    def _failed(
        self, error: Optional[BaseException], request: Optional[httpx.Request], reason: Optional[str] = None
    ) -> StreamFailure:
        decoder = self._decoder
        return self._life.failed(
            error, reason, last_event_id=decoder.last_event_id, server_retry_ms=decoder.retry, request=request
        )

    def _refused(self, response: httpx.Response, body_start: bytes) -> StreamFailure:
        return self._refused_error(SSEError(describe_bad_response(response, body_start), response=response))

    def _refused_error(self, error: SSEError) -> StreamFailure:
        self._life.refused(error)  # raises unless a reconnect may retry it
        return self._failed(error, error.response.request if error.response is not None else None)

    def _opened(self, response: httpx.Response) -> None:
        """A response passed the checks: the idle timer starts."""
        idle = self._hooks.idle_timeout
        if idle is not None:
            timeouts = response.request.extensions.get("timeout")
            self._read_timeout = timeouts.get("read") if isinstance(timeouts, dict) else None
            self._idle_deadline = _clock() + idle
            self._set_read_timeout(response, idle)

    def _set_read_timeout(self, response: httpx.Response, remaining: float) -> None:
        # httpcore reads the request's read timeout before each read: the next read
        # then waits no longer than the idle timer has left.
        timeouts = response.request.extensions.get("timeout")
        read = self._read_timeout
        self._idle_binds = read is None or remaining <= read
        if isinstance(timeouts, dict):
            timeouts["read"] = remaining if self._idle_binds else read

    def _decode_watched(self, chunk: bytes, response: httpx.Response) -> List[Union[ServerSentEvent, SSEComment]]:
        """Decode a chunk with comments or the idle timer in play."""
        decoder = self._decoder
        hooks = self._hooks
        items = decoder.feed_with_comments(chunk) if hooks.on_comment is not None else decoder.feed(chunk)
        idle = hooks.idle_timeout
        if idle is not None:
            now = _clock()
            if any(type(item) is ServerSentEvent for item in items):
                self._idle_deadline = now + idle
            elif now >= self._idle_deadline:
                raise self._idle_timeout(response)
            self._set_read_timeout(response, self._idle_deadline - now)
        return items  # type: ignore[return-value]

    def _idle_timeout(self, response: httpx.Response) -> IdleTimeout:
        idle = self._hooks.idle_timeout
        return IdleTimeout(f"no event for {idle:g}s (idle_timeout); comments do not count", request=response.request)

    def _read_failure(
        self, error: BaseException, response: httpx.Response, last_before: Optional[ServerSentEvent]
    ) -> StreamFailure:
        """A read failed: say which failure it is, with the request httpx may have left unset."""
        if self._last is not last_before:
            self._life.delivered()
        if isinstance(error, httpx.ReadTimeout) and self._idle_binds and not isinstance(error, IdleTimeout):
            error = self._idle_timeout(response)
        elif isinstance(error, httpx.RequestError):
            self._with_request(error, response)
        return self._failed(error, response.request)

    @staticmethod
    def _with_request(error: httpx.HTTPError, response: httpx.Response) -> None:
        try:
            error.request  # noqa: B018  (raises when httpx left it unset)
        except RuntimeError:
            error.request = response.request
        if isinstance(error, SSEError) and error.response is None:
            error.response = response

    def _ended(self, response: httpx.Response, last_before: Optional[ServerSentEvent]) -> Optional[StreamFailure]:
        if self._last is not last_before:
            self._life.delivered()
        failure = self._life.ended(self._decoder.last_event_id, self._decoder.retry, response.request)
        if failure is None:
            self._decoder.close()  # the spec's end of stream: an unterminated event is dropped
        return failure

    def _is_terminal(self, event: ServerSentEvent) -> bool:
        until = self._hooks.until
        if until is not None and until(event):
            self._life.reached_end()
            return True
        return False

    def _release(self) -> bool:
        """After a connection: whether to close it (ours, or the stream is finished)."""
        if self._life.policy is not None:
            self._response = None
        return self._owned or self._life.finished

    def _with_cause(self, error: BaseException, failure: StreamFailure) -> BaseException:
        if error.__cause__ is None and error is not failure.error:
            error.__cause__ = failure.error
        return error

    # -- sync ---------------------------------------------------------------------

    def _connect(self) -> None:
        """Send the request; when reconnecting, keep a failure for the loop to wait on."""
        assert self._plan is not None and isinstance(self._plan.client, httpx.Client)
        request = self._request()
        try:
            self._response = self._latest = self._plan.client.send(request, stream=True, **self._plan.send_options)
        except RETRYABLE_ERRORS as error:
            self._pending_failure = self._failed(error, request)
        except SSEError as error:
            self._pending_failure = self._refused_error(error)

    def _iterate(self) -> Generator[ServerSentEvent, None, None]:
        life = self._life
        decoder = self._decoder
        hooks = self._hooks
        until = hooks.until
        while not life.finished:
            failure, self._pending_failure = self._pending_failure, None
            response = self._response
            if failure is None:
                if response is None:
                    self._connect()
                    continue
                last_before = self._last
                try:
                    verdict = life.response_verdict(response)
                    if verdict is Verdict.NO_CONTENT:
                        return
                    if verdict is Verdict.STREAM:
                        if hooks.on_open is not None:
                            _sync_result(hooks.on_open, response)
                        self._opened(response)
                        watching = hooks.watching
                        for chunk in _sync_chunks(response):
                            for piece in (chunk,) if len(chunk) <= _SLICE else _slices(chunk):
                                items = self._decode_watched(piece, response) if watching else decoder.feed(piece)
                                self._mid_chunk = True
                                for item in items:
                                    if isinstance(item, SSEComment):
                                        _sync_result(hooks.on_comment, item)  # type: ignore[arg-type]
                                        continue
                                    self._last = item
                                    yield item
                                    if until is not None and self._is_terminal(item):
                                        return
                                self._mid_chunk = False
                        failure = self._ended(response, last_before)
                        if failure is None:
                            return
                    else:
                        failure = self._refused(response, read_body_start(response.iter_bytes()))
                except RETRYABLE_ERRORS as error:
                    failure = self._read_failure(error, response, last_before)
                except SSEError as error:
                    self._with_request(error, response)
                    raise
                finally:
                    self._mid_chunk = False
                    if self._release():
                        response.close()
            _sleep(self._wait(failure, self._sync_on_error(failure)))

    def _sync_on_error(self, failure: StreamFailure) -> object:
        if self._hooks.on_error is None:
            return None
        try:
            return _sync_result(self._hooks.on_error, failure)
        except BaseException as error:
            raise self._with_cause(error, failure)  # noqa: B904  (the cause is the failure's)

    def _wait(self, failure: StreamFailure, chosen: object) -> float:
        wait = self._life.wait_for(failure, chosen)
        self._decoder.close()
        return wait

    def iter_sse(self) -> Generator[ServerSentEvent, None, None]:
        """Yield the stream's events; when reconnecting, across connections."""
        iterator = self._iterator
        if iterator is None or getattr(iterator, "gi_frame", None) is None:
            iterator = self._iterator = self._iterate()
        return iterator

    def __iter__(self) -> Generator[ServerSentEvent, None, None]:
        return self.iter_sse()

    def close(self) -> None:
        """Stop reading: end the iteration and close the connection."""
        if self._iterator is not None:
            self._iterator.close()
        if self._response is not None:
            self._response.close()

    # -- async --------------------------------------------------------------------

    async def _aconnect(self) -> None:
        assert self._plan is not None and isinstance(self._plan.client, httpx.AsyncClient)
        request = self._request()
        try:
            send = self._plan.client.send(request, stream=True, **self._plan.send_options)
            self._response = self._latest = await send
        except RETRYABLE_ERRORS as error:
            self._pending_failure = self._failed(error, request)
        except SSEError as error:
            self._pending_failure = self._refused_error(error)

    async def _aiterate(self) -> AsyncGenerator[ServerSentEvent, None]:
        life = self._life
        decoder = self._decoder
        hooks = self._hooks
        until = hooks.until
        while not life.finished:
            failure, self._pending_failure = self._pending_failure, None
            response = self._response
            if failure is None:
                if response is None:
                    await self._aconnect()
                    continue
                last_before = self._last
                chunks = None
                try:
                    verdict = life.response_verdict(response)
                    if verdict is Verdict.NO_CONTENT:
                        return
                    if verdict is Verdict.STREAM:
                        if hooks.on_open is not None:
                            await _async_result(hooks.on_open, response)
                        self._opened(response)
                        watching = hooks.watching
                        chunks = _async_chunks(response)
                        async for chunk in chunks:
                            for piece in (chunk,) if len(chunk) <= _SLICE else _slices(chunk):
                                items = self._decode_watched(piece, response) if watching else decoder.feed(piece)
                                self._mid_chunk = True
                                for item in items:
                                    if isinstance(item, SSEComment):
                                        await _async_result(hooks.on_comment, item)  # type: ignore[arg-type]
                                        continue
                                    self._last = item
                                    yield item
                                    if until is not None and self._is_terminal(item):
                                        return
                                self._mid_chunk = False
                        failure = self._ended(response, last_before)
                        if failure is None:
                            return
                    else:
                        failure = self._refused(response, await aread_body_start(response.aiter_bytes()))
                except RETRYABLE_ERRORS as error:
                    failure = self._read_failure(error, response, last_before)
                except SSEError as error:
                    self._with_request(error, response)
                    raise
                finally:
                    self._mid_chunk = False
                    if self._release():
                        await _aclose(response, chunks)
            await _async_sleep(self._wait(failure, await self._async_on_error(failure)))

    async def _async_on_error(self, failure: StreamFailure) -> object:
        if self._hooks.on_error is None:
            return None
        try:
            return await _async_result(self._hooks.on_error, failure)
        except BaseException as error:
            raise self._with_cause(error, failure)  # noqa: B904  (the cause is the failure's)

    def aiter_sse(self) -> AsyncGenerator[ServerSentEvent, None]:
        """The async twin of `iter_sse`."""
        iterator = self._async_iterator
        if iterator is None or getattr(iterator, "ag_frame", None) is None:
            iterator = self._async_iterator = self._aiterate()
        return iterator

    def __aiter__(self) -> AsyncGenerator[ServerSentEvent, None]:
        return self.aiter_sse()

    async def aclose(self) -> None:
        """The async twin of `close`."""
        if self._async_iterator is not None:
            await self._async_iterator.aclose()
        if self._response is not None:
            await self._response.aclose()


async def _async_result(hook: Callable[[Any], Any], argument: object) -> Any:
    result = hook(argument)
    if inspect.isawaitable(result):
        result = await result
    return result


def _slices(chunk: bytes) -> Iterable[bytes]:
    """A big chunk in slices: fewer events alive at once keep the garbage collector's passes cheap."""
    for start in range(0, len(chunk), _SLICE):
        yield chunk[start : start + _SLICE]
