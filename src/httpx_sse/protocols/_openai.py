"""OpenAI's two streaming APIs: Chat Completions and Responses."""

from __future__ import annotations

from typing import Optional

from .._exceptions import StreamError
from .._models import ServerSentEvent
from ._base import Protocol, field, message_of, payload

# -- Chat Completions -------------------------------------------------------------------

DONE = "[DONE]"
_CARRIES = ("content", "tool_calls", "function_call", "refusal")


def is_done(sse: ServerSentEvent) -> bool:
    return sse.data == DONE


def _chat_progress(sse: ServerSentEvent) -> bool:
    """A chunk that carries something: text, a tool call, a refusal or a finish reason (a
    gateway's empty deltas keep a socket busy without moving the answer)."""
    if sse.data == DONE:
        return True
    choices = payload(sse).get("choices")
    if not isinstance(choices, list):
        return False
    for choice in choices:
        if not isinstance(choice, dict):
            continue
        if choice.get("finish_reason"):
            return True
        delta = choice.get("delta")
        if isinstance(delta, dict) and any(delta.get(key) for key in _CARRIES):
            return True
    return False


def error_in_data(sse: ServerSentEvent) -> Optional[StreamError]:
    """An ``{"error": {...}}`` object as the event's data: not retryable."""
    if sse.data == DONE:
        return None
    error = payload(sse).get("error")
    if error is None:
        return None
    return StreamError(message_of(error, "the server sent an error"), event=sse, retryable=False)


OPENAI_CHAT = Protocol("openai-chat", until=is_done, progress=_chat_progress, errors=error_in_data, no_payload=is_done)
"""OpenAI Chat Completions (``stream: true``), and the many servers that speak it.

The answer ends at ``data: [DONE]``; an ``{"error": ...}`` object in a chunk is the
stream's failure. The reference does not say that an error in the stream is safe to
retry, so none is retryable here. A chunk with no text, tool call, refusal or finish
reason (an empty delta, a usage-only chunk) is not progress. Chunks have no event name:
`EventSource.iter_parsed` takes one type for them all.
"""


# -- Responses --------------------------------------------------------------------------

_RESPONSES_ENDS = frozenset({"response.completed", "response.failed", "response.incomplete"})
_RESPONSES_WAITING = frozenset({"response.created", "response.queued", "response.in_progress"})


def _responses_until(sse: ServerSentEvent) -> bool:
    return sse.event in _RESPONSES_ENDS


def _responses_progress(sse: ServerSentEvent) -> bool:
    return sse.event not in _RESPONSES_WAITING


def _responses_errors(sse: ServerSentEvent) -> Optional[StreamError]:
    if sse.event == "error":
        data = payload(sse)
        return StreamError(message_of(data.get("error", data), "the server sent an error"), event=sse)
    if sse.event == "response.failed":
        return StreamError(message_of(field(payload(sse), "response", "error"), "the response failed"), event=sse)
    return None


def _sequence_number(sse: ServerSentEvent) -> Optional[int]:
    number = payload(sse).get("sequence_number")
    return number if isinstance(number, int) and not isinstance(number, bool) else None


OPENAI_RESPONSES = Protocol(
    "openai-responses",
    until=_responses_until,
    progress=_responses_progress,
    errors=_responses_errors,
    cursor=_sequence_number,
)
"""OpenAI Responses (``stream: true``).

It ends at ``response.completed`` or ``response.incomplete`` (delivered), or fails at
``response.failed`` or ``error`` (a `StreamError`, not retryable). ``response.created``,
``response.queued`` and ``response.in_progress`` are not progress. The cursor is each
event's ``sequence_number``: a background response resumes with
``GET /responses/{id}?stream=true&starting_after={failure.cursor}``, which needs the
response's id, so pass that ``resume=`` yourself (see Long streams). Each event's name is
its payload's ``type``.
"""
