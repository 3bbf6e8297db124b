"""What a stream has done so far, counted as it is read, and the snapshot users see."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

__all__ = ["StreamStats", "Tally"]


@dataclass(frozen=True)
class StreamStats:
    """A snapshot of one `EventSource` (``source.stats``).

    ``connections``: responses that opened as event streams; ``reconnects``; ``events``
    handed to the caller; ``comments`` (heartbeats included); ``bytes`` of body read;
    ``time_to_first_event``: seconds from the first request to the first event, or
    ``None``; ``longest_gap``: the longest wait (seconds) between two progress events,
    reconnects included; ``end``: why it stopped: ``"terminal"`` (the ``until`` event),
    ``"no_content"`` (a 204), ``"closed"`` (closed, or a stream that ended when not
    reconnecting), ``"error"``, or ``None`` while it may go on.

    ```python
    with connect_sse(client, "GET", url, reconnect=True) as source:
        for sse in source:
            pass
        print(source.stats.events, source.stats.reconnects, source.stats.time_to_first_event)
    ```
    """

    connections: int = 0
    reconnects: int = 0
    events: int = 0
    comments: int = 0
    bytes: int = 0
    time_to_first_event: Optional[float] = None
    longest_gap: float = 0.0
    end: Optional[str] = None


class Tally:
    """The running counts a stream keeps: cheap to update, once per chunk or per event."""

    __slots__ = ("end", "first_event_at", "first_sent_at", "longest_gap", "progress_at")

    def __init__(self) -> None:
        self.first_sent_at: Optional[float] = None
        self.first_event_at: Optional[float] = None
        # When the last progress event came; before the first, minus infinity, so that the
        # first one takes the one test the fast path makes per chunk (see gap_until).
        self.progress_at = -math.inf
        self.longest_gap = 0.0
        self.end: Optional[str] = None

    def progressed(self, now: float) -> None:
        """A progress event arrived."""
        if now - self.progress_at > self.longest_gap:
            self.gap_until(now)
        self.progress_at = now

    def gap_until(self, now: float) -> None:
        """A progress event at ``now`` ends the longest gap so far, or is the first event."""
        if self.first_event_at is None:
            self.first_event_at = now
        else:
            self.longest_gap = now - self.progress_at

    def ended(self, why: str) -> None:
        if self.end is None:
            self.end = why

    def snapshot(self, connections: int, reconnects: int, *, events: int, comments: int, size: int) -> StreamStats:
        """The stats, with the counts others keep (the decoder's, the lifecycle's)."""
        first_event = None
        if self.first_event_at is not None and self.first_sent_at is not None:
            first_event = self.first_event_at - self.first_sent_at
        return StreamStats(
            connections=connections,
            reconnects=reconnects,
            events=events,
            comments=comments,
            bytes=size,
            time_to_first_event=first_event,
            longest_gap=self.longest_gap,
            end=self.end,
        )
