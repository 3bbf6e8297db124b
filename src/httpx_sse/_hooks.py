"""The caller's lifecycle and protocol options, and how each loop calls a hook."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Optional

import httpx

from ._dedupe import DEFAULT_WINDOW
from ._lifecycle import StreamFailure
from ._models import ServerSentEvent


@dataclass(frozen=True)
class Hooks:
    """``connect_sse``'s lifecycle and protocol options; each ``None`` when unused.

    ``dedupe`` is the size of the window of recent ids (``dedupe=True``: the default size).
    """

    on_open: Optional[Callable[[httpx.Response], Any]] = None
    on_error: Optional[Callable[[StreamFailure], Any]] = None
    on_comment: Optional[Callable[[str], Any]] = None
    until: Optional[Callable[[ServerSentEvent], object]] = None
    idle_timeout: Optional[float] = None
    progress: Optional[Callable[[ServerSentEvent], object]] = None
    first_event_timeout: Optional[float] = None
    resume: Optional[Callable[[StreamFailure], Any]] = None
    cursor: Optional[Callable[[ServerSentEvent], Any]] = None
    errors: Optional[Callable[[ServerSentEvent], Optional[BaseException]]] = None
    dedupe: Optional[int] = None
    #: A clean end of the response is the stream's completion (a preset's rule, not a keyword).
    ends_at_close: bool = False

    def __post_init__(self) -> None:
        for name in ("idle_timeout", "first_event_timeout"):
            value = getattr(self, name)
            if value is not None and (not _is_number(value) or not value > 0 or value != value):
                raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
        for name in ("on_open", "on_error", "on_comment", "until", "progress", "resume", "cursor", "errors"):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise TypeError(f"{name} takes a function, not {value!r}")

    @property
    def item_by_item(self) -> bool:
        """Whether a stream is read item by item: for any option that looks at each event or comment."""
        return (
            self.on_comment is not None
            or self.idle_timeout is not None
            or self.first_event_timeout is not None
            or self.until is not None
            or self.progress is not None
            or self.cursor is not None
            or self.errors is not None
            or self.dedupe is not None
        )


def dedupe_window(dedupe: object) -> Optional[int]:
    """``dedupe=`` as a window size: ``True`` the default one, a positive int that many ids."""
    if dedupe is None or dedupe is False:
        return None
    if dedupe is True:
        return DEFAULT_WINDOW
    if isinstance(dedupe, int) and dedupe > 0:
        return dedupe
    raise ValueError(f"dedupe takes True, False or a number of recent ids to remember, not {dedupe!r}")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def call_sync(hook: Callable[[Any], Any], argument: object) -> Any:
    """Call a hook under ``connect_sse``: a sync function."""
    result = hook(argument)
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()
        raise TypeError(f"{hook!r} returned an awaitable: async hooks need aconnect_sse")
    return result


async def call_async(hook: Callable[[Any], Any], argument: object) -> Any:
    """Call a hook under ``aconnect_sse``: sync or async, awaited when it returns an awaitable."""
    result = hook(argument)
    if inspect.isawaitable(result):
        result = await result
    return result


def caused_by(error: BaseException, failure: StreamFailure) -> BaseException:
    """An ``on_error`` hook's exception, chained from the failure it was called for."""
    if error.__cause__ is None and error is not failure.error:
        error.__cause__ = failure.error
    return error
