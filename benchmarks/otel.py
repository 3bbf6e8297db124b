"""The cost of OpenTelemetry instrumentation: the same loopback streams read with
``SSEInstrumentor`` off and on (an SDK tracer and meter provider, spans exported to memory),
alternating in one process, best of several rounds.

    python benchmarks/otel.py            # needs the test extra (opentelemetry-sdk)

Two shapes: one long stream, one HTTP chunk per event (how LLM servers flush), in events
per second; and many short streams (the per-stream work is where instrumentation costs),
in streams per second. Prints a markdown table with the ratio on/off.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, Tuple

import httpx
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from httpx_sse import connect_sse
from httpx_sse.otel import SSEInstrumentor

HERE = Path(__file__).resolve().parent
LONG = 50_000
SHORT_STREAMS = 300
ROUNDS = 5


def start_server(count: int) -> Tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, str(HERE / "e2e_server.py"), str(count)], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def read_long(client: httpx.Client, url: str) -> float:
    start = time.perf_counter()
    with connect_sse(client, "GET", url) as source:
        count = sum(1 for _ in source)
    assert count == LONG, count
    return count / (time.perf_counter() - start)


def read_short(client: httpx.Client, url: str) -> float:
    start = time.perf_counter()
    for _ in range(SHORT_STREAMS):
        with connect_sse(client, "GET", url) as source:
            for _ in source:
                pass
    return SHORT_STREAMS / (time.perf_counter() - start)


def best(read: Callable[[httpx.Client, str], float], url: str, exporter: InMemorySpanExporter) -> Dict[str, float]:
    rates: Dict[str, float] = {"off": 0.0, "on": 0.0}
    with httpx.Client() as client:
        read(client, url)  # warm up
        for _ in range(ROUNDS):
            for side in ("off", "on"):
                if side == "on":
                    SSEInstrumentor().instrument(tracer_provider=PROVIDER, meter_provider=METERS)
                rates[side] = max(rates[side], read(client, url))
                if side == "on":
                    SSEInstrumentor().uninstrument()
                    exporter.clear()
    return rates


EXPORTER = InMemorySpanExporter()
PROVIDER = TracerProvider()
PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))
METERS = MeterProvider(metric_readers=[InMemoryMetricReader()])


def main() -> None:
    rows = []
    for label, count, read, unit in (
        (f"one stream of {LONG:,} events, one chunk each", LONG, read_long, "events/s"),
        (f"{SHORT_STREAMS} streams of 20 events", 20, read_short, "streams/s"),
    ):
        server, url = start_server(count)
        try:
            rates = best(read, url, EXPORTER)
        finally:
            server.kill()
        off, on = rates["off"], rates["on"]
        rows.append(f"| {label} | {off:,.0f} {unit} | {on:,.0f} {unit} | {on / off:.2f}x |")
    print("| stream | instrumentation off | on | on / off |")
    print("|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
