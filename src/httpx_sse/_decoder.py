"""The sans-I/O event stream parser: bytes in, `ServerSentEvent` objects out.

It follows the WHATWG HTML "Interpreting an event stream" rules to the letter and
does no I/O of its own, so every reader in the package (sync, async, reconnecting,
the command line) drives the same object.
"""

from __future__ import annotations

import os
import re
import sys
from functools import partial
from typing import Any, Callable, List, Optional, Tuple, Union

from ._exceptions import SSEError
from ._models import ServerSentEvent, SSEComment

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder"]

DEFAULT_MAX_EVENT_SIZE = 64 * 1024 * 1024


def _load_speedups() -> Optional[Callable[..., Any]]:
    """The compiled decoder, unless it is not built or HTTPX_SSE_NO_EXTENSIONS is set."""
    if os.environ.get("HTTPX_SSE_NO_EXTENSIONS"):
        return None
    try:
        from . import _speedups  # type: ignore[attr-defined]
    except ImportError:
        return None
    _speedups.setup(ServerSentEvent, SSEComment)
    return _speedups.Decoder  # type: ignore[no-any-return]


_compiled_core = _load_speedups()
#: Whether the decoder in use is the compiled one (see ``_speedups.c``).
COMPILED = _compiled_core is not None

_new_event = tuple.__new__

# Each complete line as (name, colon, value, blank): the field name up to the first
# colon, the colon if there is one, the value after it without one leading space, and
# "\n" when a blank line follows (it is taken with the line: most blocks end so). A
# blank line on its own is ("", "", "", ...), a comment ("", ":", text, ...). One C
# call splits all the complete lines of a chunk.
_fields: Callable[[str], List[Tuple[str, str, str, str]]] = re.compile(r"([^:\n]*)(:?) ?([^\n]*)\n(\n?)").findall


# Bigger chunks are decoded a slice at a time, so that the lists and strings made for
# one chunk stay small whatever size of chunk the caller feeds.
_SLICE = 64 * 1024
# Past this many data lines in an open block, they are joined into one string: a
# flood of short data lines then costs a few bytes per line, not an object each.
_DATA_GROUP = 64
_blank_lines = re.compile(b"\n*")


# int() refuses a str of more digits than sys.get_int_max_str_digits(), which a
# deployment may lower to 640: retry values are parsed in pieces shorter than that.
_RETRY_PIECE = 600


def _parse_retry(digits: str) -> Optional[int]:
    significant = digits.lstrip("0") or "0"
    # Python's default guard refuses over 4300 digits; a wait that long means nothing
    # anyway, so such a field is ignored (in both builds alike).
    if len(significant) > 4000:
        return None
    if len(significant) <= _RETRY_PIECE:
        return int(significant)
    value = 0
    for start in range(0, len(significant), _RETRY_PIECE):
        piece = significant[start : start + _RETRY_PIECE]
        value = value * 10 ** len(piece) + int(piece)
    return value


#: A decoder's state mid-stream, as both cores export and restore it (so a decoder
#: pickled on one build unpickles on the other): last_event_id, retry, the id buffer,
#: the event type buffer, the open block's retry, its data lines joined by "\n" (None
#: for none), the incomplete last line's raw bytes, the open block's size as the bound
#: counts it, whether the stream is at its start (a BOM may come), whether an LF next
#: completes a CRLF, and whether a too-large error is held.
State = Tuple[str, Optional[int], str, str, Optional[int], Optional[str], bytes, int, bool, bool, bool]


_STATE_KINDS: Tuple[Any, ...] = (
    *(str, (int, type(None)), str, str, (int, type(None)), (str, type(None))),
    *(bytes, int, bool, bool, bool),
)


def _checked_state(state: object) -> State:
    if not (
        isinstance(state, tuple)
        and len(state) == len(_STATE_KINDS)
        and all(isinstance(value, kind) for value, kind in zip(state, _STATE_KINDS))
    ):
        raise ValueError(f"not a decoder state: {state!r:.200}")
    return state


def _busy_error(method: str) -> RuntimeError:
    # A finalizer that runs mid-feed (the garbage collector may run at any allocation),
    # or a second thread, would interleave its steps with the first call's.
    return RuntimeError(
        f"SSEDecoder.{method}() called while the decoder is already busy (from a finalizer "
        "or another thread): a decoder takes one call at a time"
    )


