"""The event type that every reader in the package hands out."""

from __future__ import annotations

import json
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Optional

_new_tuple = tuple.__new__


class ServerSentEvent(tuple):  # type: ignore[type-arg]
    """One dispatched server-sent event.

    Immutable and hashable, compared by value. ``id`` is the last event ID in effect
    when the event was dispatched (like the browser's ``MessageEvent.lastEventId``);
    ``retry`` is the reconnection time in milliseconds carried by this event's block,
    else ``None``.

    ```python
    sse = ServerSentEvent(data='{"n": 1}', id="7")
    sse.json()
    # {'n': 1}
    ```
    """

    # A tuple subclass: building one is a single C call, which matters at a million
    # events per second. Equality is restricted to other events (see __eq__).
    __slots__ = ()

    def __new__(
        cls,
        event: Optional[str] = None,
        data: Optional[str] = None,
        id: Optional[str] = None,
        retry: Optional[int] = None,
    ) -> ServerSentEvent:
        # httpx-sse 0.4's defaults: None (or an empty type) stands for the spec's default.
        return _new_tuple(cls, (event or "message", data or "", id or "", retry))

    if TYPE_CHECKING:

        @property
        def event(self) -> str:
            """The event type: the block's ``event`` field, or ``"message"``."""

        @property
        def data(self) -> str:
            """The event's data: its ``data`` lines joined with ``"\\n"``."""

        @property
        def id(self) -> str:
            """The last event ID in effect when this event was dispatched."""

        @property
        def retry(self) -> Optional[int]:
            """The reconnection time (ms) this event's block carried, else ``None``."""

    else:
        # Getters in C: reading sse.data costs what reading an attribute does.
        event = property(itemgetter(0), doc='The event type: the block\'s ``event`` field, or ``"message"``.')
        data = property(itemgetter(1), doc='The event\'s data: its ``data`` lines joined with ``"\\n"``.')
        id = property(itemgetter(2), doc="The last event ID in effect when this event was dispatched.")
        retry = property(itemgetter(3), doc="The reconnection time (ms) this event's block carried, else ``None``.")

    def json(self) -> Any:
        """Parse ``data`` as JSON."""
        return json.loads(self[1])

    def __eq__(self, other: object) -> bool:
        # Unlike a plain tuple, an event is never equal to a tuple of the same values
        # (NotImplemented would let tuple's own comparison answer for the other side).
        # Events of subclasses compare by value too: a == a whatever the class.
        if not isinstance(other, ServerSentEvent):
            return False if isinstance(other, tuple) else NotImplemented
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return True if isinstance(other, tuple) else NotImplemented
        return tuple.__ne__(self, other)

    __hash__ = tuple.__hash__

    def __repr__(self) -> str:
        parts = [f"event={self[0]!r}"]
        if self[1]:
            parts.append(f"data={self[1]!r}")
        if self[2]:
            parts.append(f"id={self[2]!r}")
        if self[3] is not None:
            parts.append(f"retry={self[3]!r}")
        return f"ServerSentEvent({', '.join(parts)})"

    def __getnewargs__(self) -> tuple[str, str, str, Optional[int]]:
        return (self[0], self[1], self[2], self[3])


class SSEComment(str):
    """A comment line's text (after the ``:`` and one optional space), such as a heartbeat.

    Handed out in order with the events by `SSEDecoder.feed_with_comments` and passed to
    an ``on_comment`` hook: ``: ping`` gives ``SSEComment("ping")``.

    ```python
    SSEDecoder().feed_with_comments(b": ping\\n\\ndata: a\\n\\n")
    # [SSEComment('ping'), ServerSentEvent(event='message', data='a')]
    ```
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"SSEComment({str.__repr__(self)})"
