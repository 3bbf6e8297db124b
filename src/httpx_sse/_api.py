"""Reading events from httpx responses: `EventSource`, `iter_sse`, `connect_sse` and twins.

Each reader is a thin loop around `SSEDecoder`. The sync and async loops differ only
in how they read, send and sleep; every decision (is this an event stream, retry or
not, how long to wait) is made by the pure helpers in ``_response`` and ``_reconnect``.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager, contextmanager
from typing import Any, AsyncIterable, AsyncIterator, Dict, Iterable, Iterator, Optional, Union

import anyio  # httpx's own dependency: one sleep for asyncio and trio alike
import httpx

from ._decoder import DEFAULT_MAX_EVENT_SIZE, SSEDecoder
from ._exceptions import SSEError, describe_bad_response
from ._models import ServerSentEvent
from ._reconnect import RETRYABLE_ERRORS, Failure, Reconnect, ReconnectState, describe_error, retry_after_seconds
from ._response import Verdict, add_request_headers, aread_body_start, classify, read_body_start

__all__ = ["EventSource", "aconnect_sse", "aiter_sse", "connect_sse", "iter_sse"]

# Looked up at call time, so tests can wait without waiting.
_sleep = time.sleep
_async_sleep = anyio.sleep

_SEND_OPTIONS = ("auth", "follow_redirects")
_SLICE = 16 * 1024  # bigger chunks are decoded in slices of this size


def _reads_raw(response: httpx.Response) -> bool:
    """Whether the body can be read straight from the transport's stream.

    Without a Content-Encoding the transport's bytes are the body, and reading them
    directly skips httpx's iter_raw and iter_bytes generators: a third of the
    client's own cost per chunk when a server sends one event per chunk. What those
    layers also do is done here: the stream is marked consumed, and a network error
    gets its request (see `EventSource._failure`). Not kept: num_bytes_downloaded.
    """
    if response.is_stream_consumed:
        return False  # already read: iter_bytes() gives the content
    encoding: str = response.headers.get("content-encoding", "identity")
    if encoding.strip().lower() != "identity":
        return False
    response.is_stream_consumed = True
    return True


def _sync_chunks(response: httpx.Response) -> Iterable[bytes]:
    if isinstance(response.stream, httpx.SyncByteStream) and _reads_raw(response):
        return response.stream
    return response.iter_bytes()


def _async_chunks(response: httpx.Response) -> AsyncIterable[bytes]:
    if isinstance(response.stream, httpx.AsyncByteStream) and _reads_raw(response):
        return response.stream
    return response.aiter_bytes()


class EventSource:
    """The events of one stream: of one response, or, when reconnecting, of many.

    ``EventSource(response)`` reads a response from ``client.stream(...)``;
    `connect_sse` and `aconnect_sse` make one that can also reconnect.
    Iterate it (``for sse in source`` / ``async for sse in source``) or call
    ``iter_sse()`` / ``aiter_sse()``.
    """

    def __init__(
        self, response: Optional[httpx.Response], *, max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE
    ) -> None:
        self._response = response  # the open connection, if any
        self._latest = response  # what .response shows, also between connections
        self._decoder = SSEDecoder(max_event_size=max_event_size)
        self._client: Union[httpx.Client, httpx.AsyncClient, None] = None
        self._request: Optional[httpx.Request] = None
        self._send_options: Dict[str, Any] = {}
        self._reconnect: Optional[ReconnectState] = None
        self._pending_failure: Optional[Failure] = None

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
        options: Dict[str, Any],
    ) -> EventSource:
        source = cls(None, max_event_size=max_event_size)
        send_options = {name: options.pop(name) for name in _SEND_OPTIONS if name in options}
        headers = httpx.Headers(options.pop("headers", None))
        add_request_headers(headers)
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        if not (isinstance(reconnect, (bool, Reconnect))):
            raise TypeError(f"reconnect takes True, False or a Reconnect(...) policy, not {reconnect!r}")
        request = client.build_request(method, url, headers=headers, **options)
        if reconnect is not False:
            if not isinstance(request.stream, httpx.ByteStream):
                raise ValueError(
                    "reconnect is on, but the request body is a stream that cannot be sent twice; "
                    "pass the body as bytes, str, data= or json=, or turn reconnect off"
                )
            policy = Reconnect() if reconnect is True else reconnect
            source._reconnect = ReconnectState(policy)
        # Events before the stream's first id carry the one we resume from.
        source._decoder = SSEDecoder(
            max_event_size=max_event_size, last_event_id=request.headers.get("Last-Event-ID", "")
        )
        source._client = client
        source._request = request
        source._send_options = send_options
        return source

    @property
    def response(self) -> httpx.Response:
        """The response being read; when reconnecting, the latest connection's."""
        if self._latest is None:
            raise RuntimeError("no response yet: the first connection failed, and iterating retries it")
        return self._latest

    @property
    def last_event_id(self) -> str:
        """The last event ID the stream set: sent as ``Last-Event-ID`` on reconnect."""
        return self._decoder.last_event_id

    @property
    def retry_delay(self) -> Optional[float]:
        """Seconds to wait before reconnecting: the server's ``retry``, else the policy's initial delay."""
        if self._reconnect is not None:
            return self._reconnect.base_delay(self._decoder.retry)
        return None if self._decoder.retry is None else self._decoder.retry / 1000

    @property
    def reconnects(self) -> int:
        """How many times the stream has reconnected."""
        return 0 if self._reconnect is None else self._reconnect.reconnects

    # -- the decisions both loops share -------------------------------------------

    def _next_request(self) -> httpx.Request:
        assert self._request is not None
        if self._decoder.last_event_id:
            self._request.headers["Last-Event-ID"] = self._decoder.last_event_id
        elif "Last-Event-ID" in self._request.headers:
            del self._request.headers["Last-Event-ID"]
        return self._request

    def _refusal(self, response: httpx.Response, body_start: bytes) -> Failure:
        """A response that is not a stream: the failure to retry, or raise the error."""
        return self._retry_or_raise(SSEError(describe_bad_response(response, body_start), response=response))

    def _retry_or_raise(self, error: SSEError) -> Failure:
        """Refused responses, ours or an SSETransport's: retry 5xx and 429 when reconnecting."""
        response = error.response
        if self._reconnect is None or response is None or classify(response) is not Verdict.RETRYABLE:
            raise error
        return Failure(str(error), error, retry_after_seconds(response, self._reconnect.clock()))

    def _failure(self, error: Optional[BaseException]) -> Failure:
        """A connection that ended or broke: the failure to retry, or re-raise it."""
        if isinstance(error, httpx.RequestError) and self._response is not None:
            try:
                error.request  # noqa: B018  (raises when httpx left it unset)
            except RuntimeError:
                error.request = self._response.request
        if error is not None and self._reconnect is None:
            raise error
        return Failure("the stream ended" if error is None else describe_error(error), error)

    def _events_in_slices(self, chunk: bytes) -> Iterator[ServerSentEvent]:
        """Decode a big chunk a slice at a time, handing out each slice's events first.

        Fewer events alive at once make the garbage collector's passes cheap: 64 KiB
        chunks of small events decode about 10% faster so.
        """
        for start in range(0, len(chunk), _SLICE):
            events = self._decoder.feed(chunk[start : start + _SLICE])
            if events:
                if self._reconnect is not None:
                    self._reconnect.delivered()
                yield from events
                del events

    def _wait_after(self, failure: Failure) -> float:
        assert self._reconnect is not None
        return self._reconnect.next_delay(failure, self._decoder.retry, self._decoder.last_event_id)

    # -- sync ---------------------------------------------------------------------

    def _connect(self) -> None:
        """Send the request; when reconnecting, keep a network failure for the loop."""
        assert isinstance(self._client, httpx.Client)
        try:
            self._response = self._latest = self._client.send(self._next_request(), stream=True, **self._send_options)
        except RETRYABLE_ERRORS as error:
            self._pending_failure = self._failure(error)
        except SSEError as error:
            self._pending_failure = self._retry_or_raise(error)

    def iter_sse(self) -> Iterator[ServerSentEvent]:
        """Yield the stream's events; when reconnecting, across connections."""
        decoder = self._decoder
        while True:
            failure, self._pending_failure = self._pending_failure, None
            response = self._response
            if failure is None:
                try:
                    if response is None:
                        self._connect()
                        continue
                    verdict = classify(response)
                    if verdict is Verdict.NO_CONTENT:
                        return
                    if verdict is not Verdict.STREAM:
                        failure = self._refusal(response, read_body_start(response.iter_bytes()))
                    else:
                        for chunk in _sync_chunks(response):
                            if len(chunk) > _SLICE:
                                yield from self._events_in_slices(chunk)
                                continue
                            events = decoder.feed(chunk)
                            if events:
                                if self._reconnect is not None:
                                    self._reconnect.delivered()
                                yield from events
                                del events  # not held while the next chunk is decoded
                        if self._reconnect is None:
                            yield from decoder.close()
                            return
                        failure = self._failure(None)
                except RETRYABLE_ERRORS as error:
                    failure = self._failure(error)
                finally:
                    if self._reconnect is not None and response is not None:
                        response.close()
                        self._response = None
            decoder.close()
            _sleep(self._wait_after(failure))

    def __iter__(self) -> Iterator[ServerSentEvent]:
        return self.iter_sse()

    def close(self) -> None:
        if self._response is not None:
            self._response.close()

    # -- async --------------------------------------------------------------------

    async def _aconnect(self) -> None:
        assert isinstance(self._client, httpx.AsyncClient)
        try:
            request = self._next_request()
            self._response = self._latest = await self._client.send(request, stream=True, **self._send_options)
        except RETRYABLE_ERRORS as error:
            self._pending_failure = self._failure(error)
        except SSEError as error:
            self._pending_failure = self._retry_or_raise(error)

    async def aiter_sse(self) -> AsyncIterator[ServerSentEvent]:
        """The async twin of `iter_sse`."""
        decoder = self._decoder
        while True:
            failure, self._pending_failure = self._pending_failure, None
            response = self._response
            if failure is None:
                try:
                    if response is None:
                        await self._aconnect()
                        continue
                    verdict = classify(response)
                    if verdict is Verdict.NO_CONTENT:
                        return
                    if verdict is not Verdict.STREAM:
                        failure = self._refusal(response, await aread_body_start(response.aiter_bytes()))
                    else:
                        async for chunk in _async_chunks(response):
                            if len(chunk) > _SLICE:
                                for event in self._events_in_slices(chunk):
                                    yield event
                                continue
                            events = decoder.feed(chunk)
                            if events:
                                if self._reconnect is not None:
                                    self._reconnect.delivered()
                                for event in events:
                                    yield event
                                del events, event
                        if self._reconnect is None:
                            for event in decoder.close():
                                yield event
                            return
                        failure = self._failure(None)
                except RETRYABLE_ERRORS as error:
                    failure = self._failure(error)
                finally:
                    if self._reconnect is not None and response is not None:
                        await response.aclose()
                        self._response = None
            decoder.close()
            await _async_sleep(self._wait_after(failure))

    def __aiter__(self) -> AsyncIterator[ServerSentEvent]:
        return self.aiter_sse()

    async def aclose(self) -> None:
        if self._response is not None:
            await self._response.aclose()


