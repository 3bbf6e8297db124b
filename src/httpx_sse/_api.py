"""The package's entry points: `iter_sse`, `aiter_sse`, `connect_sse` and `aconnect_sse`.

Each makes an `EventSource` (``_source.py``) and hands out its events.
"""

from __future__ import annotations

from contextlib import asynccontextmanager, contextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, Optional, Union

import httpx

from ._compat04 import _aiter_sse_lines, _iter_sse_lines  # noqa: F401  (0.4.3's tests import them from here)
from ._decoder import DEFAULT_MAX_EVENT_SIZE
from ._hooks import Hooks, dedupe_window
from ._lifecycle import StreamFailure
from ._models import ServerSentEvent
from ._reconnect import Reconnect
from ._source import EventSource, aconnect_now, connect_now, source_for_request
from ._types import AsyncClient, Client, Response, ResponseT
from .protocols import Protocol

__all__ = ["aconnect_sse", "aiter_sse", "connect_sse", "iter_sse"]

Until = Callable[[ServerSentEvent], object]


def iter_sse(
    response: Response, *, max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE
) -> Iterator[ServerSentEvent]:
    """Read a streamed response as events.

    ```python
    with client.stream("GET", url) as response:
        for sse in iter_sse(response):
            print(sse.event, sse.data)
    ```

    Raises `SSEError` first if the response is not an event stream; a ``204 No
    Content`` yields nothing.
    """
    return EventSource(response, max_event_size=max_event_size).iter_sse()


def aiter_sse(
    response: Response, *, max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE
) -> AsyncIterator[ServerSentEvent]:
    """The async twin of `iter_sse`.

    ```python
    async with client.stream("GET", url) as response:
        async for sse in aiter_sse(response):
            print(sse.data)
    ```
    """
    return EventSource(response, max_event_size=max_event_size).aiter_sse()


def options_of(protocol: Optional[Protocol], **given: Any) -> Hooks:
    """The options of a stream: what the caller gave, and, where the caller gave nothing, the preset's."""
    if protocol is not None:
        if not isinstance(protocol, Protocol):
            raise TypeError(f"protocol takes a preset from httpx_sse.protocols, not {protocol!r}")
        for name, value in protocol.options().items():
            if given.get(name) is None:
                given[name] = value
    return Hooks(**given)


