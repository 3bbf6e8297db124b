"""Tools for testing code that reads Server-Sent Events, without sockets or sleeping.

- `encode`: events and comments to the bytes a server sends.
- `MockSSEServer`: an ``httpx.MockTransport`` whose every connection follows a script
  (`Connection`: status, headers, events, chunking, a drop, a stall, a ``Retry-After``),
  and which records each request it received.
- `no_waiting`: records the waits of reconnecting clients instead of sleeping them.
- `check_transport`: whether an HTTP stack (a client with its transport) is fit for event
  streams, property by property (`TransportReport`), against a loopback server.

```python
server = MockSSEServer(Connection(events=[ServerSentEvent(data="hi", id="1")], then="drop"))
with httpx.Client(transport=server.transport()) as client:
    with connect_sse(client, "GET", "http://test/stream", reconnect=True) as source:
        print([sse.data for sse in source])
# ['hi']
```
"""

from __future__ import annotations

import contextlib
import re
import threading
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional, Sequence, Union

import anyio
import httpx

from . import _loops
from ._fitness import TransportCheck, TransportReport, check_transport
from ._models import ServerSentEvent, SSEComment

__all__ = [
    "Connection",
    "MockSSEServer",
    "TransportCheck",
    "TransportReport",
    "check_transport",
    "encode",
    "no_waiting",
]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def encode(*items: Union[ServerSentEvent, SSEComment], line_end: str = "\n") -> bytes:
    """The bytes a server sends for these events and comments, in order.

    ```python
    encode(ServerSentEvent(event="tick", data="a\\nb", id="7"), SSEComment("ping"))
    # b'event: tick\\nid: 7\\ndata: a\\ndata: b\\n\\n: ping\\n'
    ```

    An event's ``id`` is written when it differs from the one in effect (an empty
    ``id:`` resets it), so the decoder gives back the same ``id`` on every event. Line
    breaks in data (CR, LF or CRLF) become ``data`` lines, which read back as LF.
    What no stream can carry raises `ValueError`: a line break in an id, an event
    type or a comment, a NUL in an id, a negative retry.
    """
    if line_end not in ("\n", "\r\n", "\r"):
        raise ValueError(f"line_end must be one of LF, CRLF or CR, not {line_end!r}")
    out: List[str] = []
    current_id = ""
    for item in items:
        if isinstance(item, SSEComment):
            _refuse_breaks(item, "a comment")
            out.append(f": {item}" if item else ":")
            continue
        if not isinstance(item, ServerSentEvent):
            raise TypeError(f"encode takes ServerSentEvent and SSEComment objects, not {item!r}")
        _refuse_breaks(item.event, "an event type")
        _refuse_breaks(item.id, "an id")
        if "\x00" in item.id:
            raise ValueError(f"an id cannot hold NUL (the stream would ignore it): {item.id!r}")
        if item.event != "message":
            out.append(f"event: {item.event}")
        if item.id != current_id:
            out.append(f"id: {item.id}" if item.id else "id")
            current_id = item.id
        if item.retry is not None:
            if item.retry < 0:
                raise ValueError(f"retry must be a whole number of milliseconds, not {item.retry!r}")
            out.append(f"retry: {item.retry}")
        out.extend(f"data: {line}" for line in _LINE_BREAK.split(item.data))
        out.append("")
    return "".join(line + line_end for line in out).encode("utf-8")


def _refuse_breaks(text: str, what: str) -> None:
    if "\n" in text or "\r" in text:
        raise ValueError(f"{what} cannot hold a line break: {text!r}")


