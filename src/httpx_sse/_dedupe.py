"""Skipping events a server sends again: a window of the ids a stream already delivered.

A server that ignores ``Last-Event-ID`` starts its stream again from the first event;
with ``dedupe=`` the events whose own block set an id already delivered are skipped.
An event that only inherits the id in effect (its block had no ``id:``) is never
skipped for it: telling the two apart takes the decoder's count of id fields, read
after each line, so a deduplicating stream is fed a line at a time.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Callable, Deque, List, Set

#: How many recent ids ``dedupe=True`` remembers.
DEFAULT_WINDOW = 4096

#: A chunk as pieces that each end one line (CR, LF or CRLF), and what follows the last.
line_pieces: Callable[[bytes], List[bytes]] = re.compile(rb"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+").findall


class RecentIds:
    """The last ``size`` distinct ids delivered; memory stays bounded by ``size``."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._order: Deque[str] = deque()
        self._ids: Set[str] = set()

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        if event_id in self._ids:
            return
        self._ids.add(event_id)
        self._order.append(event_id)
        if len(self._order) > self._size:
            self._ids.discard(self._order.popleft())
