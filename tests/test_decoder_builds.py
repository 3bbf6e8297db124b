"""The compiled decoder against the pure-Python reference, on hostile bytes.

Both cores are fed the same bytes in the same chunks; after every call they must agree
on what it returned or raised, and on ``last_event_id`` and ``retry``.
"""

from __future__ import annotations

import gc
import pickle
import sys
from typing import Any, List, Optional, Tuple

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from httpx_sse import ServerSentEvent, SSEError
from httpx_sse._decoder import _compiled_core, _PythonCore, _too_large

from .test_decoder import SSE_PIECES

pytestmark = pytest.mark.skipif(
    _compiled_core is None,
    reason="the compiled decoder is not built here (no C compiler, or HTTPX_SSE_NO_EXTENSIONS=1)",
)

# The conformance suite's pieces, and more: digits that make retry values (some huge),
# long values, and whole lines.
pieces = st.sampled_from(
    [
        *SSE_PIECES,
        b"id: ",
        b"event: ",
        b"\xe6\x97",
        b"7",
        b"0",
        b"1" * 30,
        b"9" * 4001,
        b"abc",
        b"x" * 300,
        b"retry: 1500\n",
        b"retry: " + b"9" * 4000 + b"\n",
        b"retry: " + b"9" * 4001 + b"\n",
        b"retry: 00" + b"1" * 4000 + b"\r",
        b"id: 7\r\n",
        b"event: tick\n",
        b"data: x\n\n",
    ]
)
streams = st.tuples(
    st.sampled_from([b"", b"\xef\xbb\xbf", b"\xef\xbb"]),  # a BOM, or part of one, at the start
    st.lists(st.one_of(pieces, st.binary(max_size=8)), max_size=60),
).map(lambda start_and_pieces: start_and_pieces[0] + b"".join(start_and_pieces[1]))

Step = Tuple[str, Any, str, Optional[int]]


def split(stream: bytes, chunking: str, cuts: List[int]) -> List[int]:
    if chunking == "bytes" and len(stream) <= 2000:
        return list(range(len(stream)))
    if chunking == "after each CR":  # where a CRLF is cut in two
        return [i + 1 for i, byte in enumerate(stream) if byte == 0x0D]
    return sorted(c for c in cuts if c <= len(stream))


def steps(
    core_class: Any,
    stream: bytes,
    cuts: List[int],
    limit: int,
    comments: bool,
    last_id: str,
    *,
    handover: Optional[Tuple[int, Any]] = None,
) -> List[Step]:
    """What each call returns or raises. ``handover=(n, other_class)``: after n calls, the
    state is exported and taken up by a core of ``other_class``, which makes the rest."""
    core = core_class(limit, last_id, lambda: _too_large(limit))
    bounds = [0, *cuts, len(stream)]
    chunks: List[Optional[bytes]] = [stream[a:b] for a, b in zip(bounds, bounds[1:])]
    outcome: List[Step] = []
    for index, argument in enumerate([*chunks, None]):
        if handover is not None and index == handover[0]:
            taken_up = handover[1](limit, "", lambda: _too_large(limit))
            taken_up.restore_state(core.export_state())
            core = taken_up
        feed = core.feed_with_comments if comments else core.feed
        call: Any = core.close if argument is None else feed
        try:
            result: Any = call(argument) if argument is not None else call()
            returned: Any = [(type(item).__name__, tuple(item) if isinstance(item, tuple) else item) for item in result]
            kind = "returned"
        except SSEError as error:
            kind, returned = "raised", str(error)
        outcome.append((kind, returned, core.last_event_id, core.retry))
    return outcome


@settings(max_examples=800, deadline=None)
@given(
    stream=streams,
    chunking=st.sampled_from(["random", "bytes", "after each CR"]),
    cuts=st.lists(st.integers(min_value=0, max_value=5000), max_size=12),
    limit=st.one_of(st.integers(min_value=1, max_value=400), st.just(sys.maxsize)),
    comments=st.booleans(),
    at=st.integers(min_value=0),
    compiled_first=st.booleans(),
)
# Handovers where the state matters most: between a CR and its LF, inside a BOM, in an
# open line, and with a too-large error held.
@example(b"data: a\r\ndata: b\n\n", "after each CR", [], 400, False, 1, True)
@example(b"data: a\r\ndata: b\n\n", "after each CR", [], 400, False, 1, False)
@example(b"\xef\xbb\xbfdata: a\n\n", "bytes", [], 400, False, 1, True)
@example(b"\xef\xbb\xbfdata: a\n\n", "bytes", [], 400, False, 2, False)
@example(b"data: abc\ndata: de", "random", [13], 400, True, 1, True)
@example(b"data: a\n\ndata: " + b"x" * 50 + b"\n\n", "random", [9, 20], 30, False, 2, False)
@example(b"data: a\n\ndata: " + b"x" * 50 + b"\n\n", "random", [9, 20], 30, False, 2, True)
@example(b"event: tick\nid: 4\nretry: 7\ndata: a\n\n", "random", [30], 400, False, 1, True)
@example(b"data: abcdefg\ndata: x\n\n", "random", [13, 21], 14, False, 1, False)
@example(b"data: abcdefg\ndata: x\n\n", "random", [13, 21], 14, False, 1, True)
def test_a_state_exported_by_one_build_is_taken_up_by_the_other(
    stream: bytes, chunking: str, cuts: List[int], limit: int, comments: bool, at: int, compiled_first: bool
) -> None:
    # What pickle and deepcopy carry: a decoder pickled on one build unpickles on the other.
    cuts = split(stream, chunking, cuts)
    at %= len(cuts) + 2  # before any call, between two, or before close()
    expected = steps(_PythonCore, stream, cuts, limit, comments, "5")
    first, second = (_compiled_core, _PythonCore) if compiled_first else (_PythonCore, _compiled_core)
    assert steps(first, stream, cuts, limit, comments, "5", handover=(at, second)) == expected
    assert steps(first, stream, cuts, limit, comments, "5", handover=(at, first)) == expected


@settings(max_examples=1500, deadline=None)
@given(
    stream=streams,
    chunking=st.sampled_from(["random", "bytes", "after each CR"]),
    cuts=st.lists(st.integers(min_value=0, max_value=5000), max_size=12),
    limit=st.one_of(st.integers(min_value=1, max_value=400), st.just(sys.maxsize)),
    comments=st.booleans(),
    last_id=st.sampled_from(["", "5", "é"]),
)
def test_the_compiled_decoder_does_what_the_reference_does(
    stream: bytes, chunking: str, cuts: List[int], limit: int, comments: bool, last_id: str
) -> None:
    cuts = split(stream, chunking, cuts)
    expected = steps(_PythonCore, stream, cuts, limit, comments, last_id)
    assert steps(_compiled_core, stream, cuts, limit, comments, last_id) == expected


def test_the_compiled_decoder_refuses_text() -> None:
    core = _compiled_core(100, "", lambda: _too_large(100))  # type: ignore[misc]
    with pytest.raises(TypeError):
        core.feed("data: a\n\n")


def test_compiled_events_are_left_out_of_the_cyclic_gc() -> None:
    """They hold only str, int and None, so they can be in no cycle; tracked, they cost collections."""
    core = _compiled_core(100, "", lambda: _too_large(100))  # type: ignore[misc]
    event = core.feed(b"id: 1\nretry: 5\ndata: a\n\n")[0]
    assert not gc.is_tracked(event)
    assert event == ServerSentEvent(data="a", id="1", retry=5)
    assert hash(event) == hash(ServerSentEvent("message", "a", "1", 5))
    assert pickle.loads(pickle.dumps(event)) == event
