"""httpx-sse 0.4's private names that published code and 0.4.3's own tests import: the decoder's
module path, and the line readers of ``httpx_sse._api``."""

from __future__ import annotations

import importlib
import sys
from typing import AsyncIterator, Iterator, List

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from httpx_sse import ServerSentEvent, SSEDecoder
from httpx_sse._api import _aiter_sse_lines, _iter_sse_lines


def import_old_path() -> object:
    sys.modules.pop("httpx_sse._decoders", None)
    return importlib.import_module("httpx_sse._decoders")


def test_the_old_path_imports_with_a_deprecation_warning_naming_the_public_name() -> None:
    with pytest.warns(DeprecationWarning, match="import SSEDecoder from httpx_sse"):
        module = import_old_path()
    assert issubclass(module.SSEDecoder, SSEDecoder)  # type: ignore[attr-defined]


def test_the_old_decode_takes_one_line_at_a_time() -> None:
    with pytest.warns(DeprecationWarning):
        decoder = import_old_path().SSEDecoder()  # type: ignore[attr-defined]
    lines = ["event: tick", "id: 7", "data: a", "data: b", "", ": comment", "", "data: c", ""]
    results = [decoder.decode(line) for line in lines]
    assert [sse for sse in results if sse is not None] == [
        ServerSentEvent(event="tick", data="a\nb", id="7"),
        ServerSentEvent(data="c", id="7"),
    ]
    assert results[4] == ServerSentEvent(event="tick", data="a\nb", id="7")
    assert decoder.last_event_id == "7"
    # The new API is there as well.
    assert decoder.feed(b"data: d\n\n") == [ServerSentEvent(data="d", id="7")]


class Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: List[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


class AsyncChunks(httpx.AsyncByteStream):
    def __init__(self, chunks: List[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


BODY = "one\r\ntwo\rthree\nfour\u2028still four \u65e5\n\nlast, unterminated".encode()
LINES = ["one", "two", "three", "four\u2028still four \u65e5", "", "last, unterminated"]


@given(cuts=st.lists(st.integers(min_value=0, max_value=len(BODY)), max_size=10))
def test_0_4_line_reader_splits_on_cr_lf_and_crlf_only_in_any_chunking(cuts: List[int]) -> None:
    bounds = [0, *sorted(cuts), len(BODY)]
    chunks = [BODY[a:b] for a, b in zip(bounds, bounds[1:])]
    assert list(_iter_sse_lines(httpx.Response(200, stream=Chunks(chunks)))) == LINES


def test_0_4_line_reader_byte_by_byte() -> None:
    chunks = [BODY[i : i + 1] for i in range(len(BODY))]
    assert list(_iter_sse_lines(httpx.Response(200, stream=Chunks(chunks)))) == LINES


@pytest.mark.anyio
async def test_0_4_async_line_reader() -> None:
    chunks = [BODY[:4], BODY[4:5], BODY[5:]]  # a CRLF cut in two
    assert [line async for line in _aiter_sse_lines(httpx.Response(200, stream=AsyncChunks(chunks)))] == LINES