def iter_sse(
    response: httpx.Response, *, max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE
) -> Iterator[ServerSentEvent]:
    """Read a streamed response as events.

    >>> with client.stream("GET", url) as response:  # doctest: +SKIP
    ...     for sse in iter_sse(response):
    ...         print(sse.event, sse.data)

    Raises `SSEError` first if the response is not an event stream; a ``204 No
    Content`` yields nothing.
    """
    return EventSource(response, max_event_size=max_event_size).iter_sse()


def aiter_sse(
    response: httpx.Response, *, max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE
) -> AsyncIterator[ServerSentEvent]:
    """The async twin of `iter_sse`."""
    return EventSource(response, max_event_size=max_event_size).aiter_sse()


@contextmanager
def connect_sse(
    client: httpx.Client,
    method: str,
    url: Union[httpx.URL, str],
    *,
    reconnect: Union[bool, Reconnect] = False,
    last_event_id: Optional[str] = None,
    max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE,
    **kwargs: Any,
) -> Iterator[EventSource]:
    """Open a stream and yield its `EventSource`; the connection closes on exit.

    >>> with connect_sse(client, "GET", url, reconnect=True) as source:  # doctest: +SKIP
    ...     for sse in source:
    ...         print(sse.data)

    Sends ``Accept: text/event-stream`` and ``Cache-Control: no-store`` unless the
    caller's headers say otherwise, and ``Last-Event-ID`` when ``last_event_id`` is
    given. Other keyword arguments go to the request as in ``client.stream``.
    """
    source = EventSource._for_request(
        client,
        method,
        url,
        reconnect=reconnect,
        last_event_id=last_event_id,
        max_event_size=max_event_size,
        options=kwargs,
    )
    source._connect()
    try:
        yield source
    finally:
        source.close()


@asynccontextmanager
async def aconnect_sse(
    client: httpx.AsyncClient,
    method: str,
    url: Union[httpx.URL, str],
    *,
    reconnect: Union[bool, Reconnect] = False,
    last_event_id: Optional[str] = None,
    max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE,
    **kwargs: Any,
) -> AsyncIterator[EventSource]:
    """The async twin of `connect_sse`."""
    source = EventSource._for_request(
        client,
        method,
        url,
        reconnect=reconnect,
        last_event_id=last_event_id,
        max_event_size=max_event_size,
        options=kwargs,
    )
    await source._aconnect()
    try:
        yield source
    finally:
        await source.aclose()
