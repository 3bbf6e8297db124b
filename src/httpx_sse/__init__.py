"""Consume Server-Sent Events with HTTPX: a spec-exact decoder, sync and async readers,
transports, and reconnection that loses no event."""

from ._api import EventSource, aconnect_sse, aiter_sse, connect_sse, iter_sse
from ._decoder import DEFAULT_MAX_EVENT_SIZE, SSEDecoder
from ._exceptions import SSEError
from ._models import ServerSentEvent
from ._reconnect import Reconnect
from ._transports import AsyncSSETransport, SSETransport
from ._version import __version__

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "AsyncSSETransport",
    "EventSource",
    "Reconnect",
    "SSEDecoder",
    "SSEError",
    "SSETransport",
    "ServerSentEvent",
    "__version__",
    "aconnect_sse",
    "aiter_sse",
    "connect_sse",
    "iter_sse",
]
