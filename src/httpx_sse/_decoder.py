"""The sans-I/O event stream parser: bytes in, `ServerSentEvent` objects out.

It follows the WHATWG HTML "Interpreting an event stream" rules to the letter and
does no I/O of its own, so every reader in the package (sync, async, reconnecting,
the command line) drives the same object.
"""

from __future__ import annotations

import sys
from codecs import utf_8_decode
from typing import List, Optional

from ._exceptions import SSEError
from ._models import ServerSentEvent

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder"]

DEFAULT_MAX_EVENT_SIZE = 64 * 1024 * 1024

_new_event = tuple.__new__


def _parse_retry(digits: str) -> Optional[int]:
    significant = digits.lstrip("0") or "0"
    # Python refuses to parse over 4300 digits (a denial-of-service guard); a wait
    # that long means nothing anyway, so such a field is ignored.
    if len(significant) > 4000:
        return None
    return int(significant)


class SSEDecoder:
    """Incremental parser for one ``text/event-stream``.

    >>> decoder = SSEDecoder()
    >>> decoder.feed(b"event: tick\\ndata: 1\\n")
    []
    >>> decoder.feed(b"\\n")
    [ServerSentEvent(event='tick', data='1')]

    ``feed()`` returns the events completed by the bytes given, as soon as their blank
    line arrives; ``close()`` ends the stream (an unterminated event is discarded, as the
    spec says) and readies the decoder for the next connection of the same source:
    ``last_event_id`` and ``retry`` carry over, as they do in a browser's EventSource.

    ``max_event_size`` bounds the characters one event's data, or one line, may hold
    (for ASCII, bytes); past it ``feed()`` raises `SSEError`. ``None`` means no bound.
    """

    def __init__(
        self,
        *,
        max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE,
        last_event_id: str = "",
    ) -> None:
        if max_event_size is not None and max_event_size < 1:
            raise ValueError(f"max_event_size must be a positive integer or None, not {max_event_size!r}")
        self.max_event_size = max_event_size
        self._limit = sys.maxsize if max_event_size is None else max_event_size
        #: The spec's "last event ID string": set by the blank line that ends a block.
        self.last_event_id = last_event_id
        #: The latest reconnection time (ms) the stream asked for, or ``None``.
        self.retry: Optional[int] = None
        # An error found after events were already decoded in the same call is held
        # back until the next call, so that those events still reach the caller.
        self._error: Optional[SSEError] = None
        self._id_buffer = last_event_id
        self._start_stream()

    def _start_stream(self) -> None:
        self._undecoded = b""  # the start of a UTF-8 character split across chunks
        self._at_start = True  # a BOM is stripped at the start of a stream only
        self._skip_lf = False  # the last text ended with CR: an LF next completes CRLF
        # Any of the above, or an error: the next feed() takes the careful path.
        self._unusual = True
        # The incomplete last line, as pieces: joined once, when its end arrives, so a
        # line that comes in many small chunks costs O(its length), not O(length²).
        self._pending: List[str] = []
        self._pending_size = 0
        self._data: List[str] = []
        self._data_counted = 0  # how many of _data are in _data_size
        self._data_size = 0
        self._event_type = ""
        self._block_retry: Optional[int] = None
        self._id_buffer = self.last_event_id

    def _decode_unusual(self, data: bytes) -> str:
        """Decode ``data`` when the stream is at its start, mid-character, after a CR or failed."""
        if self._error is not None:
            raise self._error
        if self._undecoded:
            data = self._undecoded + data
        text, used = utf_8_decode(data, "replace", False)
        self._undecoded = data[used:]
        if text and self._at_start:
            self._at_start = False
            if text[0] == "\ufeff":
                text = text[1:]
        if text and self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
        self._unusual = self._at_start or self._skip_lf or bool(self._undecoded)
        return text

    def feed(self, data: bytes) -> List[ServerSentEvent]:
        """Take the next bytes of the stream; return the events they complete."""
        if self._unusual:
            text = self._decode_unusual(data)
        else:
            text, used = utf_8_decode(data, "replace", False)
            if used != len(data):
                self._undecoded = data[used:]
                self._unusual = True
        if "\r" in text:
            # A CR ends its line at once; the LF that may follow in the next chunk
            # is then skipped, so no event waits for the next chunk.
            if text[-1] == "\r":
                self._skip_lf = self._unusual = True
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        pending = self._pending
        if "\n" not in text:
            if text:
                self._extend_pending(text)
                if self._error is not None:
                    raise self._error
            return []
        # Blocks end in a blank line: "\n\n" ends a block's last line and is the blank
        # line after it. The last piece holds the lines of a block still open, then the
        # start of a line still incomplete.
        blocks: List[Optional[str]] = text.split("\n\n")  # type: ignore[assignment]
        open_lines = blocks.pop().split("\n")  # type: ignore[union-attr]
        tail = open_lines.pop()
        if pending:
            pending.append(blocks[0] if blocks else open_lines[0])  # type: ignore[arg-type]
            if blocks:
                blocks[0] = "".join(pending)
            else:
                open_lines[0] = "".join(pending)
            pending.clear()
            self._pending_size = 0
        blocks.append(None)  # stands for open_lines

        # The hot loop: block state lives in locals and goes back to self at the end.
        events: List[ServerSentEvent] = []
        emit = events.append
        data_lines = self._data
        event_type = self._event_type
        id_buffer = self._id_buffer
        block_retry = self._block_retry
        limit = self._limit
        dispatched_id: Optional[str] = None  # the id buffer at the last blank line
        for block in blocks:
            if block is None:
                lines = open_lines
            elif not data_lines and block[:6] == "data: " and "\n" not in block:
                # The common block, one data line, dispatched without a line loop.
                value = block[6:]
                if len(value) > limit:
                    self._fail_too_large()
                    break
                emit(_new_event(ServerSentEvent, (event_type or "message", value, id_buffer, block_retry)))
                dispatched_id = id_buffer
                event_type = ""
                block_retry = None
                continue
            else:
                lines = block.split("\n")
                lines.append("")
            for line in lines:
                if line:
                    # The usual "name: value" fields first; testing the first character
                    # before slicing saves a slice on most lines.
                    first = line[0]
                    if first == "d" and line[:6] == "data: ":
                        data_lines.append(line[6:])
                    elif first == "i" and line[:4] == "id: ":
                        if "\x00" not in line:
                            id_buffer = line[4:]
                    elif first == "e" and line[:7] == "event: ":
                        event_type = line[7:]
                    else:
                        # A comment has an empty name and so matches no field below.
                        name, _, value = line.partition(":")
                        if value[:1] == " ":
                            value = value[1:]
                        if name == "data":
                            data_lines.append(value)
                        elif name == "id":
                            if "\x00" not in value:
                                id_buffer = value
                        elif name == "event":
                            event_type = value
                        elif name == "retry" and value.isdigit() and value.isascii():
                            retry = _parse_retry(value)
                            if retry is not None:
                                block_retry = self.retry = retry
                    continue
                if data_lines:
                    value = data_lines[0] if len(data_lines) == 1 else "\n".join(data_lines)
                    data_lines = []
                    if len(value) > limit:
                        self._fail_too_large()
                        break
                    emit(_new_event(ServerSentEvent, (event_type or "message", value, id_buffer, block_retry)))
                dispatched_id = id_buffer
                event_type = ""
                block_retry = None
            if self._error is not None:
                break
        if dispatched_id is not None:
            # The spec's "last event ID string" takes the id buffer at each blank line.
            self.last_event_id = dispatched_id
            self._data_counted = self._data_size = 0
        self._id_buffer = id_buffer
        self._event_type = event_type
        self._block_retry = block_retry
        self._data = data_lines
        if data_lines:
            self._count_data()
        if tail:
            pending.append(tail)
            self._pending_size = len(tail)
            if len(tail) > limit:
                pending.clear()
                self._fail_too_large()
        if self._error is not None and not events:
            raise self._error
        return events

    def _count_data(self) -> None:
        # Only the parts added since the last count are measured, so a big event fed
        # in small chunks costs O(its size) overall.
        size = self._data_size
        for part in self._data[self._data_counted :]:
            size += len(part) + 1
        self._data_size = size
        self._data_counted = len(self._data)
        if size - 1 > self._limit:
            self._fail_too_large()

    def _extend_pending(self, piece: str) -> None:
        self._pending.append(piece)
        self._pending_size += len(piece)
        if self._pending_size > self._limit:
            self._pending.clear()
            self._fail_too_large()

    def _fail_too_large(self) -> None:
        self._unusual = True
        self._error = SSEError(
            f"an event or line exceeded max_event_size={self.max_event_size} characters; "
            "pass a larger max_event_size, or max_event_size=None for no limit"
        )

    def close(self) -> List[ServerSentEvent]:
        """End the stream: discard an unterminated event, as the spec says.

        The decoder is then ready for the next connection of the same event source,
        keeping ``last_event_id`` and ``retry``. Returns the events completed at the
        end of the stream, which by the spec's rules is always none.
        """
        if self._error is not None:
            raise self._error
        self._start_stream()
        return []
