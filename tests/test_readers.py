"""iter_sse, aiter_sse, EventSource and connect_sse against a real uvicorn server."""

from __future__ import annotations

import json
from types import ModuleType
from typing import AsyncIterator, Iterator, List

import httpx
import pytest

from httpx_sse import (
    EventSource,
    ServerSentEvent,
    SSEError,
    aconnect_sse,
    aiter_sse,
    connect_sse,
    iter_sse,
)

NUMBERS = [ServerSentEvent(event="number", data=str(n), id=str(n)) for n in range(1, 6)]


def test_iter_sse_reads_events(server: str, lib: ModuleType) -> None:
    with lib.Client() as client, client.stream("GET", f"{server}/numbers") as response:
        assert list(iter_sse(response)) == NUMBERS


def test_event_source_of_a_response(server: str, lib: ModuleType) -> None:
    with lib.Client() as client, client.stream("GET", f"{server}/numbers") as response:
        source = EventSource(response)
        assert source.response is response
        assert list(source.iter_sse()) == NUMBERS
        assert source.last_event_id == "5"


def test_connect_sse(server: str, lib: ModuleType) -> None:
    with lib.Client() as client, connect_sse(client, "GET", f"{server}/numbers?count=3") as source:
        assert [sse.data for sse in source] == ["1", "2", "3"]
        assert source.response.status_code == 200


def test_connect_sse_headers_and_body(server: str, lib: ModuleType) -> None:
    with lib.Client() as client:
        with connect_sse(client, "POST", f"{server}/echo", json={"q": 1}, last_event_id="42") as source:
            [sse] = list(source)
        seen = sse.json()
        assert seen["accept"] == "text/event-stream"
        assert seen["cache-control"] == "no-store"
        assert seen["last-event-id"] == "42"
        assert seen["method"] == "POST" and json.loads(seen["body"]) == {"q": 1}
        # The caller's own choice of header is kept.
        with connect_sse(client, "GET", f"{server}/echo", headers={"Accept": "text/event-stream, */*"}) as source:
            [sse] = list(source)
        assert sse.json()["accept"] == "text/event-stream, */*"
        assert sse.json()["cache-control"] == "no-store"


def test_json_401_error_names_status_type_and_body(server: str, lib: ModuleType) -> None:
    with lib.Client() as client, connect_sse(client, "GET", f"{server}/status/401") as source:
        with pytest.raises(SSEError) as info:
            list(source)
    message = str(info.value)
    assert message.startswith("HTTP 401")
    assert "application/json" in message
    assert '{"error":"nope","status":401}' in message
    assert info.value.response is not None and info.value.response.status_code == 401


def test_wrong_content_type_error(server: str, lib: ModuleType) -> None:
    with lib.Client() as client, client.stream("GET", f"{server}/html") as response:
        with pytest.raises(SSEError, match=r"HTTP 200 OK .*expected Content-Type 'text/event-stream', got 'text/html"):
            list(iter_sse(response))


def test_sse_error_is_an_httpx_transport_error(server: str, lib: ModuleType) -> None:
    with lib.Client() as client, client.stream("GET", f"{server}/html") as response:
        with pytest.raises(lib.TransportError):
            next(iter_sse(response))


def test_204_yields_nothing(server: str, lib: ModuleType) -> None:
    with lib.Client() as client, connect_sse(client, "GET", f"{server}/status/204") as source:
        assert list(source) == []


def test_oversize_event_raises_after_earlier_events(server: str, lib: ModuleType) -> None:
    received: List[str] = []
    with lib.Client() as client, client.stream("GET", f"{server}/big?size=5000") as response:
        with pytest.raises(SSEError, match="max_event_size=1000"):
            for sse in iter_sse(response, max_event_size=1000):
                received.append(sse.data)
    assert received == ["before"]


def test_big_event_under_the_limit(server: str, lib: ModuleType) -> None:
    with lib.Client() as client, client.stream("GET", f"{server}/big?size=3000000") as response:
        events = list(iter_sse(response))
    assert [len(e.data) for e in events] == [6, 3000000, 5]


def test_invalid_utf8_is_replaced(server: str, lib: ModuleType) -> None:
    with lib.Client() as client, client.stream("GET", f"{server}/invalid-utf8") as response:
        assert [e.data for e in iter_sse(response)] == ["café \ufffd\ufffd end"]


def test_stream_is_utf8_whatever_the_charset(server: str, lib: ModuleType) -> None:
    with lib.Client() as client, client.stream("GET", f"{server}/latin1-declared") as response:
        assert [e.data for e in iter_sse(response)] == ["café"]


