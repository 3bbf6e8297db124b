"""The package's entry points: `iter_sse`, `aiter_sse`, `connect_sse` and `aconnect_sse`.

Each makes an `EventSource` (``_source.py``) and hands out its events.
"""

from __future__ import annotations

from contextlib import asynccontextmanager, contextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, Optional, Union

import httpx

from ._compat04 import _aiter_sse_lines, _iter_sse_lines  # noqa: F401  (0.4.3's tests import them from here)
from ._decoder import DEFAULT_MAX_EVENT_SIZE
from ._hooks import Hooks
from ._lifecycle import StreamFailure
from ._models import ServerSentEvent
from ._reconnect import Reconnect
from ._source import EventSource, aconnect_now, connect_now, source_for_request
from ._types import AsyncClient, Client, Response, ResponseT

__all__ = ["aconnect_sse", "aiter_sse", "connect_sse", "iter_sse"]

Until = Callable[[ServerSentEvent], object]


def iter_sse(
    response: Response, *, max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE
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
    response: Response, *, max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE
) -> AsyncIterator[ServerSentEvent]:
    """The async twin of `iter_sse`.

    >>> async with client.stream("GET", url) as response:  # doctest: +SKIP
    ...     async for sse in aiter_sse(response):
    ...         print(sse.data)
    """
    return EventSource(response, max_event_size=max_event_size).aiter_sse()


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
    **kwargs: Any,
) -> Iterator[EventSource[ResponseT]]:
    """Open a stream and yield its `EventSource`; the connection closes on exit.

    >>> with connect_sse(client, "GET", url, reconnect=True) as source:  # doctest: +SKIP
    ...     for sse in source:
    ...         print(sse.data)

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
    """
    hooks = Hooks(on_open=on_open, on_error=on_error, on_comment=on_comment, until=until, idle_timeout=idle_timeout)
    source: EventSource[ResponseT] = source_for_request(
        client,
        method,
        url,
        reconnect=reconnect,
        last_event_id=last_event_id,
        max_event_size=max_event_size,
        hooks=hooks,
        options=kwargs,
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
    **kwargs: Any,
) -> AsyncIterator[EventSource[ResponseT]]:
    """The async twin of `connect_sse`; its hooks may be sync or async functions.

    >>> async with aconnect_sse(client, "GET", url, reconnect=True) as source:  # doctest: +SKIP
    ...     async for sse in source:
    ...         print(sse.data)
    """
    hooks = Hooks(on_open=on_open, on_error=on_error, on_comment=on_comment, until=until, idle_timeout=idle_timeout)
    source: EventSource[ResponseT] = source_for_request(
        client,
        method,
        url,
        reconnect=reconnect,
        last_event_id=last_event_id,
        max_event_size=max_event_size,
        hooks=hooks,
        options=kwargs,
    )
    try:
        await aconnect_now(source)
        yield source
    finally:
        await source.aclose()
