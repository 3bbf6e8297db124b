"""What the ``httpx-sse`` command writes: events for a person, for jq or bare, and notices.

Anything a server sent is shown with its control characters escaped, as ``less`` and
``git log`` do, so a stream cannot drive the terminal it is printed on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
from typing import IO, Callable, Iterator

from ._models import ServerSentEvent

PROG = "httpx-sse"

# What a server could use to drive the terminal: C0 and C1 controls (ESC, BEL, CSI,
# OSC...), DEL, line and paragraph separators, and the bidirectional overrides.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\\\\]")
_NAMED = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape(text: str) -> str:
    """Text safe to show on a terminal: control characters written as escapes."""
    return _UNSAFE.sub(_escape_one, text)


class Printer:
    """Formats events for the terminal (``text``), for jq (``jsonl``), or as bare ``data``."""

    def __init__(self, stream: IO[str], mode: str, colour: bool) -> None:
        self.stream = stream
        self.write: Callable[[ServerSentEvent], str] = getattr(self, f"_{mode}")
        self.colour = colour

    def __call__(self, event: ServerSentEvent) -> None:
        self.stream.write(self.write(event) + "\n")
        self.stream.flush()

    def _paint(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def _text(self, event: ServerSentEvent) -> str:
        parts = [self._paint("1;36", escape(event.event))]
        if event.id:
            parts.append(self._paint("2", f"id={escape(event.id)}"))
        if event.retry is not None:
            parts.append(self._paint("2", f"retry={event.retry}"))
        return " ".join(parts) + self._paint("2", ":") + " " + escape(event.data)

    def _jsonl(self, event: ServerSentEvent) -> str:
        return json.dumps({"event": event.event, "data": event.data, "id": event.id, "retry": event.retry})

    def _data(self, event: ServerSentEvent) -> str:
        return event.data


def wants_colour(stream: IO[str]) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def notice(text: str) -> None:
    """One line on stderr, in the command's name, safe for the terminal."""
    sys.stderr.write(f"{PROG}: {escape(text)}\n")
    sys.stderr.flush()


class StderrNotices(logging.Handler):
    """Shows the library's reconnect notices as the command's own lines."""

    def emit(self, record: logging.LogRecord) -> None:
        notice(record.getMessage())


@contextlib.contextmanager
def library_notices(enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    logger = logging.getLogger("httpx_sse")
    handler = StderrNotices()
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
