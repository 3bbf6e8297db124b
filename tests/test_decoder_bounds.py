"""max_event_size, defined once: the bytes of a block's lines, each line end counted as one.

Checked against a line-by-line reference, in every chunking (hypothesis), for every
kind of line (data, id, event, comments), and for the memory a hostile stream can
make the decoder hold (tracemalloc).
"""

from __future__ import annotations

import gc
import re
import tracemalloc
from typing import Any, List, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from httpx_sse import ServerSentEvent, SSEDecoder, SSEError
from httpx_sse._models import SSEComment

from .conftest import memory_blocks_kept
from .test_decoder import chunkings, reference_parse

E = ServerSentEvent

# Every test here runs on both decoders: the pure-Python reference and the compiled one.
pytestmark = pytest.mark.usefixtures("decoder_build")

Outcome = Tuple[List[ServerSentEvent], bool]  # the events handed out, and whether it failed


def run(chunks: List[bytes], limit: Optional[int]) -> Outcome:
    decoder = SSEDecoder(max_event_size=limit)
    events: List[ServerSentEvent] = []
    try:
        for chunk in chunks:
            events += decoder.feed(chunk)
        events += decoder.close()
    except SSEError:
        return events, True
    return events, False


def reference_outcome(stream: bytes, limit: int) -> Outcome:
    """The bound as the docs state it, read line by line: where does it first pass?"""
    pieces = re.split(rb"(\r\n|\r|\n)", stream)
    size = 0
    consumed = 0  # bytes of the stream up to the end of the last complete block
    position = 0
    for index in range(0, len(pieces), 2):
        line = pieces[index]
        ending = pieces[index + 1] if index + 1 < len(pieces) else b""
        position += len(line) + len(ending)
        if ending and not line:
            size = 0
            consumed = position
            continue
        size += len(line) + (1 if ending else 0)
        if size > limit:
            events, _, _ = reference_parse(stream[:consumed])
            return events, True
    events, _, _ = reference_parse(stream)
    return events, False


block_lines = st.sampled_from(
    [
        b"data: abc",
        b"data",
        b"data:",
        b"id: 12345",
        b"event: tick",
        b": comment",
        b"retry: 10",
        b"x",
        b"",
        b"data: \xc3\xa9",
    ]
)
bounded_streams = st.tuples(
    st.lists(st.lists(block_lines, max_size=6), max_size=8),
    st.sampled_from([b"\n", b"\r\n", b"\r"]),
    st.booleans(),
).map(lambda t: b"".join(t[1].join(lines) + t[1] * 2 for lines in t[0]) + (b"data: tail" if t[2] else b""))


@settings(max_examples=500, deadline=None)
@given(
    stream=bounded_streams,
    limit=st.integers(min_value=1, max_value=80),
    cuts=st.lists(st.integers(min_value=0, max_value=800), max_size=10),
)
def test_the_bound_fires_the_same_in_every_chunking(stream: bytes, limit: int, cuts: List[int]) -> None:
    bounds = [0, *sorted(c for c in cuts if c <= len(stream)), len(stream)]
    chunked = run([stream[a:b] for a, b in zip(bounds, bounds[1:])], limit)
    assert chunked == run([stream], limit) == run([bytes([b]) for b in stream], limit)
    assert chunked == reference_outcome(stream, limit)


@pytest.mark.parametrize(
    "line",
    [b"id: " + b"7" * 8192, b"event: " + b"e" * 8192, b": " + b"c" * 8192, b"retry: " + b"1" * 8192, b"x" * 8192],
)
def test_every_kind_of_line_is_bounded(line: str) -> None:
    stream = b"data: before\n\n" + line + b"\ndata: after\n\n"
    for name, chunks in chunkings(stream):
        assert run(chunks, 4096) == ([E(data="before")], True), name


def test_an_oversize_id_never_becomes_the_last_event_id() -> None:
    decoder = SSEDecoder(max_event_size=4096)
    with pytest.raises(SSEError):
        decoder.feed(b"id: " + b"7" * 8192 + b"\n\n")
    assert decoder.last_event_id == ""


def test_the_limit_is_in_utf8_bytes() -> None:
    stream = "data: ééé\n\n".encode()  # 6 + 6 bytes + the line end: 13
    assert run([stream], 13) == ([E(data="ééé")], False)
    assert run([stream], 12) == ([], True)


def test_a_chunk_bigger_than_the_slice_size_gives_every_event() -> None:
    stream = b"".join(b"id: %d\ndata: %d\n\n" % (n, n) for n in range(20_000))
    events, failed = run([stream], None)
    assert not failed and [int(e.data) for e in events] == list(range(20_000))