def _bytes_of(data: object) -> bytes:
    """The bytes of a chunk that is not exactly ``bytes``, refused as the compiled core refuses it."""
    if isinstance(data, memoryview) and not data.c_contiguous:
        raise TypeError("feed() takes a contiguous memoryview; copy it with bytes() first")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"feed() takes bytes, a bytearray or a memoryview, not {type(data).__name__}")
    return bytes(data)


class _PythonCore:
    """The decoder in pure Python: the reference that ``_speedups.c`` follows step for step.

    ``limit`` is the bound in bytes (``sys.maxsize`` for none); ``make_error`` makes the
    `SSEError` raised when a block passes it.
    """

    __slots__ = (
        "_after_lf",
        "_at_start",
        "_block_bytes",
        "_block_retry",
        "_comments",
        "_data",
        "_error",
        "_event_type",
        "_free",
        "_groups",
        "_id_buffer",
        "_limit",
        "_make_error",
        "_pending",
        "_skip_lf",
        "_unusual",
        "bytes_seen",
        "comments_seen",
        "events_seen",
        "ids_seen",
        "last_event_id",
        "retry",
    )

    def __init__(self, limit: int, last_event_id: str, make_error: Callable[[], SSEError]) -> None:
        self._limit = limit
        self._make_error = make_error
        #: The spec's "last event ID string": set by the blank line that ends a block.
        self.last_event_id = last_event_id
        #: The latest reconnection time (ms) the stream asked for, or ``None``.
        self.retry: Optional[int] = None
        # An error found after events were already decoded in the same call is held
        # back until the next call, so that those events still reach the caller.
        self._error: Optional[SSEError] = None
        self._comments = False  # set while feed_with_comments() runs
        # One token while no call runs. Taking it (list.pop) and finding it there is one
        # step no other thread can come between, as the test of a flag and its setting
        # are not: see _busy_error().
        self._free = [None]
        # Counts a reader keeps statistics with, and tells an event's own id from an
        # inherited one by: comment lines taken, id fields that set the id buffer.
        self.comments_seen = 0
        self.ids_seen = 0
        self.events_seen = 0
        self.bytes_seen = 0
        self._id_buffer = last_event_id
        self._start_stream()

    def _start_stream(self) -> None:
        self._at_start = True  # a BOM is stripped at the start of a stream only
        self._skip_lf = False  # the last chunk ended with CR: an LF next completes CRLF
        # At the start, after a CR, or failed: one flag for the common path to test.
        self._unusual = True
        # The incomplete last line, as raw bytes, decoded once when its end arrives.
        # Lines end on whole characters, so decoding complete lines never splits a
        # UTF-8 sequence. The start of a line is kept as it came (bytes, cheap to
        # join); a line that spans several chunks grows in a bytearray, amortised
        # O(1) an append, so it costs O(its length), not O(length²), in any chunking.
        self._pending: Union[bytes, bytearray] = b""
        self._data: List[str] = []
        self._groups = 0  # how many leading items of _data are lines already joined
        # The open block's size so far, and whether its last byte ends a line: a line
        # end right after a line end is a blank line, which closes the block.
        self._block_bytes = 0
        self._after_lf = True
        self._event_type = ""
        self._block_retry: Optional[int] = None
        self._id_buffer = self.last_event_id

    def feed_with_comments(self, data: bytes) -> List[Union[ServerSentEvent, SSEComment]]:
        """`feed`, and each comment line completed by ``data`` too, in stream order."""
        try:
            self._free.pop()
        except IndexError:
            raise _busy_error("feed_with_comments") from None
        self._comments = True
        try:
            items: List[Any] = self._decode(data)
            self.bytes_seen += len(data)
            self.events_seen += sum(type(item) is ServerSentEvent for item in items)
            return items
        finally:
            self._comments = False
            self._free.append(None)

    def feed(self, data: bytes) -> List[ServerSentEvent]:
        """Take the next bytes of the stream; return the events they complete."""
        try:
            self._free.pop()
        except IndexError:
            raise _busy_error("feed") from None
        try:
            events = self._decode(data)
            self.bytes_seen += len(data)
            self.events_seen += len(events)
            return events
        finally:
            self._free.append(None)

    def _decode(self, data: bytes) -> List[ServerSentEvent]:
        if type(data) is not bytes:
            data = _bytes_of(data)  # a bytearray or memoryview: the same steps on a copy
        if len(data) > _SLICE:
            return self._feed_in_slices(data)
        if not self._pending and not self._unusual and not self._data and self._block_bytes + len(data) <= self._limit:
            # The chunk is one line and the blank line after it (LF or CRLF), as servers
            # flush an LLM token or a heartbeat: the same steps as below, without the splitting.
            line = data[:-2] if data[-2:] == b"\n\n" else data[:-4] if data[-4:] == b"\r\n\r\n" else None
            if line is not None and 0x0A not in line and 0x0D not in line:
                if line[:5] == b"data:":
                    text = (line[6:] if line[5:6] == b" " else line[5:]).decode("utf-8", "replace")
                    self._block_bytes = 0
                    self._after_lf = True
                    self.last_event_id = id_buffer = self._id_buffer
                    values = (self._event_type or "message", text, id_buffer, self._block_retry)
                    self._event_type = ""
                    self._block_retry = None
                    return [_new_event(ServerSentEvent, values)]
                if line[:1] == b":" and not self._comments:  # a comment, then the blank line
                    self.comments_seen += 1
                    self._block_bytes = 0
                    self._after_lf = True
                    self.last_event_id = self._id_buffer
                    self._event_type = ""
                    self._block_retry = None
                    return []
        if self._unusual:
            if self._error is not None:
                raise self._error
            if self._skip_lf and data:
                self._skip_lf = False
                if data[0] == 0x0A:
                    data = data[1:]
            self._unusual = self._at_start or self._skip_lf
        if 0x0D in data:  # faster than b"\r" in data, which sets up a substring search
            # A CR ends its line at once; the LF that may follow in the next chunk
            # is then skipped, so no event waits for the next chunk.
            if data[-1] == 0x0D:
                self._skip_lf = self._unusual = True
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if not data:
            return []
        too_large_from = self._measure(data)
        if too_large_from >= 0:
            return self._feed_until_too_large(data, too_large_from)
        end = data.rfind(b"\n") + 1
        pending = self._pending
        if not end:
            if type(pending) is bytes:
                pending = self._pending = bytearray(pending)
            pending += data
            return []
        fields: List[Tuple[str, str, str, str]]
        if type(pending) is bytearray:
            fields = self._fields_after_long_line(pending, data, end)
            del pending
        else:
            text = (pending + data[:end] if pending else data[:end] if end != len(data) else data).decode(
                "utf-8", "replace"
            )
            if self._unusual and self._at_start:
                text = self._stream_start(text)
            fields = _fields(text)
            del text
        self._pending = data[end:]

        # The spec's steps, line by line. Block state lives in locals and goes back
        # to self at the end. Data lines come first: they are most lines.
        events: List[ServerSentEvent] = []
        emit = events.append
        data_lines = self._data
        add_data = data_lines.append
        event_type = self._event_type
        id_buffer = self._id_buffer
        block_retry = self._block_retry
        dispatched_id: Optional[str] = None  # the id buffer at the last blank line
        comments = self._comments
        for name, colon, value, blank in fields:
            if name == "data":
                if blank and not data_lines:  # a whole block of one data line: the usual event
                    emit(_new_event(ServerSentEvent, (event_type or "message", value, id_buffer, block_retry)))
                    dispatched_id = id_buffer
                    event_type = ""
                    block_retry = None
                    continue
                add_data(value)
            elif name:
                if name == "id":
                    if "\x00" not in value:
                        id_buffer = value
                        self.ids_seen += 1
                elif name == "event":
                    event_type = value
                elif name == "retry" and value.isdigit() and value.isascii():
                    retry = _parse_retry(value)
                    if retry is not None:
                        block_retry = self.retry = retry
            elif colon:  # a comment
                self.comments_seen += 1
                if comments:
                    emit(SSEComment(value))  # type: ignore[arg-type]
            else:
                blank = "\n"  # this line is blank
            if blank:  # a blank line: dispatch the event
                if data_lines:
                    value = data_lines[0] if len(data_lines) == 1 else "\n".join(data_lines)
                    data_lines = []
                    add_data = data_lines.append
                    emit(_new_event(ServerSentEvent, (event_type or "message", value, id_buffer, block_retry)))
                dispatched_id = id_buffer
                event_type = ""
                block_retry = None
        # The open block's state, kept for the next chunk.
        if dispatched_id is not None:
            # The spec's "last event ID string" takes the id buffer at each blank line.
            self.last_event_id = dispatched_id
            self._groups = 0
        self._id_buffer = id_buffer
        self._event_type = event_type
        self._block_retry = block_retry
        self._data = data_lines
        if len(data_lines) > self._groups + _DATA_GROUP:
            self._group_data_lines()
        return events

    def _group_data_lines(self) -> None:
        """Join the open block's newest data lines into one string (see _DATA_GROUP)."""
        groups = self._groups
        self._data[groups:] = ["\n".join(self._data[groups:])]
        self._groups = groups + 1

    def _feed_in_slices(self, data: bytes) -> List[ServerSentEvent]:
        events: List[ServerSentEvent] = []
        for start in range(0, len(data), _SLICE):
            try:
                events += self._decode(data[start : start + _SLICE])
            except SSEError:
                if events:
                    return events  # the error is raised by the next call
                raise
        return events

    def _measure(self, data: bytes) -> int:
        """Count ``data`` into the open block; where a block too large begins, or -1.

        One search from the end of the chunk when no block in it can pass the bound;
        the exact walk, block by block, only when one might.
        """
        size = self._block_bytes
        if size + len(data) > self._limit:
            return self._measure_blocks(data)
        blank = data.rfind(b"\n\n")
        if blank >= 0:
            size = len(data) - blank - 2
        elif self._after_lf and data[0] == 0x0A:
            size = len(data) - 1
        else:
            size += len(data)
        self._block_bytes = size
        self._after_lf = data[-1] == 0x0A
        return -1

    def _measure_blocks(self, data: bytes) -> int:
        limit = self._limit
        size = self._block_bytes
        after_lf = self._after_lf
        position = block_start = 0
        while position < len(data):
            if after_lf and data[position] == 0x0A:  # blank lines: the block ends
                position = block_start = _blank_lines.match(data, position).end()  # type: ignore[union-attr]
                size = 0
                continue
            blank = data.find(b"\n\n", position)
            end = len(data) if blank < 0 else blank + 1
            size += end - position
            if size > limit:
                return block_start
            after_lf = data[end - 1] == 0x0A
            position = end
        self._block_bytes = size
        self._after_lf = after_lf
        return -1

    def _feed_until_too_large(self, data: bytes, block_start: int) -> List[ServerSentEvent]:
        """The events of the blocks before the one too large; then the error."""
        self._skip_lf = False  # ``data`` is already free of CRs
        events = self._decode(data[:block_start]) if block_start else []
        self._pending = b""
        self._data = []
        self._fail_too_large()
        if not events:
            raise self._error  # type: ignore[misc]
        return events

    def _stream_start(self, text: str) -> str:
        """The stream's first decoded text, without the one BOM the spec strips."""
        self._at_start = False
        self._unusual = self._skip_lf
        return text[1:] if text[:1] == "\ufeff" else text

    def _fields_after_long_line(self, pending: bytearray, data: bytes, end: int) -> List[Tuple[str, str, str, str]]:
        """The fields of ``data``'s lines when the first ends a line that spanned chunks.

        The long line is decoded and split apart, so that it is copied as few times as
        possible and never scanned again with the rest of the chunk.
        """
        first = data.find(b"\n")
        pending += data[:first]
        head = pending.decode("utf-8", "replace")
        del pending[:]  # the caller's reference is the last: free the bytes now
        if self._unusual and self._at_start:
            head = self._stream_start(head)
        name, colon, value = head.partition(":")
        del head
        if value[:1] == " ":
            value = value[1:]
        rest = data[first + 1 : end].decode("utf-8", "replace")
        # The long line's own blank-line mark: whether a blank line follows it.
        blank = "\n" if rest[:1] == "\n" else ""
        fields = _fields(rest[1:] if blank else rest)
        fields.insert(0, (name, colon, value, blank))
        return fields

    def _fail_too_large(self) -> None:
        self._unusual = True
        self._error = self._make_error()

    def _exclusive(self, method: str, step: Callable[[], Any]) -> Any:
        """Run ``step`` as the one call in progress, or raise (see ``_free``)."""
        try:
            self._free.pop()
        except IndexError:
            raise _busy_error(method) from None
        try:
            return step()
        finally:
            self._free.append(None)

    def export_state(self) -> State:
        """The decoder's state mid-stream, in the form both cores share (see `State`)."""
        return self._exclusive("export_state", self._export_state)  # type: ignore[no-any-return]

    def _export_state(self) -> State:
        data = "\n".join(self._data) if self._data else None
        held = self._error is not None
        return (
            *(self.last_event_id, self.retry, self._id_buffer, self._event_type, self._block_retry, data),
            *(bytes(self._pending), self._block_bytes, self._at_start, self._skip_lf, held),
        )

    def restore_state(self, state: State) -> None:
        """Take up a stream where `export_state` left it, in this core or the other."""
        self._exclusive("restore_state", partial(self._restore_state, state))

    def _restore_state(self, state: State) -> None:
        (
            last_event_id,
            retry,
            id_buffer,
            event_type,
            block_retry,
            data,
            pending,
            block_bytes,
            at_start,
            skip_lf,
            held,
        ) = _checked_state(state)
        self.last_event_id = last_event_id
        self.retry = retry
        self._start_stream()
        self._id_buffer = id_buffer
        self._event_type = event_type
        self._block_retry = block_retry
        self._data = [] if data is None else [data]
        self._groups = len(self._data)  # the one item holds lines already joined
        self._pending = pending
        self._after_lf = not pending  # a block's last byte ends a line unless a line is open
        self._block_bytes = block_bytes
        self._at_start = at_start
        self._skip_lf = skip_lf
        self._error = self._make_error() if held else None
        self._unusual = at_start or skip_lf or held

    def close(self) -> List[ServerSentEvent]:
        """End the stream: discard an unterminated event, as the spec says.

        The decoder is then ready for the next connection of the same event source,
        keeping ``last_event_id`` and ``retry``. Returns the events completed at the
        end of the stream, which by the spec's rules is always none.
        """
        return self._exclusive("close", self._close)  # type: ignore[no-any-return]

    def _close(self) -> List[ServerSentEvent]:
        if self._error is not None:
            raise self._error
        self._start_stream()
        return []


