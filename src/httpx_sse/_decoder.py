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

    def feed(self, data: bytes) -> List[ServerSentEvent]:
        """Take the next bytes of the stream; return the events they complete."""
        if self._error is not None:
            raise self._error
        if self._undecoded:
            data = self._undecoded + data
            self._undecoded = b""
        text, used = utf_8_decode(data, "replace", False)
        if used != len(data):
            self._undecoded = data[used:]
        if not text:
            return []
        if self._at_start:
            self._at_start = False
            if text[0] == "\ufeff":
                text = text[1:]
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
        if "\r" in text:
            # A CR ends its line at once; the LF that may follow in the next chunk
            # is then skipped, so no event waits for the next chunk.
            self._skip_lf = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")

        lines = text.split("\n")
        tail = lines.pop()
        pending = self._pending
        if not lines:
            if tail:
                self._extend_pending(tail)
                if self._error is not None:
                    raise self._error
            return []
        if pending:
            pending.append(lines[0])
            lines[0] = "".join(pending)
            pending.clear()
            self._pending_size = 0
        events = self._process(lines)
        if tail:
            self._extend_pending(tail)
        if self._error is not None and not events:
            raise self._error
        return events

    def _process(self, lines: List[str]) -> List[ServerSentEvent]:
        # The hot loop: state lives in locals and goes back to self at the end.
        events: List[ServerSentEvent] = []
        emit = events.append
        data = self._data
        event_type = self._event_type
        id_buffer = self._id_buffer
        block_retry = self._block_retry
        limit = self._limit
        last_event_id: Optional[str] = None
        for line in lines:
            if not line:
                if data:
                    value = data[0] if len(data) == 1 else "\n".join(data)
                    if len(value) > limit:
                        self._fail_too_large()
                        data = []
                        break
                    emit(_new_event(ServerSentEvent, (event_type or "message", value, id_buffer, block_retry)))
                    data = []
                last_event_id = id_buffer
                event_type = ""
                block_retry = None
                continue
            if line[:6] == "data: ":
                data.append(line[6:])
                continue
            colon = line.find(":")
            if colon == 0:
                continue  # a comment
            if colon > 0:
                name = line[:colon]
                value = line[colon + 2 :] if line[colon + 1 : colon + 2] == " " else line[colon + 1 :]
            else:
                name = line
                value = ""
            if name == "data":
                data.append(value)
            elif name == "event":
                event_type = value
            elif name == "id" and "\x00" not in value:
                id_buffer = value
            elif name == "retry" and value.isdigit() and value.isascii():
                retry = _parse_retry(value)
                if retry is not None:
                    block_retry = self.retry = retry
        if last_event_id is not None:
            self.last_event_id = last_event_id
            self._data_counted = self._data_size = 0
        self._id_buffer = id_buffer
        self._event_type = event_type
        self._block_retry = block_retry
        self._data = data
        if data:
            # Count only the parts added since the last count, so a big event fed in
            # small chunks is measured in O(its size) overall.
            size = self._data_size
            for part in data[self._data_counted :]:
                size += len(part) + 1
            self._data_size = size
            self._data_counted = len(data)
            if size - 1 > limit:
                self._fail_too_large()
        return events

    def _extend_pending(self, piece: str) -> None:
        self._pending.append(piece)
        self._pending_size += len(piece)
        if self._pending_size > self._limit:
            self._pending.clear()
            self._fail_too_large()

    def _fail_too_large(self) -> None:
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