@dataclass(frozen=True)
class Connection:
    """What one connection to a `MockSSEServer` gets.

    ``events`` (or raw ``body`` bytes) are sent in chunks of ``chunk_size`` bytes
    (``None``: one chunk per event). ``then`` is how it ends: ``"end"`` (a clean end
    of stream), ``"drop"`` (the connection breaks: `httpx.RemoteProtocolError`, after
    half of the next event when there is one), or ``"stall"`` (the client's read
    timeout fires: `httpx.ReadTimeout`, at once). ``drop_after`` cuts the events short
    there. A ``status`` other than 200 sends ``body`` (or nothing) with no event-stream
    type, with ``Retry-After`` when ``retry_after`` is given; 204 tells a client to stop.

    ```python
    Connection(events=[ServerSentEvent(data="a", id="1")], then="drop")
    Connection(status=503, retry_after=5)
    ```
    """

    events: Sequence[Union[ServerSentEvent, SSEComment]] = ()
    status: int = 200
    headers: Dict[str, str] = field(default_factory=dict)
    body: Optional[bytes] = None
    chunk_size: Optional[int] = None
    then: str = "end"
    drop_after: Optional[int] = None
    retry_after: Optional[Union[int, str]] = None

    def __post_init__(self) -> None:
        if self.then not in ("end", "drop", "stall"):
            raise ValueError(f"then must be 'end', 'drop' or 'stall', not {self.then!r}")
        if self.chunk_size is not None and self.chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")


class _Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, chunks: List[bytes], failure: Optional[Exception]) -> None:
        self._chunks = chunks
        self._failure = failure

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks
        if self._failure is not None:
            raise self._failure

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            await anyio.lowlevel.checkpoint()
            yield chunk
        if self._failure is not None:
            raise self._failure


class MockSSEServer:
    """Answers connection n with the n-th `Connection`; once they are used up, with 204.

    ``transport()`` gives an ``httpx.MockTransport`` for ``httpx.Client`` and
    ``httpx.AsyncClient`` alike. ``requests`` holds every request received, in order;
    ``last_event_ids`` their ``Last-Event-ID`` headers (``None`` where absent).

    ```python
    server = MockSSEServer(Connection(events=[ServerSentEvent(data="a")]))
    client = httpx.Client(transport=server.transport())
    ```
    """

    def __init__(self, *connections: Connection) -> None:
        self.connections = list(connections)
        self.requests: List[httpx.Request] = []
        self._lock = threading.Lock()

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    @property
    def last_event_ids(self) -> List[Optional[str]]:
        return [request.headers.get("last-event-id") for request in self.requests]

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            index = len(self.requests)
            self.requests.append(request)
        if index >= len(self.connections):
            return httpx.Response(204, request=request)
        return self._respond(self.connections[index], request)

    def _respond(self, connection: Connection, request: httpx.Request) -> httpx.Response:
        headers = dict(connection.headers)
        if connection.retry_after is not None:
            headers.setdefault("Retry-After", str(connection.retry_after))
        if connection.status != 200:
            return httpx.Response(connection.status, headers=headers, content=connection.body or b"", request=request)
        headers.setdefault("Content-Type", "text/event-stream")
        events = list(connection.events)
        cut = len(events) if connection.drop_after is None else connection.drop_after
        pieces = [encode(item) for item in events[:cut]]
        if connection.body is not None:
            pieces.append(connection.body)
        failure: Optional[Exception] = None
        if connection.then == "drop" or connection.drop_after is not None:
            if cut < len(events):
                unfinished = encode(events[cut])
                pieces.append(unfinished[: max(1, len(unfinished) // 2)])
            failure = httpx.RemoteProtocolError("the mock server dropped the connection", request=request)
        elif connection.then == "stall":
            failure = httpx.ReadTimeout("the stream stalled (mock read timeout)", request=request)
        chunks = pieces if connection.chunk_size is None else _rechunk(b"".join(pieces), connection.chunk_size)
        return httpx.Response(200, headers=headers, stream=_Body(chunks, failure), request=request)


def _rechunk(data: bytes, size: int) -> List[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)]


@contextlib.contextmanager
def no_waiting() -> Iterator[List[float]]:
    """Within it, reconnecting clients record each wait instead of sleeping it.

    ```python
    with no_waiting() as waits:
        ...  # read a stream that drops twice
    waits
    # [1.0, 2.0]
    ```
    """
    waits: List[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def async_sleep(seconds: float) -> None:
        waits.append(seconds)
        await anyio.lowlevel.checkpoint()

    loops: Any = _loops  # its sleeps are looked up at each call, to be replaced here
    saved = (loops._sleep, loops._async_sleep)
    loops._sleep, loops._async_sleep = sleep, async_sleep
    try:
        yield waits
    finally:
        loops._sleep, loops._async_sleep = saved