def check_last_event_id(value: object) -> str:
    """A last event ID given by the caller, which must be a str (`TypeError` otherwise)."""
    if not isinstance(value, str):
        raise TypeError(f"last_event_id must be a str, not {value!r}")
    return value


def _too_large(max_event_size: Optional[int]) -> SSEError:
    return SSEError(
        f"an event larger than max_event_size={max_event_size} bytes arrived; "
        "pass a larger max_event_size, or max_event_size=None for no limit"
    )


class SSEDecoder:
    """Incremental parser for one ``text/event-stream``.

    ```python
    decoder = SSEDecoder()
    decoder.feed(b"event: tick\\ndata: 1\\n")
    # []
    decoder.feed(b"\\n")
    # [ServerSentEvent(event='tick', data='1')]
    ```

    ``feed()`` returns the events completed by the bytes given, as soon as their blank
    line arrives; ``close()`` ends the stream (an unterminated event is discarded, as the
    spec says) and readies the decoder for the next connection of the same source:
    ``last_event_id`` and ``retry`` carry over, as they do in a browser's EventSource.

    ``max_event_size`` bounds the bytes of one block as received: all the lines since
    the last blank line (data, id, event, retry, comments; the line being received
    included), in UTF-8 bytes, each line end counted as one byte. ``data: abc`` is 10
    bytes with its line end. When a block passes it, ``feed()`` raises `SSEError`
    once every event completed before that block has been returned; the outcome is
    the same however the bytes are chunked. ``None`` means no bound.

    ``feed_with_comments()`` is ``feed()`` that also hands out each comment line, as
    an `SSEComment`, in order with the events.
    """

    # The methods of the core in use are bound on each instance (a subclass's own
    # methods are left alone): a reader's decoder.feed(chunk) then goes straight to the
    # core, compiled or not, with no call in between.
    __slots__ = ("__dict__", "_core", "max_event_size")

    def __init__(
        self,
        *,
        max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE,
        last_event_id: str = "",
    ) -> None:
        if max_event_size is not None and (not isinstance(max_event_size, int) or max_event_size < 1):
            raise ValueError(f"max_event_size must be a positive integer or None, not {max_event_size!r}")
        check_last_event_id(last_event_id)
        self.max_event_size = max_event_size
        # No block can hold sys.maxsize bytes: a bigger bound is no bound.
        limit = sys.maxsize if max_event_size is None else min(max_event_size, sys.maxsize)
        core_class = _PythonCore if _compiled_core is None else _compiled_core
        core: Any = core_class(limit, last_event_id, partial(_too_large, max_event_size))
        self._core = core
        if type(self) is SSEDecoder:
            self.feed = core.feed  # type: ignore[method-assign]
            self.feed_with_comments = core.feed_with_comments  # type: ignore[method-assign]
            self.close = core.close  # type: ignore[method-assign]

    def feed(self, data: bytes) -> List[ServerSentEvent]:
        """Take the next bytes of the stream; return the events they complete."""
        return self._core.feed(data)  # type: ignore[no-any-return]

    def feed_with_comments(self, data: bytes) -> List[Union[ServerSentEvent, SSEComment]]:
        """`feed`, and each comment line completed by ``data`` too, in stream order."""
        return self._core.feed_with_comments(data)  # type: ignore[no-any-return]

    def close(self) -> List[ServerSentEvent]:
        """End the stream: discard an unterminated event, as the spec says.

        The decoder is then ready for the next connection of the same event source,
        keeping ``last_event_id`` and ``retry``. Returns the events completed at the
        end of the stream, which by the spec's rules is always none.
        """
        return self._core.close()  # type: ignore[no-any-return]

    def __reduce__(self) -> Tuple[Any, ...]:
        # The core's state, in the form both builds share; not the methods bound on the
        # instance (a copy must feed its own core, not the original's).
        extra = {name: value for name, value in self.__dict__.items() if name not in _BOUND}
        return (_restored, (type(self), self.max_event_size, self._core.export_state()), extra or None)

    @property
    def last_event_id(self) -> str:
        """The spec's "last event ID string": set by the blank line that ends a block."""
        return self._core.last_event_id  # type: ignore[no-any-return]

    @last_event_id.setter
    def last_event_id(self, value: str) -> None:
        self._core.last_event_id = check_last_event_id(value)

    @property
    def comments_seen(self) -> int:
        """How many comment lines (heartbeats included) the decoder has taken."""
        return self._core.comments_seen  # type: ignore[no-any-return]

    @property
    def events_seen(self) -> int:
        """How many events the decoder has dispatched."""
        return self._core.events_seen  # type: ignore[no-any-return]

    @property
    def bytes_seen(self) -> int:
        """How many bytes of stream the decoder has been fed."""
        return self._core.bytes_seen  # type: ignore[no-any-return]

    @property
    def ids_seen(self) -> int:
        """How many ``id`` fields have set the id buffer: when it has not moved since the
        last event, the next event inherits its id rather than setting its own."""
        return self._core.ids_seen  # type: ignore[no-any-return]

    @property
    def retry(self) -> Optional[int]:
        """The latest reconnection time (ms) the stream asked for, or ``None``."""
        return self._core.retry  # type: ignore[no-any-return]

    @retry.setter
    def retry(self, value: Optional[int]) -> None:
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise TypeError(f"retry must be None or a whole number of milliseconds, at least 0, not {value!r}")
        self._core.retry = value


_BOUND = frozenset({"feed", "feed_with_comments", "close"})


def _restored(cls: Any, max_event_size: Optional[int], state: State) -> SSEDecoder:
    """A decoder (of ``cls``, an `SSEDecoder` or a subclass) taken up from a pickled state."""
    decoder: SSEDecoder = cls.__new__(cls)
    SSEDecoder.__init__(decoder, max_event_size=max_event_size)
    decoder._core.restore_state(state)
    return decoder
