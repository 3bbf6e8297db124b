"""OpenTelemetry: one span per stream with its counts, reconnect and stall events, error
status, parentage (under the caller's span, over the httpx instrumentation's spans), metrics,
and nothing at all when not instrumented; sync, asyncio and trio, over httpx and httpx2."""

from __future__ import annotations

import gc
import subprocess
import sys
from typing import Any, Dict, Iterator, List, Tuple

import anyio
import httpx
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from httpx_sse import EventSource, Reconnect, SSEError, StreamStalled, aconnect_sse, connect_sse
from httpx_sse.otel import SSEInstrumentor, redacted_url

from .servers import Reply, ScriptedServer, Seen
from .test_reconnect import MODES, read

FAST = Reconnect(initial_delay=0.001, jitter=0.0, max_attempts=3)


class Telemetry:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def sse_spans(self) -> List[ReadableSpan]:
        return [span for span in self.spans.get_finished_spans() if span.name.startswith("SSE ")]

    def metrics(self) -> Dict[str, List[Any]]:
        found: Dict[str, List[Any]] = {}
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    found.setdefault(metric.name, []).extend(metric.data.data_points)
        return found


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    recorded = Telemetry()
    SSEInstrumentor().instrument(tracer_provider=recorded.tracer_provider, meter_provider=recorded.meter_provider)
    try:
        yield recorded
    finally:
        SSEInstrumentor().uninstrument()


def drop_then_resume(index: int, seen: Seen) -> Reply:
    if index == 0:
        return Reply(body=b"id: 1\ndata: a\n\nid: 2\ndata: b\n\n", then="reset")
    if index == 1:
        return Reply(body=b"id: 3\ndata: c\n\n")
    return Reply(status=204, headers={})


@pytest.mark.parametrize("mode", MODES)
def test_a_stream_with_a_drop_and_a_resume_is_one_span(
    mode: str, telemetry: Telemetry, no_waiting: List[float]
) -> None:
    with ScriptedServer(drop_then_resume) as server:
        run = read(mode, f"{server.url}/feed?key=s3cret&page=1", no_waiting, reconnect=FAST)
    assert run.error is None, run.error
    (span,) = telemetry.sse_spans()
    attributes = dict(span.attributes or {})
    assert span.name == "SSE GET" and span.kind is SpanKind.CLIENT and span.status.status_code is StatusCode.UNSET
    assert attributes["http.request.method"] == "GET" and attributes["server.address"] == "127.0.0.1"
    assert attributes["url.full"].endswith("/feed?key=REDACTED&page=1")
    assert attributes["server.port"] == int(server.url.rsplit(":", 1)[1])
    assert attributes["http.response.status_code"] == 204
    assert (attributes["sse.events"], attributes["sse.reconnects"], attributes["sse.end"]) == (3, 2, "no_content")
    assert attributes["sse.last_event_id"] == "3" and attributes["sse.time_to_first_event"] > 0
    reconnects = [event for event in span.events if event.name == "sse.reconnect"]
    assert [dict(event.attributes or {})["sse.last_event_id"] for event in reconnects] == ["2", "3"]
    assert dict(reconnects[0].attributes or {})["sse.reconnect.attempt"] == 1
    metrics = telemetry.metrics()
    assert sum(point.value for point in metrics["sse.events"]) == 3
    assert sum(point.value for point in metrics["sse.reconnects"]) == 2
    assert [point.count for point in metrics["sse.stream.duration"]] == [1]
    assert [point.count for point in metrics["sse.time_to_first_event"]] == [1]
    assert dict(metrics["sse.events"][0].attributes) == {
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "sse.end": "no_content",
    }


@pytest.mark.parametrize("mode", MODES)
def test_an_error_end_sets_the_status_and_records_the_exception(
    mode: str, telemetry: Telemetry, no_waiting: List[float]
) -> None:
    with ScriptedServer(lambda index, seen: Reply(status=500, body=b"down", headers={})) as server:
        run = read(mode, server.url, no_waiting, reconnect=False)
    assert isinstance(run.error, SSEError)
    (span,) = telemetry.sse_spans()
    assert span.status.status_code is StatusCode.ERROR and "500" in (span.status.description or "")
    assert dict(span.attributes or {})["sse.end"] == "error"
    assert dict(span.attributes or {})["http.response.status_code"] == 500
    assert [event.name for event in span.events] == ["exception"]


@pytest.mark.parametrize("mode", MODES)
def test_a_stall_is_an_event_and_then_the_error(mode: str, telemetry: Telemetry, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        return Reply(body=b"data: a\n\n" if index == 0 else b"", then="silent")

    once = Reconnect(initial_delay=0.001, max_attempts=1)
    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=once, idle_timeout=0.2)
    assert isinstance(run.error, SSEError) and "gave up" in str(run.error)
    (span,) = telemetry.sse_spans()
    names = [event.name for event in span.events]
    assert names == ["sse.stall", "sse.reconnect", "sse.stall", "exception"], names
    assert dict(span.events[0].attributes or {}) == {"sse.stall.kind": "idle", "sse.stall.timeout": 0.2}


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_cancelled_async_stream_ends_its_span(backend: str, telemetry: Telemetry) -> None:
    async def main(url: str) -> None:
        async with httpx.AsyncClient() as client:
            with anyio.move_on_after(0.3):
                async with aconnect_sse(client, "GET", url) as source:
                    async for _ in source:
                        pass

    with ScriptedServer(lambda index, seen: Reply(body=b"data: a\n\n", then="silent")) as server:
        anyio.run(main, server.url, backend=backend)
    (span,) = telemetry.sse_spans()
    assert span.end_time is not None and span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes or {})["sse.events"] == 1


