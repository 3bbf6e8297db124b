"""OpenTelemetry traces and metrics for every stream: ``pip install "httpx-sse[otel]"``.

```python
from httpx_sse.otel import SSEInstrumentor

SSEInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
```

Each `EventSource` is then one span, kind CLIENT, named ``SSE {method}``, from its first
request to its end, a child of the span current when the stream started; the HTTP spans
of its requests (with ``opentelemetry-instrumentation-httpx``) are its children. It
carries the HTTP request attributes (``http.request.method``, ``url.full`` without
credentials or signatures, ``server.address``, ``server.port``, the last
``http.response.status_code``) and the stream's own, the values of `EventSource.stats`:
``sse.events``, ``sse.comments``, ``sse.reconnects``, ``sse.last_event_id``,
``sse.time_to_first_event``, ``sse.longest_gap``, ``sse.end``. A span event marks each
reconnect (``sse.reconnect``: reason, attempt, delay, Last-Event-ID) and each stall
(``sse.stall``); a stream that ends in an error has status ERROR and the exception
recorded. The span ends when the stream ends, is closed, or is collected.

Metrics, with low-cardinality attributes (method, server address, how the stream ended):
histograms ``sse.time_to_first_event`` and ``sse.stream.duration`` (seconds), counters
``sse.events`` and ``sse.reconnects``.

Nothing of OpenTelemetry is imported until this module is, and a stream that starts
while no instrumentor is on costs one ``None`` test. ``opentelemetry-instrument`` finds
the instrumentor through its entry point, as it finds the others.
"""

from __future__ import annotations

import time
import weakref
from typing import Any, Collection, ContextManager, Dict, Optional
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from opentelemetry import metrics, trace
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.trace import SpanKind, Status, StatusCode

from . import _telemetry
from ._exceptions import StreamStalled
from ._lifecycle import StreamFailure
from ._stats import StreamStats
from ._version import __version__

__all__ = ["SSEInstrumentor"]

#: Query parameters whose values are secrets (OpenTelemetry's list, and API keys).
_SECRET_PARAMETERS = frozenset(
    {"awsaccesskeyid", "signature", "sig", "x-goog-signature", "key", "api_key", "apikey", "token", "access_token"}
)
_REDACTED = "REDACTED"


