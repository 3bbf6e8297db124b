"""`Protocol`, and the small readers every preset shares: no value a server sends may crash them."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any, Callable, Dict, Optional, Tuple

import httpx

from .._lifecycle import StreamFailure
from .._models import ServerSentEvent

Predicate = Callable[[ServerSentEvent], bool]

#: The `Protocol` fields that are `connect_sse` options of the same name.
OPTIONS = ("until", "progress", "errors", "cursor", "resume", "ends_at_close")


@dataclass(frozen=True)
class Protocol:
    """The rules of one protocol on top of SSE.

    ``until``, ``progress``, ``errors``, ``cursor`` and ``resume`` are the `connect_sse`
    options of those names (``None``: the preset leaves it unset). Two more tell
    `EventSource.iter_parsed` how to read payloads: ``kind`` names an event for a mapping
    of types (``None``: its event name; some protocols name it in the payload), and
    ``no_payload`` says which events carry nothing to parse (``data: [DONE]``).
    ``ends_at_close=True``: the server closing a response cleanly completes the stream (not
    reconnected, never cut short), where a drop is still a failure.

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
    resume: Optional[Callable[[StreamFailure], Optional[httpx.Request]]] = None
    kind: Optional[Callable[[ServerSentEvent], Optional[str]]] = None
    no_payload: Optional[Predicate] = None
    ends_at_close: bool = False

    def options(self) -> Dict[str, Any]:
        """The `connect_sse` options it sets, by name."""
        return {name: getattr(self, name) for name in OPTIONS if getattr(self, name) not in (None, False)}

    def __repr__(self) -> str:
        given = [f.name for f in fields(self) if f.name != "name" and getattr(self, f.name) not in (None, False)]
        return f"Protocol({self.name!r}: {', '.join(given)})"


def payload(sse: ServerSentEvent) -> Dict[str, Any]:
    """The event's data as a JSON object, or ``{}``."""
    value = json_of(sse)
    return value if isinstance(value, dict) else {}


#: The last event parsed and its value: a preset's functions (until, progress, errors, cursor,
#: kind) each ask for the same event's data in turn, and it is parsed once. A memo, not state:
#: it is checked by identity and replaced whole, so streams and threads that share a preset
#: only ever miss it, never get another event's value.
_last_parsed: Tuple[Optional[ServerSentEvent], Any] = (None, None)


def json_of(sse: ServerSentEvent) -> Any:
    """The event's data as JSON, or ``None`` when it is not JSON (read it, do not change it:
    the value is shared by the functions that ask for the same event)."""
    global _last_parsed
    last_event, last_value = _last_parsed
    if last_event is sse:
        return last_value
    try:
        value = json.loads(sse.data)
    except (ValueError, RecursionError):  # not JSON, or nested past what the parser can follow
        value = None
    _last_parsed = (sse, value)
    return value


def field(value: object, *keys: str) -> Any:
    """``value[keys[0]][keys[1]]...``, or ``None`` wherever the path breaks."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def text_of(value: object) -> Optional[str]:
    """A non-empty string, or ``None``."""
    return value if isinstance(value, str) and value else None


def message_of(error: object, fallback: str) -> str:
    """An error object's ``message``, else ``fallback``."""
    return text_of(field(error, "message")) or fallback


def event_type(sse: ServerSentEvent) -> Optional[str]:
    """The payload's ``type`` field: how protocols that put every part in one event name it."""
    return text_of(payload(sse).get("type"))


def rebuilt(request: httpx.Request, method: str, url: Any, *, json_body: Any = None) -> httpx.Request:
    """Another request to the same server, with the headers and timeouts of ``request``
    (its authorization and session headers): ``method`` and ``url``, a JSON body or none."""
    headers = request.headers.copy()
    for name in ("content-length", "content-type", "transfer-encoding", "last-event-id"):
        headers.pop(name, None)
    made: httpx.Request = type(request)(
        method, url, headers=headers, json=json_body, extensions=dict(request.extensions)
    )
    return made


def request_json(request: Optional[httpx.Request]) -> Any:
    """The JSON body a request was sent with, or ``None``."""
    if request is None:
        return None
    try:
        body = request.content
    except Exception:  # a streaming body, not read: nothing to learn from it
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
