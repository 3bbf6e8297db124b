"""Google's Gemini API: ``streamGenerateContent?alt=sse``."""

from __future__ import annotations

from typing import Any, Optional

from .._exceptions import StreamError
from .._models import ServerSentEvent
from ._base import Protocol, field, message_of, payload

#: google.rpc status names (and their HTTP codes) that Google's own clients retry.
_RETRYABLE: frozenset[object] = frozenset(
    {"UNAVAILABLE", "RESOURCE_EXHAUSTED", "INTERNAL", "DEADLINE_EXCEEDED", 408, 429, 500, 502, 503, 504}
)


def _candidates(sse: ServerSentEvent) -> list[Any]:
    candidates = payload(sse).get("candidates")
    return [c for c in candidates if isinstance(c, dict)] if isinstance(candidates, list) else []


def _until(sse: ServerSentEvent) -> bool:
    """Every candidate of the chunk finished, or the prompt was blocked."""
    if field(payload(sse), "promptFeedback", "blockReason"):
        return True
    candidates = _candidates(sse)
    return bool(candidates) and all(c.get("finishReason") for c in candidates)


def _progress(sse: ServerSentEvent) -> bool:
    """A chunk with a part (text, a function call, ...) or a finish: a usage-only chunk is not."""
    for candidate in _candidates(sse):
        if candidate.get("finishReason"):
            return True
        parts = field(candidate, "content", "parts")
        if isinstance(parts, list) and parts:
            return True
    return bool(field(payload(sse), "promptFeedback", "blockReason"))


def _errors(sse: ServerSentEvent) -> Optional[StreamError]:
    error = payload(sse).get("error")
    if not isinstance(error, dict):
        return None
    codes = [value for value in (error.get("status"), error.get("code")) if isinstance(value, (str, int))]
    retryable = any(code in _RETRYABLE for code in codes if not isinstance(code, bool))
    return StreamError(message_of(error, "the server sent an error"), event=sse, retryable=retryable)


GEMINI = Protocol("gemini", until=_until, progress=_progress, errors=_errors)
"""Gemini (``models/{model}:streamGenerateContent?alt=sse``).

Each event is a whole ``GenerateContentResponse`` with no event name and no end marker:
the preset takes the chunk in which every candidate has a ``finishReason`` (the
reference's last chunk, which also carries ``usageMetadata``), or a prompt blocked by
``promptFeedback.blockReason``, as the end, so a stream that closes before it is cut
short. A chunk with no part and no finish (usage alone) is not progress. An
``{"error": {...}}`` object in the data is the stream's failure; ``UNAVAILABLE``,
``RESOURCE_EXHAUSTED``, ``INTERNAL`` and ``DEADLINE_EXCEEDED`` (the codes Google's
clients retry) are retryable before content.
"""