@pytest.mark.parametrize("backend", ["sync", "asyncio", "trio"])  # that instrumentation is httpx's alone
def test_nested_under_the_callers_span_over_the_httpx_spans(backend: str, telemetry: Telemetry) -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    tracer = telemetry.tracer_provider.get_tracer("test")
    HTTPXClientInstrumentor().instrument(tracer_provider=telemetry.tracer_provider)
    try:
        with ScriptedServer(drop_then_resume) as server:
            with tracer.start_as_current_span("caller"):
                if backend == "sync":
                    with httpx.Client() as client, connect_sse(client, "GET", server.url, reconnect=FAST) as source:
                        events = [sse.data for sse in source]
                else:

                    async def main() -> List[str]:
                        async with httpx.AsyncClient() as client:
                            async with aconnect_sse(client, "GET", server.url, reconnect=FAST) as source:
                                return [sse.data async for sse in source]

                    events = anyio.run(main, backend=backend)
    finally:
        HTTPXClientInstrumentor().uninstrument()
    assert events == ["a", "b", "c"]
    spans = telemetry.spans.get_finished_spans()
    caller = next(span for span in spans if span.name == "caller")
    (stream,) = telemetry.sse_spans()
    http = [span for span in spans if span.name not in ("caller", stream.name)]
    assert stream.parent is not None and stream.parent.span_id == caller.context.span_id
    assert len(http) == 3 and all(
        span.parent is not None and span.parent.span_id == stream.context.span_id for span in http
    )


def test_a_source_collected_unread_ends_its_span(telemetry: Telemetry) -> None:
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=b"data: 1\n\n")
    source = EventSource(response)
    del source
    gc.collect()
    (span,) = telemetry.sse_spans()
    assert dict(span.attributes or {})["sse.end"] == "collected"


def test_uninstrumented_streams_make_no_span(telemetry: Telemetry) -> None:
    SSEInstrumentor().uninstrument()
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=b"data: 1\n\n")
    assert [sse.data for sse in EventSource(response)] == ["1"]
    SSEInstrumentor().instrument(tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider)
    assert telemetry.sse_spans() == []


NOT_IMPORTED = """
import sys
import httpx
from httpx_sse import EventSource
response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=b"data: 1\\n\\n")
print([sse.data for sse in EventSource(response)], [m for m in sys.modules if m.startswith("opentelemetry")])
"""


def test_off_nothing_of_opentelemetry_is_imported() -> None:
    result = subprocess.run([sys.executable, "-c", NOT_IMPORTED], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "['1'] []"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pw@api.example.com/v1?stream=true", "https://REDACTED:REDACTED@api.example.com/v1?stream=true"),
        (
            "https://x.example/m:streamGenerateContent?alt=sse&key=AIza",
            "https://x.example/m:streamGenerateContent?alt=sse&key=REDACTED",
        ),
        ("https://s3.example/o?X-Goog-Signature=abc&a=1", "https://s3.example/o?X-Goog-Signature=REDACTED&a=1"),
        ("http://127.0.0.1:8000/feed", "http://127.0.0.1:8000/feed"),
    ],
)
def test_url_full_carries_no_secret(url: str, expected: str) -> None:
    assert redacted_url(url) == expected


def test_the_instrumentor_follows_the_conventions() -> None:
    from importlib.metadata import entry_points

    points: Any = entry_points()
    # Python 3.9's entry_points() is a dict by group; 3.10 and later select by keyword.
    found: Tuple[Any, ...] = tuple(
        points.select(group="opentelemetry_instrumentor")
        if hasattr(points, "select")
        else points.get("opentelemetry_instrumentor", ())
    )
    assert any(point.name == "httpx_sse" and point.load() is SSEInstrumentor for point in found)
    assert SSEInstrumentor().instrumentation_dependencies() == ("httpx >= 0.25",)
    assert SSEInstrumentor() is SSEInstrumentor()  # one instance, as BaseInstrumentor makes it


def test_a_stalled_stream_when_not_reconnecting(telemetry: Telemetry, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=b"data: a\n\n", then="silent")) as server:
        run = read("sync", server.url, no_waiting, reconnect=False, idle_timeout=0.2)
    assert isinstance(run.error, StreamStalled)
    (span,) = telemetry.sse_spans()
    assert [event.name for event in span.events] == ["sse.stall", "exception"]
    assert dict(span.attributes or {})["error.type"] == "StreamStalled"
