"""The Model Context Protocol's Streamable HTTP transport: JSON-RPC messages as events."""

from __future__ import annotations

from typing import Any, Optional

import httpx

from .._exceptions import SSEError, StreamError
from .._lifecycle import StreamFailure
from .._models import ServerSentEvent
from ._base import Protocol, field, json_of, message_of, rebuilt, text_of

#: The first revision without resumption: no Last-Event-ID, no stream to GET.
_STATELESS_REVISION = "2026-07-28"


def _messages(sse: ServerSentEvent) -> list[dict[str, Any]]:
    """The JSON-RPC messages an event carries (one, or a batch of the 2025-03-26 revision)."""
    value = json_of(sse)
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def _is_response(message: dict[str, Any]) -> bool:
    return "method" not in message and "id" in message and ("result" in message or "error" in message)


def _until(sse: ServerSentEvent) -> bool:
    """The response to the request: the server sends it last, then may close the stream."""
    return any(_is_response(message) for message in _messages(sse))


def _progress(sse: ServerSentEvent) -> bool:
    """Anything but a ``ping`` request or an event with no message (a priming event for resuming)."""
    messages = _messages(sse)
    return bool(messages) and not all(message.get("method") == "ping" for message in messages)


def _errors(sse: ServerSentEvent) -> Optional[StreamError]:
    for message in _messages(sse):
        if _is_response(message) and "error" in message:
            error = message["error"]
            code = field(error, "code")
            text = message_of(error, "the server answered with a JSON-RPC error")
            return StreamError(f"{text} (JSON-RPC error {code})" if code is not None else text, event=sse)
    return None


def _resume(failure: StreamFailure) -> Optional[httpx.Request]:
    """A GET with ``Last-Event-ID`` to the same endpoint: never the JSON-RPC POST again."""
    request = failure.request
    if request is None:
        return None
    if request.method == "GET":  # the GET stream, or a resumed one: the same GET, from the new id
        return rebuilt(request, "GET", request.url)
    revision = text_of(request.headers.get("mcp-protocol-version")) or ""
    if revision >= _STATELESS_REVISION:
        raise SSEError(
            f"the MCP stream was cut before its response ({failure.reason}), and MCP {revision} has no "
            "resumption: the JSON-RPC request is not sent again (it may have run); send it anew if it is safe"
        )
    if not failure.last_event_id:
        raise SSEError(
            f"the MCP stream was cut before its response ({failure.reason}) and the server gave no event id "
            "to resume from: the JSON-RPC request is not sent again (it may have run)"
        )
    resumed = rebuilt(request, "GET", request.url)
    resumed.headers["Accept"] = "text/event-stream"
    return resumed


def _kind(sse: ServerSentEvent) -> Optional[str]:
    messages = _messages(sse)
    if not messages:
        return None
    first = messages[0]
    return "response" if _is_response(first) else text_of(first.get("method"))


def _empty(sse: ServerSentEvent) -> bool:
    return not sse.data


MCP = Protocol(
    "mcp",
    until=_until,
    progress=_progress,
    errors=_errors,
    resume=_resume,
    kind=_kind,
    no_payload=_empty,
)
"""MCP Streamable HTTP (revisions 2025-03-26 to 2026-07-28): the SSE response to a
JSON-RPC ``POST``, or the ``GET`` stream of server messages.

Each event's data is a JSON-RPC message. The stream of a ``POST`` ends at the response
to its request (a message with ``result`` or ``error`` and no ``method``); a JSON-RPC
error response is the stream's failure (a `StreamError`, not retryable). Keep-alive
comments, ``ping`` requests and events with no data (the priming event of 2025-11-25,
which only sets an id and a ``retry``) are not progress.

Resuming (with ``reconnect=True``): a JSON-RPC ``POST`` is never sent again. When the
server gave event ids (2025-03-26 to 2025-11-25, resumable servers), the stream resumes
with a ``GET`` to the same endpoint carrying ``Last-Event-ID`` and the request's headers
(``Mcp-Session-Id``, ``MCP-Protocol-Version``, authorization), as the transport's
"Resumability and Redelivery" says, also when a 2025-11-25 server closes the stream
before the response on purpose (polling). Without an id, or under
``MCP-Protocol-Version: 2026-07-28`` (which removed resumption), a cut stream raises
`SSEError` saying why. For a JSON-RPC batch (2025-03-26), any response in it ends the
stream. ``iter_parsed`` routes by ``method`` (``"response"`` for a response).
"""
