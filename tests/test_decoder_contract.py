"""One contract for both decoder builds: what feed() and the attributes take, re-entrant and
threaded use, a core made without __init__, and retry values past Python's digit limit.

Every test runs on the pure-Python decoder, then on the compiled one (``decoder_build``).
"""

from __future__ import annotations

import array
import copy
import pickle
import subprocess
import sys
import textwrap
import threading
from typing import Any, List

import pytest

from httpx_sse import ServerSentEvent, SSEDecoder, SSEError

pytestmark = pytest.mark.usefixtures("decoder_build")


@pytest.mark.parametrize("chunk", [5, [100, 97], "data: a\n\n", None, 1.5, array.array("b", b"data")])
def test_feed_refuses_what_is_not_bytes_alike(chunk: Any) -> None:
    decoder = SSEDecoder()
    with pytest.raises(TypeError, match="feed\\(\\) takes bytes, a bytearray or a memoryview"):
        decoder.feed(chunk)
    with pytest.raises(TypeError, match="feed\\(\\) takes bytes"):
        decoder.feed_with_comments(chunk)
    assert decoder.feed(b"data: still fine\n\n") == [ServerSentEvent(data="still fine")]


def test_feed_takes_bytes_bytearray_and_contiguous_memoryview() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(bytearray(b"data: a\n\n")) == [ServerSentEvent(data="a")]
    assert decoder.feed(memoryview(b"data: b\n\n")) == [ServerSentEvent(data="b")]
    assert decoder.feed(memoryview(b"xxdata: c\n\n")[2:]) == [ServerSentEvent(data="c")]


def test_feed_refuses_a_memoryview_with_gaps() -> None:
    with pytest.raises(TypeError, match="contiguous memoryview"):
        SSEDecoder().feed(memoryview(b"ddaattaa::  aa\n\n\n\n")[::2])


@pytest.mark.parametrize("value", [5, None, b"7", ["7"]])
def test_last_event_id_must_be_a_str(value: Any) -> None:
    decoder = SSEDecoder()
    with pytest.raises(TypeError, match="last_event_id must be a str"):
        decoder.last_event_id = value
    with pytest.raises(TypeError, match="last_event_id must be a str"):
        SSEDecoder(last_event_id=value)
    assert decoder.last_event_id == ""


@pytest.mark.parametrize("value", ["100", 1.5, -1, True, [1]])
def test_retry_must_be_a_whole_number_or_none(value: Any) -> None:
    decoder = SSEDecoder()
    with pytest.raises(TypeError, match="retry must be None or a whole number"):
        decoder.retry = value
    assert decoder.retry is None
    decoder.retry = 2500
    assert decoder.retry == 2500
    decoder.retry = None
    assert decoder.retry is None


def test_a_core_made_without_init_raises_instead_of_crashing(decoder_build: str) -> None:
    # Run in a child: on the broken build this crashed the interpreter.
    script = textwrap.dedent(
        """
        from httpx_sse import SSEDecoder
        from httpx_sse import _decoder
        core_class = type(SSEDecoder()._core)
        core = core_class.__new__(core_class)
        for attempt in (lambda: core.feed(b"data: a\\n\\n"), lambda: core.close()):
            try:
                attempt()
            except (RuntimeError, AttributeError, TypeError) as error:
                print("refused:", type(error).__name__)
        print(repr(core.last_event_id) if hasattr(core, "last_event_id") else "no attribute")
        """
    )
    env = {"HTTPX_SSE_NO_EXTENSIONS": "1"} if decoder_build == "pure-python" else {}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={**_env(), **env})
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("refused:") == 2 or "no attribute" in result.stdout


def _env() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if key != "HTTPX_SSE_NO_EXTENSIONS"}


def test_a_finalizer_that_feeds_the_decoder_during_a_feed_never_crashes_nor_garbles_it(decoder_build: str) -> None:
    # A finalizer runs whenever the garbage collector does: here, in the middle of feeds
    # whose event types and ids are new strings each time (freed early, they would be
    # reused by the finalizer's own). Run in a child: the broken build could crash.
    script = textwrap.dedent(
        """
        import gc
        from httpx_sse import SSEDecoder

        decoder = SSEDecoder()
        refused = []

        class Feeds:
            def __init__(self):
                self.me = self  # a cycle: only the cyclic collector frees it

            def __del__(self):
                for attempt in (lambda: decoder.feed(b"event: inner-type-xyz\\nid: inner-id-xyz\\ndata: inner\\n\\n"),
                                decoder.close):
                    try:
                        attempt()
                    except RuntimeError as error:
                        refused.append(str(error))

        gc.set_threshold(1, 1, 1)
        wrong = 0
        for round in range(400):
            Feeds()
            name, id = f"outer-type-{round:05}", f"outer-id-{round:05}"
            chunk = f"event: {name}\\nid: {id}\\ndata: x\\n\\n".encode()
            for sse in decoder.feed(chunk):
                wrong += (sse.event, sse.id, sse.data) != (name, id, "x")
        gc.set_threshold(700, 10, 10)
        print(wrong, len(refused), "one call at a time" in (refused or [""])[0])
        """
    )
    env = {"HTTPX_SSE_NO_EXTENSIONS": "1"} if decoder_build == "pure-python" else {}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={**_env(), **env})
    assert result.returncode == 0, result.stderr
    wrong, refused, said_why = result.stdout.split()
    assert wrong == "0"  # every event of the outer feeds as it was sent
    # Whether the collector runs inside a feed depends on the Python version (3.12 and
    # later defer it to the next bytecode); where it did, the finalizer was told why.
    assert int(refused) == 0 or said_why == "True"


