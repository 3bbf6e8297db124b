"""Compressed streams over loopback: decoded right, and a decompression bomb held to max_event_size."""

from __future__ import annotations

import tracemalloc
from typing import Iterator, List

import httpx
import pytest

from httpx_sse import ServerSentEvent, SSEError, aconnect_sse, connect_sse

from .app import bomb_body

MiB = 1 << 20


def test_the_bomb_is_small_on_the_wire() -> None:
    assert len(bomb_body()) < 4096  # 256 MiB of data line, compressed twice


def peak_growth(read: object) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak() if hasattr(tracemalloc, "reset_peak") else None
        before = tracemalloc.get_traced_memory()[0]
        read()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_a_gzip_gzip_bomb_stops_at_max_event_size(server: str) -> None:
    received: List[ServerSentEvent] = []

    def read() -> None:
        with httpx.Client() as client, connect_sse(client, "GET", f"{server}/bomb", max_event_size=MiB) as source:
            with pytest.raises(SSEError, match="max_event_size=1048576"):
                for sse in source:
                    received.append(sse)

    growth = peak_growth(read)
    assert received == [ServerSentEvent(data="before")]  # what came before the flood is kept
    assert growth < 8 * MiB, f"reading grew memory by {growth / MiB:.1f} MiB with max_event_size=1 MiB"


@pytest.mark.anyio
async def test_the_async_readers_hold_the_bound_too(server: str) -> None:
    received: List[str] = []
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        async with httpx.AsyncClient() as client:
            async with aconnect_sse(client, "GET", f"{server}/bomb", max_event_size=MiB) as source:
                with pytest.raises(SSEError, match="max_event_size"):
                    async for sse in source:
                        received.append(sse.data)
        growth = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert received == ["before"]
    assert growth < 8 * MiB, f"reading grew memory by {growth / MiB:.1f} MiB with max_event_size=1 MiB"


def test_gzip_streams_decode(server: str) -> None:
    with httpx.Client() as client, connect_sse(client, "GET", f"{server}/gzip") as source:
        assert [sse.data for sse in source] == ["compressed 1", "compressed 2"]


@pytest.mark.parametrize("raw", ["0", "1"])
def test_deflate_with_or_without_its_zlib_header_a_byte_at_a_time(server: str, raw: str) -> None:
    with httpx.Client() as client, connect_sse(client, "GET", f"{server}/deflate?raw={raw}") as source:
        assert [sse.data for sse in source] == ["deflated 1", "deflated 2"]


@pytest.mark.anyio
async def test_deflate_async(server: str) -> None:
    async with httpx.AsyncClient() as client, aconnect_sse(client, "GET", f"{server}/deflate?raw=1") as source:
        assert [sse.data async for sse in source] == ["deflated 1", "deflated 2"]


class Body(httpx.SyncByteStream):
    def __init__(self, body: bytes) -> None:
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        yield self.body


def test_a_corrupt_gzip_body_is_a_decoding_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
        return httpx.Response(200, headers=headers, stream=Body(b"\x1f\x8b not gzip at all"))

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        with connect_sse(client, "GET", "http://test/") as source, pytest.raises(httpx.DecodingError):
            list(source)


ENCODINGS = ["br", "zstd", "zstd, zstd", "br, zstd", "gzip, br"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_br_and_zstd_streams_decode_a_byte_at_a_time(server: str, encoding: str) -> None:
    with httpx.Client() as client, connect_sse(client, "GET", f"{server}/encoded?encoding={encoding}") as source:
        assert [(sse.data, sse.id) for sse in source] == [("packed 1", ""), ("packed 2", "2"), ("packed 3", "2")]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_br_and_zstd_bombs_stop_at_max_event_size(server: str, encoding: str) -> None:
    from .app import encoded_body

    assert len(encoded_body(encoding, True)) < 256 << 20 >> 8  # at least 256 times smaller than what it holds
    received: List[str] = []

    def read() -> None:
        url = f"{server}/encoded?encoding={encoding}&bomb=1"
        with httpx.Client() as client, connect_sse(client, "GET", url, max_event_size=MiB) as source:
            with pytest.raises(SSEError, match="max_event_size=1048576"):
                for sse in source:
                    received.append(sse.data)

    growth = peak_growth(read)
    assert received == ["before"]
    assert growth < 8 * MiB, f"reading grew memory by {growth / MiB:.1f} MiB with max_event_size=1 MiB"


@pytest.mark.parametrize("encoding", ["br", "zstd"])
def test_a_corrupt_br_or_zstd_body_is_a_decoding_error(encoding: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream", "content-encoding": encoding}
        return httpx.Response(200, headers=headers, stream=Body(b"\x28\xb5\x2f\xfd not really compressed " * 4))

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        with connect_sse(client, "GET", "http://test/") as source, pytest.raises(httpx.DecodingError):
            list(source)


def test_a_zstd_frame_asking_for_a_huge_window_is_refused() -> None:
    zstandard = pytest.importorskip("zstandard")
    # A frame compressed with a 128 MiB window (zstd --long): over HTTP, 8 MiB is the most (RFC 9659).
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=27, enable_ldm=True, write_content_size=False)
    squeeze = zstandard.ZstdCompressor(compression_params=params).compressobj()
    body = squeeze.compress(b"data: x\n\n" * 10) + squeeze.flush()
    assert zstandard.get_frame_parameters(body).window_size == 128 << 20

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream", "content-encoding": "zstd"}
        return httpx.Response(200, headers=headers, stream=Body(body))

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        with connect_sse(client, "GET", "http://test/") as source:
            with pytest.raises(httpx.DecodingError, match="too much memory"):
                list(source)
