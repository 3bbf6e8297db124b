"""The package's exceptions, and the messages they carry.

Exception tree (httpx's own on the left)::

    httpx.HTTPError
    └── httpx.TransportError
        └── SSEError            the response is not an event stream,
            │                   an event exceeded max_event_size,
            │                   the stream was cut short before until=,
            │                   a POST would be sent again,
            │                   or reconnection gave up
            ├── StreamStalled   no progress event for idle_timeout or
            │                   first_event_timeout (also an httpx.ReadTimeout)
            ├── ResumeExpired   a resume request answered 404, 409 or 410
            └── StreamError     an error the server sent inside the stream (errors=)

Network failures are not wrapped: they surface as httpx's own exceptions
(httpx.ReadError, httpx.ReadTimeout, ...) when not reconnecting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import httpx

if TYPE_CHECKING:
    from ._models import ServerSentEvent


class SSEError(httpx.TransportError):
    """Something about a stream that a Server-Sent Events client cannot go on with.

    ``response`` is the `httpx.Response` it concerns, or ``None``; ``request`` is the
    request it concerns, as on httpx's own errors (the readers attach it; the decoder
    works on bytes alone, so its errors carry neither until a reader passes them on).

    ```python
    try:
        with connect_sse(client, "GET", url) as source:
            for sse in source:
                print(sse.data)
    except SSEError as error:
        print(error.response.status_code if error.response else error)
    ```
    """

    def __init__(
        self,
        message: str,
        *,
        request: Optional[httpx.Request] = None,
        response: Optional[httpx.Response] = None,
    ) -> None:
        if request is None and response is not None:
            request = request_of(response)
        super().__init__(message, request=request)
        self.response = response


class StreamStalled(SSEError, httpx.ReadTimeout):
    """The stream is open but not moving: no progress event for ``timeout`` seconds.

    ``kind`` is ``"first_event"`` (none since the request was sent: ``first_event_timeout``)
    or ``"idle"`` (none since the last one: ``idle_timeout``). Comments never count, nor
    events that ``progress=`` says are not progress. When reconnecting it is the
    failure's ``error`` and is retried like a drop; otherwise it is raised. It is also
    an `httpx.ReadTimeout`, which is what it is.

    ```python
    try:
        with connect_sse(client, "POST", url, json=body, first_event_timeout=30) as source:
            for sse in source:
                print(sse.data)
    except StreamStalled as stall:
        print(f"no answer: {stall.kind} after {stall.timeout}s")
    ```
    """

    def __init__(
        self,
        message: str,
        *,
        timeout: float,
        kind: str,
        request: Optional[httpx.Request] = None,
        response: Optional[httpx.Response] = None,
    ) -> None:
        super().__init__(message, request=request, response=response)
        self.timeout = timeout
        self.kind = kind


class ResumeExpired(SSEError):
    """A ``resume=`` request was answered 404, 409 or 410: the server no longer holds the
    stream. Raised at once, never retried: fetch the result afresh.

    ```python
    try:
        with connect_sse(client, "GET", url, reconnect=True, resume=resume) as source:
            for sse in source:
                print(sse.data)
    except ResumeExpired as expired:
        print("gone:", expired.response.status_code)
    ```
    """


class StreamError(SSEError):
    """An error the server sent inside a stream that had answered 200, as ``errors=``
    recognises it: ``event`` is the event that carried it.

    ``retryable=True`` says the server did not serve the request (an overload, say): when
    reconnecting it is sent again, but only while no progress event from that request
    has reached the caller; after that, or when not reconnecting, it is raised.

    ```python
    def errors(sse: ServerSentEvent) -> StreamError | None:
        if sse.event == "error":
            kind = sse.json()["error"]["type"]
            return StreamError(kind, event=sse, retryable=kind == "overloaded_error")
        return None
    ```
    """

    def __init__(
        self,
        message: str,
        *,
        event: Optional[ServerSentEvent] = None,
        retryable: bool = False,
        request: Optional[httpx.Request] = None,
        response: Optional[httpx.Response] = None,
    ) -> None:
        super().__init__(message, request=request, response=response)
        self.event = event
        self.retryable = retryable


BODY_PREVIEW_BYTES = 200


def request_of(response: httpx.Response) -> Optional[httpx.Request]:
    """The request a response answers, or ``None`` for one built by hand (as unit tests do)."""
    try:
        return response.request
    except RuntimeError:  # httpx's way of saying no request was set
        return None


def request_of_error(error: BaseException) -> Optional[httpx.Request]:
    """The request an error concerns, or ``None`` where httpx (or whoever raised it) set none."""
    try:
        return error.request  # type: ignore[attr-defined,no-any-return]
    except (AttributeError, RuntimeError):  # RuntimeError: httpx's way of saying none was set
        return None


def describe_bad_response(response: httpx.Response, body_start: bytes) -> str:
    """Say why ``response`` is not an event stream, in terms a user can act on."""
    content_type = response.headers.get("content-type")
    received = repr(content_type) if content_type is not None else "no Content-Type"
    reason = f" {response.reason_phrase}" if response.reason_phrase else ""
    status = response.status_code
    if 200 <= status < 300:
        problem = f"expected Content-Type 'text/event-stream', got {received}"
    elif content_type is None:
        problem = "not an event stream (no Content-Type)"
    else:
        problem = f"not an event stream (Content-Type {received})"
    location = response.headers.get("location")
    if 300 <= status < 400 and location is not None:
        problem += f"; it redirects to {location!r}, which follow_redirects=True follows"
    request = request_of(response)
    source = "" if request is None else f" from {request.url}"
    message = f"HTTP {status}{reason}{source}: {problem}"
    if body_start:
        preview = body_start[:BODY_PREVIEW_BYTES].decode("utf-8", "replace")
        ellipsis = "..." if len(body_start) > BODY_PREVIEW_BYTES else ""
        message += f"; body starts: {preview!r}{ellipsis}"
    else:
        message += "; empty body"
    return message
