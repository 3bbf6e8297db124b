"""The request of a stream, built afresh for each connection from the caller's arguments.

Building it anew (rather than replaying one request object) lets the client's cookies,
auth and event hooks apply to every attempt, as they do in a browser.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, Optional, Union

import httpx

from ._decoder import check_last_event_id
from ._response import add_request_headers

logger = logging.getLogger("httpx_sse")

_SEND_OPTIONS = ("auth", "follow_redirects")
# What HTTP cannot carry in a header value once surrounding spaces are gone: control
# characters other than tab (an SSE id never holds CR, LF or NUL).
_UNSENDABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f]")

Client = Any  # an httpx or httpx2 Client or AsyncClient


def check_caller_last_event_id(last_event_id: object) -> str:
    """A ``last_event_id`` the caller chose: a str HTTP can carry, or `ValueError` saying why not.

    A server's id that HTTP cannot carry is left out (see `last_event_id_header`); the
    caller's own is refused before anything is sent, since sending none would start the
    stream afresh without a word.
    """
    text = check_last_event_id(last_event_id)
    if _UNSENDABLE.search(text.strip(" \t")):
        raise ValueError(
            f"last_event_id {text!r} holds control characters (CR, LF, NUL, ...) that an HTTP header cannot carry"
        )
    return text


def last_event_id_header(last_event_id: str) -> Optional[bytes]:
    """The ``Last-Event-ID`` value for an id: its UTF-8 bytes, as browsers send it.

    Surrounding spaces and tabs are dropped, as Fetch normalizes header values. An id
    that still holds a control character cannot be sent at all: it is left out (the
    server then starts afresh) and a warning says so.
    """
    value = last_event_id.strip(" \t")
    if not value:
        return None
    if _UNSENDABLE.search(value):
        logger.warning("not sending Last-Event-ID %r: HTTP cannot carry its control characters", last_event_id)
        return None
    return value.encode("utf-8")


class RequestPlan:
    """How to build each attempt's request: method, URL, headers, body and options."""

    def __init__(self, client: Client, method: str, url: Union[httpx.URL, str], options: Dict[str, Any]) -> None:
        self.client = client
        self.method = method
        self.send_options = {name: options.pop(name) for name in _SEND_OPTIONS if name in options}
        headers = httpx.Headers(options.pop("headers", None))
        add_request_headers(headers)
        # The caller's own Last-Event-ID is where the stream starts; ours replaces it.
        self.initial_last_event_id = headers.get("Last-Event-ID", "")
        headers.pop("Last-Event-ID", None)
        self.headers = headers
        self.url = url
        self.options = options

    @property
    def has_idempotency_key(self) -> bool:
        """Whether each attempt carries an ``Idempotency-Key`` (the caller's, or the client's)."""
        client_headers = getattr(self.client, "headers", None)
        return "idempotency-key" in self.headers or (client_headers is not None and "idempotency-key" in client_headers)

    def build(self, last_event_id: str) -> httpx.Request:
        raw = list(self.headers.raw)
        value = last_event_id_header(last_event_id)
        if value is not None:
            raw.append((b"Last-Event-ID", value))
        # Raw bytes, which httpx and httpx2 both take as they are (a UTF-8 id included).
        request: httpx.Request = self.client.build_request(self.method, self.url, headers=raw, **self.options)
        return request
