"""Protocol presets: the rules of one protocol on top of SSE, as one keyword.

``connect_sse(client, "POST", url, json=body, protocol=protocols.ANTHROPIC)`` reads an
Anthropic Messages stream to its end: ``message_stop`` is the terminal event, ``ping``
and ``message_start`` are not progress (for ``idle_timeout`` and ``first_event_timeout``),
and an ``overloaded_error`` that arrives before any content is retried when reconnecting.
Keyword options given beside the preset win over it.

A preset is a frozen `Protocol` holding plain functions and no state, so one preset
serves any number of streams at once. Adapt one with `dataclasses.replace`:

```python
import dataclasses

from httpx_sse import protocols

patient = dataclasses.replace(protocols.ANTHROPIC, progress=None)  # every event is progress
```

Each preset's rules come from that API's public streaming reference; where the reference
leaves a choice open, the preset's docstring says what it chose.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any, Callable, Dict, Optional

from ._exceptions import StreamError
from ._models import ServerSentEvent

__all__ = ["ANTHROPIC", "OPENAI_CHAT", "OPENAI_RESPONSES", "Protocol"]

Predicate = Callable[[ServerSentEvent], bool]


@dataclass(frozen=True)
class Protocol:
    """The options a protocol sets: ``until``, ``progress``, ``errors`` and ``cursor``, as
    `connect_sse` takes them (``None``: the preset leaves it unset).

    ```python
    with connect_sse(client, "POST", url, json=body, protocol=protocols.OPENAI_CHAT) as source:
        for sse in source:
            ...
    ```
    """

    name: str
    until: Optional[Predicate] = None
    progress: Optional[Predicate] = None
    errors: Optional[Callable[[ServerSentEvent], Optional[BaseException]]] = None
    cursor: Optional[Callable[[ServerSentEvent], Any]] = None

    def options(self) -> Dict[str, Any]:
        """The options it sets, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "name" and getattr(self, f.name)}


def _payload(sse: ServerSentEvent) -> Dict[str, Any]:
    """The event's data as a JSON object, or ``{}``: no value a server sends may crash the reader."""
    try:
        value = json.loads(sse.data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _message(error: object, fallback: str) -> str:
    if isinstance(error, dict):
        message = error.get("message")
        if isinstance(message, str) and message:
            return message
    return fallback


# -- OpenAI Chat Completions ------------------------------------------------------------

_DONE = "[DONE]"
_CHAT_CARRIES = ("content", "tool_calls", "function_call", "refusal")


def _chat_until(sse: ServerSentEvent) -> bool:
    return sse.data == _DONE


def _chat_progress(sse: ServerSentEvent) -> bool:
    """A chunk that carries something: text, a tool call, a refusal or a finish reason (a
    gateway's empty deltas keep a socket busy without moving the answer)."""
    if sse.data == _DONE:
        return True
    choices = _payload(sse).get("choices")
    if not isinstance(choices, list):
        return False
    for choice in choices:
        if not isinstance(choice, dict):
            continue
        if choice.get("finish_reason"):
            return True
        delta = choice.get("delta")
        if isinstance(delta, dict) and any(
            delta.get(key) for key in ("content", "tool_calls", "function_call", "refusal")
        ):
            return True
    return False


def _chat_errors(sse: ServerSentEvent) -> Optional[StreamError]:
    if sse.data == _DONE:
        return None
    error = _payload(sse).get("error")
    if error is None:
        return None
    return StreamError(_message(error, "the server sent an error"), event=sse, retryable=False)


OPENAI_CHAT = Protocol("openai-chat", until=_chat_until, progress=_chat_progress, errors=_chat_errors)
"""OpenAI Chat Completions (``stream: true``), and the many servers that speak it.

The answer ends at ``data: [DONE]``; an ``{"error": ...}`` object in a chunk is the
stream's failure. The reference does not say that an error in the stream is safe to
retry, so none is retryable here. A chunk with no text, tool call, refusal or finish
reason (an empty delta, a usage-only chunk) is not progress.
"""


# -- OpenAI Responses -------------------------------------------------------------------

_RESPONSES_ENDS = frozenset({"response.completed", "response.failed", "response.incomplete"})
_RESPONSES_WAITING = frozenset({"response.created", "response.queued", "response.in_progress"})


def _responses_until(sse: ServerSentEvent) -> bool:
    return sse.event in _RESPONSES_ENDS


def _responses_progress(sse: ServerSentEvent) -> bool:
    return sse.event not in _RESPONSES_WAITING


def _responses_errors(sse: ServerSentEvent) -> Optional[StreamError]:
    if sse.event == "error":
        payload = _payload(sse)
        return StreamError(_message(payload.get("error", payload), "the server sent an error"), event=sse)
    if sse.event == "response.failed":
        response = _payload(sse).get("response")
        error = response.get("error") if isinstance(response, dict) else None
        return StreamError(_message(error, "the response failed"), event=sse)
    return None


def _sequence_number(sse: ServerSentEvent) -> Optional[int]:
    number = _payload(sse).get("sequence_number")
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
``GET /responses/{id}?stream=true&starting_after={failure.cursor}``, which needs your
client and the response's id, so pass that ``resume=`` yourself (see Long streams).
"""


# -- Anthropic Messages -----------------------------------------------------------------

_ANTHROPIC_RETRYABLE = frozenset({"overloaded_error", "api_error"})
_ANTHROPIC_WAITING = frozenset({"ping", "message_start"})


def _anthropic_until(sse: ServerSentEvent) -> bool:
    return sse.event == "message_stop"


def _anthropic_progress(sse: ServerSentEvent) -> bool:
    return sse.event not in _ANTHROPIC_WAITING


def _anthropic_errors(sse: ServerSentEvent) -> Optional[StreamError]:
    if sse.event != "error":
        return None
    error = _payload(sse).get("error")
    kind = error.get("type") if isinstance(error, dict) else None
    return StreamError(_message(error, "the server sent an error"), event=sse, retryable=kind in _ANTHROPIC_RETRYABLE)


ANTHROPIC = Protocol("anthropic", until=_anthropic_until, progress=_anthropic_progress, errors=_anthropic_errors)
"""Anthropic Messages (``stream: true``).

The answer ends at ``message_stop``. ``event: error`` inside the 200 is the stream's
failure; ``overloaded_error`` and ``api_error`` (the errors Anthropic's own clients
retry) are retryable, so when reconnecting they are retried while no content came.
``ping`` and ``message_start`` are not progress: an overload after ``message_start``
is still "before content".
"""
