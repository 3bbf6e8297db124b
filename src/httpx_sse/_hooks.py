"""The caller's lifecycle options, and how each loop calls a hook."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Optional

import httpx

from ._lifecycle import StreamFailure
from ._models import ServerSentEvent


@dataclass(frozen=True)
class Hooks:
    """``connect_sse``'s lifecycle options; each ``None`` when unused."""

    on_open: Optional[Callable[[httpx.Response], Any]] = None
    on_error: Optional[Callable[[StreamFailure], Any]] = None
    on_comment: Optional[Callable[[str], Any]] = None
    until: Optional[Callable[[ServerSentEvent], object]] = None
    idle_timeout: Optional[float] = None

    def __post_init__(self) -> None:
        if self.idle_timeout is not None and not self.idle_timeout > 0:
            raise ValueError(f"idle_timeout must be a positive number of seconds, not {self.idle_timeout!r}")

    @property
    def item_by_item(self) -> bool:
        """Whether a stream is read item by item: for comments, the idle timer, or a terminal event."""
        return self.on_comment is not None or self.idle_timeout is not None or self.until is not None


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
