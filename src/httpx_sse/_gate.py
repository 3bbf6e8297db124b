"""What each event meets between the decoder and the caller, when an option looks at it.

``errors=`` may turn it into the stream's failure, ``dedupe=`` may skip it, ``cursor=``
reads the position from it, ``progress=`` says whether it moves the answer on. The
loops read a stream through `EventGate` only when one of those (or a comment hook, a
timer, a terminal event) is in play; otherwise chunks go straight to the decoder.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, List, Optional, Union

from ._decoder import SSEDecoder
from ._dedupe import RecentIds, line_pieces
from ._exceptions import SSEError
from ._hooks import Hooks
from ._models import ServerSentEvent, SSEComment

Item = Union[ServerSentEvent, SSEComment]


def ask(predicate: Callable[[ServerSentEvent], object], event: ServerSentEvent, option: str) -> bool:
    """A per-event predicate's answer (``progress=``, ``until=``), refused when it is async."""
    answer = predicate(event)
    if answer is True or answer is False:  # the usual answer, without the awaitable test
        return answer
    return bool(plain(answer, option))


def plain(result: Any, option: str) -> Any:
    """What an option's function returned, refused when it is an awaitable: these are
    called for each event, in the loop's own step, so they are plain functions."""
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()
        raise TypeError(f"{option}= is called for each event and must be a plain function, not an async one")
    return result


class InBand(Exception):
    """Carries what ``errors=`` returned for an event out of the reading loop."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


class EventGate:
    def __init__(self, decoder: SSEDecoder, hooks: Hooks) -> None:
        self._decoder = decoder
        self._hooks = hooks
        self._comments = hooks.on_comment is not None
        self._recent = None if hooks.dedupe is None else RecentIds(hooks.dedupe)
        self._ids_mark = 0  # the decoder's id-field count at the last event (or connection start)
        self._held: Optional[SSEError] = None  # an error found after events of the same chunk
        #: What ``cursor=`` last extracted (``None``: nothing yet).
        self.cursor: Optional[str] = None
        self.delivered = 0  # events handed out through the gate
        self.progressed = False  # a progress event of this connection was handed out

    def connection_started(self) -> None:
        self._ids_mark = self._decoder.ids_seen
        self.progressed = False

    # -- from bytes to items ------------------------------------------------------------

    def decode(self, chunk: bytes) -> List[Item]:
        decoder = self._decoder
        if self._recent is None:
            if self._comments:
                return decoder.feed_with_comments(chunk)
            events: List[Any] = decoder.feed(chunk)  # a new list each call: no copy needed
            return events
        self.raise_held()
        items: List[Item] = []
        feed = decoder.feed_with_comments if self._comments else decoder.feed
        recent = self._recent
        # A line at a time, so that each event comes out alone and the id-field count
        # says whether its own block (or an id-only block since the last event) set its id.
        for piece in line_pieces(chunk):
            try:
                decoded = feed(piece)
            except SSEError as error:
                if not items:
                    raise
                self._held = error  # the events before it go out first, as the decoder does
                break
            for item in decoded:
                if type(item) is ServerSentEvent:
                    own_id = decoder.ids_seen != self._ids_mark
                    self._ids_mark = decoder.ids_seen
                    if own_id and item.id in recent:
                        continue  # sent again: the server started over
                    if item.id:
                        recent.add(item.id)
                items.append(item)
        return items

    def raise_held(self) -> None:
        """An error found after events of the same chunk: raised once they went out."""
        if self._held is not None:
            error, self._held = self._held, None
            raise error

    # -- each event, as it is handed out ------------------------------------------------

    def is_progress(self, event: ServerSentEvent) -> bool:
        progress = self._hooks.progress
        return progress is None or ask(progress, event, "progress")

    def admit(self, event: ServerSentEvent) -> None:
        """Before ``event`` goes to the caller: raise `InBand` when it is an error, note its cursor."""
        hooks = self._hooks
        if hooks.errors is not None:
            error = hooks.errors(event)
            if error is not None:
                plain(error, "errors")
                if not isinstance(error, BaseException):
                    raise TypeError(f"errors= must return an exception or None, not {error!r}")
                if getattr(error, "event", False) is None:
                    error.event = event  # type: ignore[attr-defined]  # a StreamError made without it
                raise InBand(error)
        if hooks.cursor is not None:
            position = plain(hooks.cursor(event), "cursor")
            if position is not None:
                self.cursor = position if isinstance(position, str) else str(position)
        self.delivered += 1
        if not self.progressed and self.is_progress(event):
            self.progressed = True
