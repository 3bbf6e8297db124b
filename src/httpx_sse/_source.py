"""`EventSource`: the events of one stream, across connections when reconnecting.

A facade: the stream's state and the decisions both reading loops share live in
`StreamState` (``_stream.py``); the loops (``_loops.py``) send, read, sleep and call hooks.
"""

from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    Any,
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Dict,
    Generator,
    Generic,
    Iterator,
    Optional,
    Type,
    TypeVar,
    Union,
    overload,
)

import httpx

from . import _loops
from ._decoder import DEFAULT_MAX_EVENT_SIZE
from ._hooks import Hooks
from ._libs import library_of
from ._models import ServerSentEvent
from ._parsed import SKIP, Parser
from ._reconnect import Reconnect
from ._request import RequestPlan, check_caller_last_event_id
from ._stats import StreamStats
from ._stream import StreamState
from ._types import ResponseT

if TYPE_CHECKING:
    from .protocols import Protocol

T = TypeVar("T")

__all__ = ["EventSource", "aconnect_now", "connect_now", "source_for_request"]


class EventSource(Generic[ResponseT]):
    """The events of one stream: of one response, or, when reconnecting, of many.

    ``EventSource(response)`` reads a response from ``client.stream(...)``;
    `connect_sse` and `aconnect_sse` make one that can also reconnect.
    Iterate it (``for sse in source`` / ``async for sse in source``) or call
    ``iter_sse()`` / ``aiter_sse()``. Breaking out of the loop loses nothing:
    iterating again goes on with the next event.

    ```python
    with client.stream("GET", url) as response:
        for sse in EventSource(response):
            print(sse.data)
    ```
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
        hooks = Hooks(on_open=on_open, on_comment=on_comment, until=until, idle_timeout=idle_timeout)
        # httpx's or httpx2's: the same API, typed as httpx's inside the package.
        opened: Any = response
        self._begin(StreamState(library_of(response), hooks, None, max_event_size=max_event_size, response=opened))

    def _begin(self, stream: StreamState, protocol: Optional[Protocol] = None) -> None:
        self._stream = stream
        self._protocol = protocol
        self._iterator: Optional[Generator[ServerSentEvent, None, None]] = None
        self._async_iterator: Optional[AsyncGenerator[ServerSentEvent, None]] = None

    @property
    def response(self) -> ResponseT:
        """The response being read; when reconnecting, the latest connection's."""
        latest = self._stream.latest
        if latest is None:
            raise RuntimeError("no response yet: the first connection failed, and iterating retries it")
        return latest  # type: ignore[return-value]  # the client library's own Response

    @property
    def last_event_id(self) -> str:
        """The id of the last event handed out (or set since): sent as ``Last-Event-ID``."""
        return self._stream.last_event_id

    @property
    def retry_delay(self) -> Optional[float]:
        """Seconds to wait before reconnecting: the server's ``retry``, else the policy's initial delay."""
        return self._stream.life.base_delay(self._stream.decoder.retry)

    @property
    def reconnects(self) -> int:
        """How many times the stream has reconnected."""
        return self._stream.life.reconnects

    @property
    def cursor(self) -> Optional[str]:
        """The position to resume from: what ``cursor=`` extracted last (``None`` before
        it found one), else the last event ID."""
        return self._stream.cursor

    @property
    def stats(self) -> StreamStats:
        """A snapshot of what the stream has done so far: see `StreamStats`."""
        return self._stream.stats()

    def iter_sse(self) -> Generator[ServerSentEvent, None, None]:
        """Yield the stream's events; when reconnecting, across connections."""
        iterator = self._iterator
        if iterator is None or getattr(iterator, "gi_frame", None) is None:
            iterator = self._iterator = _loops.perform(self._stream, _loops.steps(self._stream))
        return iterator

    def __iter__(self) -> Generator[ServerSentEvent, None, None]:
        return self.iter_sse()

    @overload
    def iter_parsed(self, types: Type[T], *, strict: bool = ...) -> Iterator[T]: ...

    @overload
    def iter_parsed(self, types: Any = ..., *, strict: bool = ...) -> Iterator[Any]: ...

    def iter_parsed(self, types: Any = None, *, strict: bool = False) -> Iterator[Any]:
        """Yield each event's data parsed: as JSON (``types=None``), or validated with
        pydantic (``pip install "httpx-sse[pydantic]"``) into ``types``: one type for every
        event, or a mapping from the event's name to its type. Under a preset the name
        may come from the payload (``protocols.VERCEL_UI`` routes by its ``type`` field),
        and events with nothing to parse (``data: [DONE]``) are skipped.

        Events whose name the mapping lacks are skipped, or, with ``strict=True``, raise
        `EventParseError`, as data that is not JSON or does not validate does. The error
        names the event; the stream is untouched, so iterating again goes on after it.

        ```python
        class Delta(pydantic.BaseModel):
            type: str
            delta: dict[str, str]

        with connect_sse(client, "POST", url, json=body, protocol=protocols.ANTHROPIC) as source:
            for delta in source.iter_parsed({"content_block_delta": Delta}):
                print(delta.delta.get("text", ""), end="")
        ```
        """
        parser = Parser(types, strict, self._protocol)
        return self._parsed(parser)

    def _parsed(self, parser: Parser) -> Generator[Any, None, None]:
        for sse in self.iter_sse():
            value = parser.parse(sse)
            if value is not SKIP:
                yield value

    @overload
    def aiter_parsed(self, types: Type[T], *, strict: bool = ...) -> AsyncIterator[T]: ...

    @overload
    def aiter_parsed(self, types: Any = ..., *, strict: bool = ...) -> AsyncIterator[Any]: ...

    def aiter_parsed(self, types: Any = None, *, strict: bool = False) -> AsyncIterator[Any]:
        """The async twin of `iter_parsed`."""
        parser = Parser(types, strict, self._protocol)
        return self._aparsed(parser)

    async def _aparsed(self, parser: Parser) -> AsyncGenerator[Any, None]:
        async for sse in self.aiter_sse():
            value = parser.parse(sse)
            if value is not SKIP:
                yield value

    def close(self) -> None:
        """Stop reading: end the iteration and close the connection.

        Safe from another thread: a reader blocked on the network or waiting to reconnect
        is woken, and its iteration ends without an error.
        """
        stream = self._stream
        stream.stop()
        iterator = self._iterator
        if iterator is not None and getattr(iterator, "gi_running", False):
            stream.interrupt()  # another thread is inside the loop: it ends itself
            return
        if iterator is not None:
            iterator.close()
        if stream.response is not None:
            stream.response.close()

    def aiter_sse(self) -> AsyncGenerator[ServerSentEvent, None]:
        """The async twin of `iter_sse`."""
        iterator = self._async_iterator
        if iterator is None or getattr(iterator, "ag_frame", None) is None:
            iterator = self._async_iterator = _loops.aperform(self._stream, _loops.steps(self._stream))
        return iterator

    def __aiter__(self) -> AsyncGenerator[ServerSentEvent, None]:
        return self.aiter_sse()

    async def aclose(self) -> None:
        """The async twin of `close`; safe from another task."""
        stream = self._stream
        stream.stop()
        iterator = self._async_iterator
        if iterator is not None:
            try:
                await iterator.aclose()
            except RuntimeError as error:
                # Another task is inside the loop (an async generator says so only by
                # refusing): wake it, and it ends itself.
                if "already running" not in str(error):
                    raise
                if stream.sleeping is not None:
                    stream.sleeping.cancel()
                stream.interrupt()
                return
        if stream.response is not None:
            await stream.response.aclose()


def source_for_request(
    client: Any,
    method: str,
    url: Union[httpx.URL, str],
    *,
    reconnect: Union[bool, Reconnect],
    last_event_id: Optional[str],
    max_event_size: Optional[int],
    hooks: Hooks,
    options: Dict[str, Any],
    protocol: Optional[Protocol] = None,
) -> EventSource[Any]:
    """The `EventSource` that `connect_sse` and `aconnect_sse` yield, not yet connected."""
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
    source: EventSource[Any] = EventSource.__new__(EventSource)
    stream = StreamState(
        lib, hooks, policy, max_event_size=max_event_size, plan=plan, method=method, last_event_id=start_id
    )
    source._begin(stream, protocol)
    return source


def connect_now(source: EventSource[Any]) -> None:
    """Open the first connection at once, as ``connect_sse`` does on entry."""
    _loops.connect_now(source._stream)


async def aconnect_now(source: EventSource[Any]) -> None:
    await _loops.aconnect_now(source._stream)
