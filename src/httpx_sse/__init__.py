"""Consume Server-Sent Events with HTTPX: a spec-exact decoder, sync and async readers,
transports, and reconnection that loses no event."""

from ._api import aconnect_sse, aiter_sse, connect_sse, iter_sse
from ._decoder import COMPILED as __compiled__
from ._decoder import DEFAULT_MAX_EVENT_SIZE, SSEDecoder
from ._exceptions import ResumeExpired, SSEError, StreamError, StreamStalled
from ._lifecycle import StreamFailure
from ._models import ServerSentEvent, SSEComment
from ._parsed import EventParseError
from ._reconnect import Reconnect
from ._source import EventSource
from ._stats import StreamStats
from ._transports import AsyncSSETransport, SSETransport
from ._version import __version__

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "AsyncSSETransport",
    "EventParseError",
    "EventSource",
    "Reconnect",
    "ResumeExpired",
    "SSEComment",
    "SSEDecoder",
    "SSEError",
    "SSETransport",
    "ServerSentEvent",
    "StreamError",
    "StreamFailure",
    "StreamStalled",
    "StreamStats",
    "__compiled__",
    "__version__",
    "aconnect_sse",
    "aiter_sse",
    "connect_sse",
    "iter_sse",
]