@contextmanager
def connect_sse(
    client: Client[ResponseT],
    method: str,
    url: Union[httpx.URL, str],
    *,
    reconnect: Union[bool, Reconnect] = False,
    last_event_id: Optional[str] = None,
    max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE,
    until: Optional[Until] = None,
    idle_timeout: Optional[float] = None,
    on_open: Optional[Callable[[Any], object]] = None,
    on_error: Optional[Callable[[StreamFailure], Optional[float]]] = None,
    on_comment: Optional[Callable[[str], object]] = None,
    progress: Optional[Until] = None,
    first_event_timeout: Optional[float] = None,
    resume: Optional[Callable[[StreamFailure], Any]] = None,
    cursor: Optional[Callable[[ServerSentEvent], Any]] = None,
    errors: Optional[Callable[[ServerSentEvent], Optional[BaseException]]] = None,
    dedupe: Union[bool, int] = False,
    protocol: Optional[Protocol] = None,
    **kwargs: Any,
) -> Iterator[EventSource[ResponseT]]:
    """Open a stream and yield its `EventSource`; the connection closes on exit.

    ```python
    with connect_sse(client, "GET", url, reconnect=True) as source:
        for sse in source:
            print(sse.data)
    ```

    Sends ``Accept: text/event-stream`` and ``Cache-Control: no-store`` unless the
    caller's headers say otherwise, and ``Last-Event-ID`` when ``last_event_id`` is
    given. Other keyword arguments go to the request as in ``client.stream``.

    The lifecycle options, all off by default: ``until`` ends the stream after the
    event it is true for (a stream that ends before it is cut short: resumed when
    reconnecting, else `SSEError`); ``idle_timeout`` treats that many seconds without
    an event as a dropped connection; ``on_open(response)`` sees each response
    before its first event; ``on_comment(text)`` each comment line; ``on_error(failure)``
    each failure a reconnect would retry, and returns ``None`` (wait
    ``failure.delay``), seconds to wait, or raises to stop.

    The protocol options, all off by default: ``progress(event)`` says which events
    count for ``idle_timeout`` (a ping does not); ``first_event_timeout`` bounds the
    wait from sending a request to its first progress event (both raise, or retry,
    `StreamStalled`); ``resume(failure)`` returns the request that continues the stream
    (from ``failure.cursor``) or ``None``; ``cursor(event)`` reads the position from an
    event when it is not the SSE id; ``errors(event)`` returns the exception an in-band
    error event is (a retryable `StreamError` is retried before any progress);
    ``dedupe=True`` skips events whose own id was already delivered. ``protocol`` is a
    preset from `httpx_sse.protocols` (``protocols.ANTHROPIC``, ...): the options a
    protocol sets, which keyword options given here override.
    """
    hooks = options_of(
        protocol,
        on_open=on_open,
        on_error=on_error,
        on_comment=on_comment,
        until=until,
        idle_timeout=idle_timeout,
        progress=progress,
        first_event_timeout=first_event_timeout,
        resume=resume,
        cursor=cursor,
        errors=errors,
        dedupe=dedupe_window(dedupe),
    )
    source: EventSource[ResponseT] = source_for_request(
        client,
        method,
        url,
        reconnect=reconnect,
        last_event_id=last_event_id,
        max_event_size=max_event_size,
        hooks=hooks,
        options=kwargs,
        protocol=protocol,
    )
    try:
        connect_now(source)
        yield source
    finally:
        source.close()


@asynccontextmanager
async def aconnect_sse(
    client: AsyncClient[ResponseT],
    method: str,
    url: Union[httpx.URL, str],
    *,
    reconnect: Union[bool, Reconnect] = False,
    last_event_id: Optional[str] = None,
    max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE,
    until: Optional[Until] = None,
    idle_timeout: Optional[float] = None,
    on_open: Optional[Callable[[Any], Union[object, Awaitable[object]]]] = None,
    on_error: Optional[Callable[[StreamFailure], Union[Optional[float], Awaitable[Optional[float]]]]] = None,
    on_comment: Optional[Callable[[str], Union[object, Awaitable[object]]]] = None,
    progress: Optional[Until] = None,
    first_event_timeout: Optional[float] = None,
    resume: Optional[Callable[[StreamFailure], Any]] = None,
    cursor: Optional[Callable[[ServerSentEvent], Any]] = None,
    errors: Optional[Callable[[ServerSentEvent], Optional[BaseException]]] = None,
    dedupe: Union[bool, int] = False,
    protocol: Optional[Protocol] = None,
    **kwargs: Any,
) -> AsyncIterator[EventSource[ResponseT]]:
    """The async twin of `connect_sse`; its hooks may be sync or async functions.

    ```python
    async with aconnect_sse(client, "GET", url, reconnect=True) as source:
        async for sse in source:
            print(sse.data)
    ```
    """
    hooks = options_of(
        protocol,
        on_open=on_open,
        on_error=on_error,
        on_comment=on_comment,
        until=until,
        idle_timeout=idle_timeout,
        progress=progress,
        first_event_timeout=first_event_timeout,
        resume=resume,
        cursor=cursor,
        errors=errors,
        dedupe=dedupe_window(dedupe),
    )
    source: EventSource[ResponseT] = source_for_request(
        client,
        method,
        url,
        reconnect=reconnect,
        last_event_id=last_event_id,
        max_event_size=max_event_size,
        hooks=hooks,
        options=kwargs,
        protocol=protocol,
    )
    try:
        await aconnect_now(source)
        yield source
    finally:
        await source.aclose()
