"""GraphQL over Server-Sent Events, "distinct connections" mode."""

from __future__ import annotations

from typing import Optional

from .._exceptions import StreamError
from .._models import ServerSentEvent
from ._base import Protocol, message_of, payload


def _until(sse: ServerSentEvent) -> bool:
    return sse.event == "complete"


def _errors(sse: ServerSentEvent) -> Optional[StreamError]:
    """A result with ``errors`` and no ``data``: the operation failed before it ran."""
    if sse.event != "next":
        return None
    result = payload(sse)
    errors = result.get("errors")
    if "data" in result or not isinstance(errors, list) or not errors:
        return None
    return StreamError(message_of(errors[0], "the operation failed"), event=sse)


def _no_payload(sse: ServerSentEvent) -> bool:
    return sse.event == "complete"


GRAPHQL_SSE = Protocol("graphql-sse", until=_until, errors=_errors, no_payload=_no_payload, ends_at_close=True)
"""GraphQL over SSE (the graphql-sse protocol), distinct connections mode: one operation
per request.

Each ``next`` event carries an execution result; ``complete`` ends the operation. Its
reference server sends ``event: complete`` with no ``data`` line, which a spec-exact
decoder does not dispatch, so the server closing the response cleanly is the
completion too (not reconnected, not cut short), while a drop is still a failure.
A result with ``errors`` and no ``data`` (a request error: the operation did not run) is
the stream's failure; results with both are delivered, since GraphQL reports partial
errors beside data. ``iter_parsed`` routes by event name (``next``).
"""
