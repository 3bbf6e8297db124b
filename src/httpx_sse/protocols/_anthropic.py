"""Anthropic's Messages API."""

from __future__ import annotations

from typing import Optional

from .._exceptions import StreamError
from .._models import ServerSentEvent
from ._base import Protocol, field, message_of, payload

_RETRYABLE = frozenset({"overloaded_error", "api_error"})
_WAITING = frozenset({"ping", "message_start"})


def _until(sse: ServerSentEvent) -> bool:
    return sse.event == "message_stop"


def _progress(sse: ServerSentEvent) -> bool:
    return sse.event not in _WAITING


def _errors(sse: ServerSentEvent) -> Optional[StreamError]:
    if sse.event != "error":
        return None
    error = payload(sse).get("error")
    kind = field(error, "type")
    retryable = isinstance(kind, str) and kind in _RETRYABLE
    return StreamError(message_of(error, "the server sent an error"), event=sse, retryable=retryable)


ANTHROPIC = Protocol("anthropic", until=_until, progress=_progress, errors=_errors)
"""Anthropic Messages (``stream: true``).

The answer ends at ``message_stop``. ``event: error`` inside the 200 is the stream's
failure; ``overloaded_error`` and ``api_error`` (the errors Anthropic's own clients
retry) are retryable, so when reconnecting they are retried while no content came.
``ping`` and ``message_start`` are not progress: an overload after ``message_start``
is still "before content". Each event's name is its payload's ``type``.
"""