def redacted_url(url: str) -> str:
    """``url`` without credentials or secret query values, as ``url.full`` wants it."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{_REDACTED}:{_REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(name.lower() in _SECRET_PARAMETERS for name, _ in pairs):
            query = urlencode([(n, _REDACTED if n.lower() in _SECRET_PARAMETERS else v) for n, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class _Instruments:
    def __init__(self, tracer_provider: Any, meter_provider: Any) -> None:
        self.tracer = trace.get_tracer(__name__, __version__, tracer_provider)
        meter = metrics.get_meter(__name__, __version__, meter_provider)
        self.time_to_first_event = meter.create_histogram(
            "sse.time_to_first_event", unit="s", description="From a stream's first request to its first event"
        )
        self.duration = meter.create_histogram(
            "sse.stream.duration", unit="s", description="From a stream's first request to its end"
        )
        self.events = meter.create_counter("sse.events", unit="{event}", description="Events handed to the caller")
        self.reconnects = meter.create_counter("sse.reconnects", unit="{reconnect}", description="Reconnects")


class _Watch:
    """One stream's span and its measurements, as the core reports its moments."""

    def __init__(self, instruments: _Instruments, request: Any, owner: object) -> None:
        self._instruments = instruments
        method = str(getattr(request, "method", "GET") or "GET").upper()
        url = getattr(request, "url", None)
        attributes: Dict[str, Any] = {"http.request.method": method}
        self._metric_attributes: Dict[str, Any] = {"http.request.method": method}
        if url is not None:
            attributes["url.full"] = redacted_url(str(url))
            host = getattr(url, "host", None)
            if host:
                attributes["server.address"] = self._metric_attributes["server.address"] = host
            port = getattr(url, "port", None) or {"http": 80, "https": 443}.get(getattr(url, "scheme", ""))
            if port:
                attributes["server.port"] = port
        self._span = instruments.tracer.start_span(f"SSE {method}", kind=SpanKind.CLIENT, attributes=attributes)
        self._started = time.monotonic()
        self._finalizer = weakref.finalize(owner, self._collected)

    def sending(self, request: Any) -> ContextManager[Any]:
        return trace.use_span(self._span, end_on_exit=False, record_exception=False, set_status_on_exception=False)

    def opened(self, response: Any) -> None:
        status = getattr(response, "status_code", None)
        if isinstance(status, int):
            self._span.set_attribute("http.response.status_code", status)

    def reconnecting(self, failure: StreamFailure, wait: float) -> None:
        span = self._span
        if isinstance(failure.error, StreamStalled):
            self._stalled(failure.error)
        span.add_event(
            "sse.reconnect",
            {
                "sse.reconnect.reason": failure.reason,
                "sse.reconnect.attempt": failure.attempt,
                "sse.reconnect.delay": wait,
                "sse.last_event_id": failure.last_event_id,
            },
        )

    def _stalled(self, error: StreamStalled) -> None:
        self._span.add_event("sse.stall", {"sse.stall.kind": error.kind, "sse.stall.timeout": error.timeout})

    def ended(self, stats: StreamStats, last_event_id: str, error: Optional[BaseException]) -> None:
        self._finalizer.detach()
        span = self._span
        end = stats.end or ("error" if error is not None else "closed")
        span.set_attributes(
            {
                "sse.events": stats.events,
                "sse.comments": stats.comments,
                "sse.reconnects": stats.reconnects,
                "sse.longest_gap": stats.longest_gap,
                "sse.end": end,
            }
        )
        if stats.time_to_first_event is not None:
            span.set_attribute("sse.time_to_first_event", stats.time_to_first_event)
        if last_event_id:
            span.set_attribute("sse.last_event_id", last_event_id)
        if error is not None:
            stall = error if isinstance(error, StreamStalled) else error.__cause__
            if isinstance(stall, StreamStalled):  # the stall itself, or the one reconnecting gave up after
                self._stalled(stall)
            span.set_attribute("error.type", type(error).__qualname__)
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, str(error) or type(error).__name__))
        span.end()
        instruments = self._instruments
        attributes = {**self._metric_attributes, "sse.end": end}
        instruments.duration.record(time.monotonic() - self._started, attributes)
        if stats.time_to_first_event is not None:
            instruments.time_to_first_event.record(stats.time_to_first_event, attributes)
        instruments.events.add(stats.events, attributes)
        instruments.reconnects.add(stats.reconnects, attributes)

    def _collected(self) -> None:
        """The stream was collected before it ended (never iterated, never closed)."""
        self._span.set_attribute("sse.end", "collected")
        self._span.end()


class _Observer:
    def __init__(self, instruments: _Instruments) -> None:
        self._instruments = instruments

    def watch(self, request: Any, owner: object) -> _Watch:
        return _Watch(self._instruments, request, owner)


class SSEInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Traces and measures every stream, as the ``opentelemetry-instrumentation-*`` packages do.

    ```python
    from httpx_sse.otel import SSEInstrumentor

    SSEInstrumentor().instrument()  # the global providers; or tracer_provider=, meter_provider=
    ...
    SSEInstrumentor().uninstrument()
    ```
    """

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("httpx >= 0.25",)

    def _instrument(self, **kwargs: Any) -> None:
        instruments = _Instruments(kwargs.get("tracer_provider"), kwargs.get("meter_provider"))
        _telemetry.install(_Observer(instruments))

    def _uninstrument(self, **kwargs: Any) -> None:
        _telemetry.install(None)
