"""SSETransport and AsyncSSETransport: unit tests on a mock parent, then a real server."""

from __future__ import annotations

from typing import List

import httpx
import pytest

from httpx_sse import AsyncSSETransport, ServerSentEvent, SSEError, SSETransport, aiter_sse, iter_sse


class TrackingStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, body: bytes) -> None:
        self.body = body
        self.closed = False

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield self.body

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield self.body

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def mock_parent(
    status: int, content_type: str, body: bytes, seen: List[httpx.Request], streams: List[TrackingStream]
) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        stream = TrackingStream(body)
        streams.append(stream)
        return httpx.Response(status, headers={"Content-Type": content_type}, stream=stream)

    return httpx.MockTransport(handler)


def test_sets_headers_and_passes_event_streams() -> None:
    seen: List[httpx.Request] = []
    streams: List[TrackingStream] = []
    transport = SSETransport(mock_parent(200, "text/event-stream", b"data: hi\n\n", seen, streams))
    with httpx.Client(transport=transport) as client, client.stream("GET", "http://test/") as response:
        assert list(iter_sse(response)) == [ServerSentEvent(data="hi")]
    assert seen[0].headers["Accept"] == "text/event-stream"
    assert seen[0].headers["Cache-Control"] == "no-store"


def test_keeps_the_callers_accept_header() -> None:
    seen: List[httpx.Request] = []
    transport = SSETransport(mock_parent(200, "text/event-stream", b"", seen, []))
    with httpx.Client(transport=transport) as client:
        client.get("http://test/", headers={"Accept": "application/x-custom"})
    assert seen[0].headers["Accept"] == "application/x-custom"


def test_refuses_and_closes_other_responses() -> None:
    streams: List[TrackingStream] = []
    transport = SSETransport(mock_parent(401, "application/json", b'{"error": "token expired"}', [], streams))
    with httpx.Client(transport=transport) as client, pytest.raises(SSEError) as info:
        client.get("http://test/")
    assert streams[0].closed
    assert "HTTP 401" in str(info.value) and "application/json" in str(info.value)
    assert "token expired" in str(info.value)


@pytest.mark.parametrize(
    "content_type", ["text/event-stream; charset=utf-8", "TEXT/Event-Stream", "text/plain, text/event-stream"]
)
def test_accepted_content_types(content_type: str) -> None:
    transport = SSETransport(mock_parent(200, content_type, b"data: x\n\n", [], []))
    with httpx.Client(transport=transport) as client, client.stream("GET", "http://test/") as response:
        assert [e.data for e in iter_sse(response)] == ["x"]


@pytest.mark.parametrize("content_type", ["text/plain", "text/event-streams", "application/event-stream", ""])
def test_refused_content_types(content_type: str) -> None:
    transport = SSETransport(mock_parent(200, content_type, b"data: x\n\n", [], []))
    with httpx.Client(transport=transport) as client, pytest.raises(SSEError, match="expected Content-Type"):
        client.get("http://test/")


def test_204_passes_through() -> None:
    transport = SSETransport(mock_parent(204, "", b"", [], []))
    with httpx.Client(transport=transport) as client, client.stream("GET", "http://test/") as response:
        assert response.status_code == 204
        assert list(iter_sse(response)) == []


@pytest.mark.anyio
async def test_async_transport_mock() -> None:
    seen: List[httpx.Request] = []
    streams: List[TrackingStream] = []
    transport = AsyncSSETransport(mock_parent(500, "text/html", b"<h1>oops</h1>", seen, streams))
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(SSEError, match=r"HTTP 500 .*text/html.*oops"):
            await client.get("http://test/")
    assert streams[0].closed and seen[0].headers["Accept"] == "text/event-stream"


# -- against the real server --------------------------------------------------------------


def test_original_readme_usage(server: str) -> None:
    with httpx.Client(transport=SSETransport()) as client:
        with client.stream("GET", f"{server}/numbers?count=2") as response:
            assert [e.data for e in iter_sse(response)] == ["1", "2"]
        with client.stream("GET", f"{server}/echo") as response:
            [echo] = list(iter_sse(response))
        assert echo.json()["accept"] == "text/event-stream"
        assert echo.json()["cache-control"] == "no-store"
        with pytest.raises(SSEError, match=r"HTTP 401 .*application/json"):
            client.get(f"{server}/status/401")
        with client.stream("GET", f"{server}/status/204") as response:
            assert list(iter_sse(response)) == []


@pytest.mark.anyio
async def test_async_transport_real_server(server: str) -> None:
    async with httpx.AsyncClient(transport=AsyncSSETransport()) as client:
        async with client.stream("GET", f"{server}/numbers?count=3") as response:
            assert [e.data async for e in aiter_sse(response)] == ["1", "2", "3"]
        with pytest.raises(SSEError, match="text/html"):
            await client.get(f"{server}/html")
