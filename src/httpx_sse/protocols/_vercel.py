"""The Vercel AI SDK's UI message stream (``x-vercel-ai-ui-message-stream: v1``)."""

from __future__ import annotations

from typing import Optional

from .._exceptions import StreamError
from .._models import ServerSentEvent
from ._base import Protocol, event_type, payload, text_of
from ._openai import is_done

#: Parts that open the message or a step: nothing of the answer yet.
_WAITING = frozenset({"start", "start-step"})


def _progress(sse: ServerSentEvent) -> bool:
    return sse.data == "[DONE]" or event_type(sse) not in _WAITING


def _errors(sse: ServerSentEvent) -> Optional[StreamError]:
    if event_type(sse) != "error":
        return None
    text = text_of(payload(sse).get("errorText")) or "the server sent an error part"
    return StreamError(text, event=sse)


VERCEL_UI = Protocol(
    "vercel-ui", until=is_done, progress=_progress, errors=_errors, kind=event_type, no_payload=is_done
)
"""The AI SDK UI message stream protocol (v1), as ``useChat`` reads it.

Each event's data is one part, a JSON object named by its ``type`` (``start``,
``text-delta``, ``tool-input-available``, ``data-*``, ``finish``, ...); the stream ends at
``data: [DONE]``. An ``error`` part is the stream's failure, with its ``errorText`` (a
`StreamError`, not retryable: the protocol does not say the request was not served).
``start`` and ``start-step`` are not progress. An ``abort`` part is delivered as it is,
and the ``[DONE]`` that follows ends the stream. ``iter_parsed`` routes by ``type``.
"""