def test_two_threads_sharing_a_decoder_never_crash() -> None:
    decoder = SSEDecoder()
    errors: List[BaseException] = []
    chunk = b"event: tick\nid: 1\ndata: " + b"x" * 200 + b"\ndata: y\n\n: c\n"
    expected = ServerSentEvent(event="tick", data="x" * 200 + "\ny", id="1")

    def hammer() -> None:
        for _ in range(5000):
            try:
                events = decoder.feed(chunk)
            except RuntimeError as error:  # the other thread was inside: a clear refusal
                assert "one call at a time" in str(error)
            except BaseException as error:  # pragma: no cover - a failure to report
                errors.append(error)
                return
            else:
                # Interleaved steps of two feeds garble events; one at a time, each is whole.
                if events != [expected]:
                    errors.append(AssertionError(f"garbled: {events!r}"))
                    return

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert errors == []
    assert decoder.feed(b"data: after\n\n") == [ServerSentEvent(data="after", id="1")]


def test_a_retry_longer_than_the_int_digit_limit_is_parsed(decoder_build: str) -> None:
    # A deployment may lower Python's int-string limit to 640 digits; a server's retry
    # value must still not make feed() raise, in either build.
    script = textwrap.dedent(
        """
        import sys
        from httpx_sse import SSEDecoder
        decoder = SSEDecoder()
        digits = "1" + "0" * 699
        events = decoder.feed(b"retry: " + digits.encode() + b"\\ndata: a\\n\\n")
        assert len(events) == 1 and events[0].data == "a"
        sys.set_int_max_str_digits(0)
        assert decoder.retry == int(digits), "wrong value"
        assert events[0].retry == int(digits)
        print("ok")
        """
    )
    if not hasattr(sys, "set_int_max_str_digits"):
        pytest.skip("this Python has no int-string digit limit")
    env = {"HTTPX_SSE_NO_EXTENSIONS": "1"} if decoder_build == "pure-python" else {}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**_env(), **env, "PYTHONINTMAXSTRDIGITS": "640"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.parametrize("digits", ["19", "18446744073709551616", "9" * 37, "1" * 4000, "0" * 50 + "123"])
def test_retry_values_of_any_length_keep_their_value(digits: str) -> None:
    decoder = SSEDecoder()
    decoder.feed(f"retry: {digits}\n\n".encode())
    assert decoder.retry == int(digits)


def decode_whole(chunks: List[bytes], **options: Any) -> List[Any]:
    decoder = SSEDecoder(**options)
    out: List[Any] = []
    for chunk in chunks:
        try:
            out.append(decoder.feed(chunk))
        except SSEError as error:
            out.append(str(error))
    return [*out, decoder.last_event_id, decoder.retry]


MID_STREAM = [
    b"\xef\xbb\xbfretry: 2500\nid: 1\nevent: tick\r",
    b"\ndata: first\ndata: sec",
    b"ond\n\n: comment\ndata: \xe6\x97",
    b"\xa5 after\n",
    b"\n" + b"data: " + b"x" * 200 + b"\n\n",
    b"data: after the error\n\n",
]


@pytest.mark.parametrize("cut", range(len(MID_STREAM) + 1))
@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_decoder_copied_mid_stream_goes_on_as_the_original(cut: int, how: str) -> None:
    expected = decode_whole(MID_STREAM, max_event_size=100)
    original = SSEDecoder(max_event_size=100)
    out: List[Any] = []
    for chunk in MID_STREAM[:cut]:
        try:
            out.append(original.feed(chunk))
        except SSEError as error:
            out.append(str(error))
    copied = pickle.loads(pickle.dumps(original)) if how == "pickle" else copy.deepcopy(original)
    assert type(copied) is SSEDecoder and copied.max_event_size == 100
    for chunk in MID_STREAM[cut:]:
        try:
            out.append(copied.feed(chunk))
        except SSEError as error:
            out.append(str(error))
    assert [*out, copied.last_event_id, copied.retry] == expected
    # The copy has its own core: feeding it leaves the original where it was.
    assert copied._core is not original._core
    if cut == 2:
        assert original.feed(b"ond\n\n") == [ServerSentEvent(event="tick", data="first\nsecond", id="1", retry=2500)]


class Tagged(SSEDecoder):
    """A user's subclass (at module level, so that pickle finds it)."""


def test_a_subclass_pickles_as_itself_with_its_own_attributes() -> None:
    decoder = Tagged()
    decoder.tag = "mine"  # type: ignore[attr-defined]
    decoder.feed(b"id: 9\ndata: a")
    copied = pickle.loads(pickle.dumps(decoder))
    assert type(copied) is Tagged and copied.tag == "mine"  # type: ignore[attr-defined]
    assert copied.feed(b"\n\n") == [ServerSentEvent(data="a", id="9")]


@pytest.mark.parametrize("state", [None, (), ("", None), ("x",) * 11, 5])
def test_restoring_what_is_not_a_state_is_a_value_error(state: Any) -> None:
    with pytest.raises(ValueError, match="not a decoder state"):
        SSEDecoder()._core.restore_state(state)