def test_dropped_connection_raises_httpx_error_after_complete_events(server: str, lib: ModuleType) -> None:
    received: List[str] = []
    with lib.Client() as client, connect_sse(client, "GET", f"{server}/drop") as source:
        with pytest.raises(lib.RemoteProtocolError) as info:
            for sse in source:
                received.append(sse.data)
        assert received == ["one"]
        assert source.last_event_id == "1"  # the cut block's id never counts
        assert info.value.request.url == f"{server}/drop"
        assert source.response.is_stream_consumed
        with pytest.raises(lib.StreamConsumed):
            list(source)


def test_a_response_already_read_is_read_from_its_content(server: str, lib: ModuleType) -> None:
    with lib.Client() as client:
        response = client.get(f"{server}/numbers?count=2")
        assert [sse.data for sse in iter_sse(response)] == ["1", "2"]


def test_gzip_encoded_stream_is_decompressed(server: str, lib: ModuleType) -> None:
    with lib.Client() as client, client.stream("GET", f"{server}/gzip") as response:
        assert response.headers["content-encoding"] == "gzip"
        assert [sse.data for sse in iter_sse(response)] == ["compressed 1", "compressed 2"]


def test_connection_refused_surfaces_as_httpx_error(lib: ModuleType) -> None:
    from .servers import bound_socket

    sock = bound_socket()  # bound, never listening: connections are refused
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    try:
        with lib.Client() as client, pytest.raises(lib.ConnectError), connect_sse(client, "GET", url):
            pass
    finally:
        sock.close()


# -- async, on asyncio and trio ---------------------------------------------------------


@pytest.mark.anyio
async def test_aiter_sse(server: str, lib: ModuleType) -> None:
    async with lib.AsyncClient() as client, client.stream("GET", f"{server}/numbers") as response:
        assert [sse async for sse in aiter_sse(response)] == NUMBERS


@pytest.mark.anyio
async def test_aconnect_sse(server: str, lib: ModuleType) -> None:
    async with lib.AsyncClient() as client:
        async with aconnect_sse(client, "GET", f"{server}/numbers", last_event_id="0") as source:
            events = [sse async for sse in source.aiter_sse()]
            assert events == NUMBERS
            assert source.last_event_id == "5"
        async with aconnect_sse(client, "GET", f"{server}/echo") as source:
            [sse] = [sse async for sse in source]
        assert sse.json()["accept"] == "text/event-stream"


@pytest.mark.anyio
async def test_async_errors(server: str, lib: ModuleType) -> None:
    async with lib.AsyncClient() as client:
        async with aconnect_sse(client, "GET", f"{server}/status/401") as source:
            with pytest.raises(SSEError, match=r"^HTTP 401 .*application/json.*\{\"error\""):
                [sse async for sse in source]
        async with aconnect_sse(client, "GET", f"{server}/status/204") as source:
            assert [sse async for sse in source] == []
        async with client.stream("GET", f"{server}/big?size=5000") as response:
            received = []
            with pytest.raises(SSEError, match="max_event_size"):
                async for sse in aiter_sse(response, max_event_size=1000):
                    received.append(sse.data)
            assert received == ["before"]


@pytest.mark.anyio
async def test_async_dropped_connection(server: str, lib: ModuleType) -> None:
    received = []
    async with lib.AsyncClient() as client, aconnect_sse(client, "GET", f"{server}/drop") as source:
        with pytest.raises(lib.RemoteProtocolError):
            async for sse in source:
                received.append(sse.data)
    assert received == ["one"]


@pytest.mark.anyio
async def test_breaking_out_early_closes_the_connection(server: str, lib: ModuleType) -> None:
    async with lib.AsyncClient() as client:
        async with aconnect_sse(client, "GET", f"{server}/numbers?count=1000") as source:
            async for sse in source:
                first = sse
                break
        assert source.response.is_closed
    assert first.data == "1"


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that arrives in the chunks given."""

    def __init__(self, chunks: List[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


def stream_response(chunks: List[bytes]) -> httpx.Response:
    request = httpx.Request("GET", "http://test/")
    return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, stream=Chunks(chunks), request=request)


@pytest.mark.parametrize("size", [16 * 1024, 16 * 1024 + 1, 100_000])
def test_big_chunks_of_small_events_in_order(size: int) -> None:
    # Chunks over 16 KiB are decoded in slices: the events must not depend on it.
    body = b"".join(b"id: %d\ndata: event %d\n\n" % (n, n) for n in range(20_000))[:size]
    expected = list(iter_sse(stream_response([body[i : i + 7] for i in range(0, len(body), 7)])))
    assert list(iter_sse(stream_response([body]))) == expected
    assert len(expected) > 500


@pytest.mark.anyio
async def test_big_chunks_async() -> None:
    body = b"".join(b"data: %d\n\n" % n for n in range(20_000))
    assert [int(e.data) async for e in aiter_sse(stream_response([body]))] == list(range(20_000))
