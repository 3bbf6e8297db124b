"""Deciding whether an HTTP response is an event stream, and what to do when it is not.

Pure functions on `httpx.Response` headers and status, shared by the readers, the
transports and the reconnecting loops; the only reads are the small body previews.
"""

from __future__ import annotations

import enum
from typing import AsyncIterator, Iterator

import httpx

from ._exceptions import BODY_PREVIEW_BYTES

REQUEST_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}


class Verdict(enum.Enum):
    STREAM = "an event stream"
    NO_CONTENT = "204 No Content: the server says there is nothing more to read"
    RETRYABLE = "a status worth retrying (5xx or 429)"
    REFUSED = "not an event stream"


def is_event_stream_type(content_type: str) -> bool:
    """True when one of the comma-separated media types is text/event-stream."""
    for media_type in content_type.split(","):
        if media_type.split(";", 1)[0].strip().lower() == "text/event-stream":
            return True
    return False


def classify(response: httpx.Response) -> Verdict:
    status = response.status_code
    if status == 204:
        return Verdict.NO_CONTENT
    if 200 <= status < 300 and is_event_stream_type(response.headers.get("content-type", "")):
        return Verdict.STREAM
    if status >= 500 or status == 429:
        return Verdict.RETRYABLE
    return Verdict.REFUSED


def add_request_headers(headers: httpx.Headers, *, accept_wildcard_is_unset: bool = False) -> None:
    """Ask for an event stream, keeping any Accept or Cache-Control the caller chose."""
    for name, value in REQUEST_HEADERS.items():
        current = headers.get(name)
        if current is None or (accept_wildcard_is_unset and name == "Accept" and current == "*/*"):
            headers[name] = value


def read_body_start(chunks: Iterator[bytes]) -> bytes:
    """Read enough of a refused response's body to quote it in the error."""
    start = b""
    try:
        for chunk in chunks:
            start += chunk
            if len(start) > BODY_PREVIEW_BYTES:
                break
    except Exception:
        pass  # the error about the status and type is worth more than this one
    return start


async def aread_body_start(chunks: AsyncIterator[bytes]) -> bytes:
    """The async twin of `read_body_start`."""
    start = b""
    try:
        async for chunk in chunks:
            start += chunk
            if len(start) > BODY_PREVIEW_BYTES:
                break
    except Exception:
        pass
    return start