def peak_memory(stream_piece: bytes, chunk: int, limit: int) -> int:
    """Feed ``stream_piece`` repeated until the decoder refuses it; the peak it held."""
    decoder = SSEDecoder(max_event_size=limit)
    payload = stream_piece * (chunk // len(stream_piece) + 1)
    payload = payload[: chunk - chunk % len(stream_piece)] or stream_piece
    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(limit // len(payload) + 10):
            decoder.feed(payload)
        raise AssertionError("the bound never fired")
    except SSEError:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize(
    "piece, chunk",
    [
        (b"data\n", 64 * 1024),  # empty data lines: the flood that reached 8x
        (b"data\n", 5),  # the same, one line per chunk
        (b"data:xy\n", 64 * 1024),  # short data lines: an object each, unless joined
        (b"data:xy\n", 8),
        (b"data: " + b"z" * 1000 + b"\n", 4096),
        (b":\n", 4096),  # comments are not kept, but count
        (b"x" * 4096, 4096),  # one endless line
    ],
)
def test_memory_stays_within_a_small_factor_of_the_bound(piece: bytes, chunk: int) -> None:
    limit = 2 * 1024 * 1024 if chunk > 64 else 256 * 1024  # tiny chunks: slow under tracemalloc
    peak = peak_memory(piece, chunk, limit)
    assert peak <= 2.5 * limit, f"peak {peak / limit:.2f}x the bound"


def test_a_big_event_is_not_kept_after_it_is_handed_out() -> None:
    decoder = SSEDecoder(max_event_size=300_000)
    chunks = [
        b"data: " + b"x" * 150_000 + b"\n\ndata: " + b"y" * 160_000 + b"\n",
        b"data: " + b"z" * 100_000 + b"\n\n",
    ]
    gc.collect()
    tracemalloc.start()
    try:
        events = []
        for chunk in chunks:
            events += decoder.feed(chunk)
        assert [len(e.data) for e in events] == [150_000, 260_001]
        del events
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 20_000, f"the decoder still holds {held} bytes"


@pytest.mark.parametrize("name, chunks", list(chunkings(b": ping\n\n:\ndata: a\n: mid\n\n:two words\r\n")))
def test_comments_come_in_order_with_events(name: str, chunks: List[bytes]) -> None:
    decoder = SSEDecoder()
    items: List[object] = []
    for chunk in chunks:
        items += decoder.feed_with_comments(chunk)
    assert items == ["ping", "", "mid", E(data="a"), "two words"]
    assert all(type(item) is SSEComment for item in items if not isinstance(item, ServerSentEvent))


def test_comments_are_not_returned_by_feed() -> None:
    assert SSEDecoder().feed(b": ping\n\ndata: a\n\n") == [E(data="a")]


def test_no_memory_is_kept_across_a_million_events() -> None:
    """A leak in either decoder (a reference never released) would grow with each round."""
    stream = b"".join(
        b": c\nid: %d\nevent: e\nretry: 5\ndata: x%d\ndata: y\n\ndata\n\n" % (n, n) for n in range(10_000)
    )
    chunks = [stream[i : i + 4096] for i in range(0, len(stream), 4096)]

    def one_round() -> None:
        decoder = SSEDecoder()
        count = 0
        for chunk in chunks:
            count += len(decoder.feed_with_comments(chunk))
        assert count == 30_000

    kept = memory_blocks_kept(one_round, rounds=33)  # a million events and comments in all
    assert kept < 200, f"{kept} memory blocks kept"


def test_no_memory_is_kept_on_the_hostile_paths() -> None:
    """Errors held and raised, huge retries, long lines across chunks, buffers other than bytes."""
    long_line = b"data: " + b"x" * 100_000 + b"\n\n"

    def one_round() -> None:
        decoder = SSEDecoder(max_event_size=80)
        assert decoder.feed(b"retry: " + b"9" * 40 + b"\n: c\n\ndata: a\n\n")
        with pytest.raises(SSEError):
            decoder.feed(b"data: " + b"y" * 90)
        with pytest.raises(SSEError):
            decoder.close()
        decoder = SSEDecoder(max_event_size=None)
        for start in range(0, len(long_line), 7000):
            decoder.feed(bytearray(long_line[start : start + 7000]))  # type: ignore[arg-type]
        assert decoder.feed_with_comments(memoryview(b"retry: " + b"1" * 5000 + b"\n:x\r\n\r\n"))  # type: ignore[arg-type]
        decoder.close()

    kept = memory_blocks_kept(one_round, rounds=300)
    assert kept < 200, f"{kept} memory blocks kept"


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_any_bytes_like_chunk_is_taken(kind: Any) -> None:
    decoder = SSEDecoder()
    stream = b"data: a\r\n\r\nid: 1\ndata: b\n\n"
    assert [*decoder.feed(kind(stream[:9])), *decoder.feed(kind(stream[9:]))] == [E(data="a"), E(data="b", id="1")]


def test_text_is_refused() -> None:
    with pytest.raises(TypeError):
        SSEDecoder().feed("data: a\n\n")  # type: ignore[arg-type]
