"""Responses built by hand, with no request set: how httpx-sse 0.4's tests, and many users' unit tests, read streams.

httpx raises ``RuntimeError`` on ``response.request`` for such a response; no reader may need it.
"""

from __future__ import annotations

from typing import AsyncIterator, Iterator, List

import httpx
import pytest

from httpx_sse import EventSource, ServerSentEvent, SSEError, aiter_sse, iter_sse

STREAM = "text/event-stream"


class Chunks(httpx.SyncByteStream):
    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


class AsyncChunks(httpx.AsyncByteStream):
    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


def handmade(*chunks: bytes, content_type: str = STREAM, status: int = 200) -> httpx.Response:
    return httpx.Response(status, headers={"content-type": content_type}, stream=Chunks(*chunks))


def test_a_handmade_response_has_no_request() -> None:
    with pytest.raises(RuntimeError):
        handmade(b"").request  # noqa: B018  (what the readers must not rely on)


def test_event_source_reads_a_handmade_response_to_its_end() -> None:
    response = handmade(b"event: tick\n", b"data: 1\nid: a\n", b"\n", b"data: 2\n\n")
    assert list(EventSource(response).iter_sse()) == [
        ServerSentEvent(event="tick", data="1", id="a"),
        ServerSentEvent(data="2", id="a"),
    ]


def test_iter_sse_and_iteration_read_a_handmade_response() -> None:
    assert [sse.data for sse in iter_sse(handmade(b"data: x\n\ndata: y\n\n"))] == ["x", "y"]
    assert [sse.data for sse in EventSource(handmade(b"data: z\n\n"))] == ["z"]


def test_an_unterminated_last_event_is_dropped_not_an_error() -> None:
    assert [sse.data for sse in iter_sse(handmade(b"data: kept\n\ndata: cut"))] == ["kept"]


def test_the_lifecycle_options_work_on_a_handmade_response() -> None:
    comments: List[str] = []
    source = EventSource(
        handmade(b": hi\n\ndata: 1\n\ndata: 2\n\n"),
        on_comment=comments.append,
        idle_timeout=30,
        until=lambda sse: sse.data == "2",
    )
    assert [sse.data for sse in source] == ["1", "2"]
    assert comments == ["hi"]


def test_cut_short_before_the_terminal_event_is_an_sse_error() -> None:
    source = EventSource(handmade(b"data: 1\n\n"), until=lambda sse: sse.data == "end")
    with pytest.raises(SSEError, match="cut short"):
        list(source)


def test_a_handmade_refusal_names_the_status_and_type() -> None:
    response = httpx.Response(401, headers={"content-type": "application/json"}, stream=Chunks(b'{"error": "no"}'))
    with pytest.raises(SSEError, match=r"HTTP 401 Unauthorized: not an event stream .*application/json") as caught:
        list(iter_sse(response))
    assert caught.value.response is response


def test_a_refusal_without_content_type_says_so_plainly() -> None:
    response = httpx.Response(404, stream=Chunks(b""))
    with pytest.raises(SSEError) as caught:
        list(iter_sse(response))
    assert "(no Content-Type)" in str(caught.value)
    assert "Content-Type no Content-Type" not in str(caught.value)


def test_an_unfollowed_redirect_says_how_to_follow_it() -> None:
    response = httpx.Response(302, headers={"location": "/elsewhere"}, stream=Chunks(b""))
    with pytest.raises(SSEError, match=r"redirects to '/elsewhere', which follow_redirects=True follows"):
        list(iter_sse(response))


def test_a_too_large_event_in_a_handmade_response() -> None:
    with pytest.raises(SSEError, match="max_event_size=8"):
        list(iter_sse(handmade(b"data: 0123456789\n\n"), max_event_size=8))


@pytest.mark.anyio
async def test_async_readers_take_a_handmade_response() -> None:
    response = httpx.Response(200, headers={"content-type": STREAM}, stream=AsyncChunks(b"data: a\n", b"\ndata: b\n\n"))
    assert [sse.data async for sse in aiter_sse(response)] == ["a", "b"]
    response = httpx.Response(200, headers={"content-type": STREAM}, stream=AsyncChunks(b"data: c\n\n"))
    assert [sse.data async for sse in EventSource(response, idle_timeout=30)] == ["c"]
