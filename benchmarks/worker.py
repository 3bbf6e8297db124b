"""One measurement in one process: read a workload through ``httpx_sse`` as installed in
the interpreter running this file (ours, or httpx-sse 0.4.3 in its own environment).

Prints one JSON line. Run by ``run.py``; usable by hand:
``python benchmarks/worker.py throughput tokens 4096``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from shapes import SHAPES, shape_chunks
from workloads import WORKLOADS, big, chunked, tokens

import httpx_sse


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, chunks: List[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


def response(chunks: List[bytes]) -> httpx.Response:
    request = httpx.Request("GET", "http://bench/")
    headers = {"Content-Type": "text/event-stream"}
    return httpx.Response(200, headers=headers, stream=Chunks(chunks), request=request)


def read_sync(chunks: List[bytes]) -> int:
    # EventSource(response).iter_sse() is the one spelling both versions share.
    count = 0
    for _ in httpx_sse.EventSource(response(chunks)).iter_sse():
        count += 1
    return count


def read_async(chunks: List[bytes]) -> int:
    async def main() -> int:
        count = 0
        async for _ in httpx_sse.EventSource(response(chunks)).aiter_sse():
            count += 1
        return count

    return asyncio.run(main())


def read_httpx2(chunks: List[bytes], reader: str) -> int:
    """The same bytes in an httpx2 response: read by us, or by httpx2's own EventSource."""
    import httpx2

    request = httpx2.Request("GET", "http://bench/")
    headers = {"Content-Type": "text/event-stream"}
    stream = httpx2.Response(200, headers=headers, content=iter(chunks), request=request)
    source = httpx_sse.EventSource(stream) if reader == "ours" else httpx2.EventSource(stream, max_event_size=None)
    count = 0
    for _ in source:
        count += 1
    return count


def fastest(
    read: Callable[[List[bytes]], int], chunks: List[bytes], repeat: int, clock: Callable[[], float]
) -> Tuple[float, int]:
    """The fastest of ``repeat`` reads of ``chunks`` by ``clock``, and the events read."""
    best = float("inf")
    events = 0
    for _ in range(repeat):
        gc.collect()
        started = clock()
        events = read(chunks)
        best = min(best, clock() - started)
    return best, events


def throughput(
    workload: str, chunk_size: int, repeat: int, mode: str, events: int = 0, httpx2_reader: str = ""
) -> Dict[str, Any]:
    data = tokens(events) if events else WORKLOADS[workload]()
    chunks = chunked(data, chunk_size)
    read = read_async if mode == "async" else read_sync
    if httpx2_reader:
        read = lambda chunks: read_httpx2(chunks, httpx2_reader)  # noqa: E731
    best, events = fastest(read, chunks, repeat, time.perf_counter)
    return {"seconds": best, "bytes": len(data), "events": events}


def shape(name: str, chunk: int, repeat: int, reader: str) -> Dict[str, Any]:
    """One real-world shape through EventSource(response).iter_sse(), or through httpx2's reader."""
    chunks = shape_chunks(name, chunk)
    read = read_sync if reader == "ours" else lambda chunks: read_httpx2(chunks, "native")
    best, events = fastest(read, chunks, repeat, time.process_time)
    return {"seconds": best, "bytes": sum(map(len, chunks)), "events": events}


def decoder_time(size: int, chunk_size: int) -> Dict[str, Any]:
    """Our decoder alone on one single-line event of ``size`` bytes."""
    data = b"data: " + b"x" * size + b"\n\n"
    chunks = chunked(data, chunk_size)
    decoder = httpx_sse.SSEDecoder(max_event_size=None)
    feed = decoder.feed
    started = time.perf_counter()
    events = []
    for chunk in chunks:
        events += feed(chunk)
    seconds = time.perf_counter() - started
    assert len(events) == 1 and len(events[0].data) == size
    return {"seconds": seconds, "bytes": len(data), "events": 1}


def peak_memory(workload: str, chunk_size: int, scale: int) -> Dict[str, Any]:
    """Peak traced memory while reading, excluding the input chunks themselves."""
    data = tokens(50_000 * scale) if workload == "tokens" else big(1, (1 << 20) * scale)
    chunks = chunked(data, chunk_size)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    events = read_sync(chunks)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return {"peak": peak, "bytes": len(data), "events": events}


def end_to_end(url: str) -> Dict[str, Any]:
    """Read the e2e server's stream over loopback with connect_sse."""
    count = 0
    size = 0
    with httpx.Client(timeout=60) as client:
        # First a short stream, untimed: the imports and set-up that the first request
        # does once (the same for every contender) stay out of the figure.
        with httpx_sse.connect_sse(client, "GET", f"{url}warm-up") as source:
            for _ in source.iter_sse():
                pass
        started = time.perf_counter()
        with httpx_sse.connect_sse(client, "GET", url) as source:
            for sse in source.iter_sse():
                count += 1
                size += len(sse.data)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": size, "events": count}


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("workload", choices=sorted(WORKLOADS))
    t.add_argument("chunk_size", type=int)
    t.add_argument("--repeat", type=int, default=3)
    t.add_argument("--mode", choices=["sync", "async"], default="sync")
    t.add_argument("--events", type=int, default=0, help="with tokens: this many events instead of 200k")
    t.add_argument("--httpx2", choices=["ours", "native"], default="", help="an httpx2 response, read by us or by it")
    d = sub.add_parser("decoder")
    d.add_argument("size", type=int)
    d.add_argument("chunk_size", type=int)
    m = sub.add_parser("memory")
    m.add_argument("workload", choices=["tokens", "big"])
    m.add_argument("chunk_size", type=int)
    m.add_argument("scale", type=int)
    sh = sub.add_parser("shape")
    sh.add_argument("name", choices=sorted(SHAPES))
    sh.add_argument("chunk", type=int, help="0: one chunk per event")
    sh.add_argument("--repeat", type=int, default=3)
    sh.add_argument("--reader", choices=["ours", "httpx2"], default=os.environ.get("HTTPX_SSE_BENCH_READER", "ours"))
    e = sub.add_parser("e2e")
    e.add_argument("url")
    args = parser.parse_args()
    if args.what == "throughput":
        result = throughput(args.workload, args.chunk_size, args.repeat, args.mode, args.events, args.httpx2)
    elif args.what == "shape":
        result = shape(args.name, args.chunk, args.repeat, args.reader)
    elif args.what == "decoder":
        result = decoder_time(args.size, args.chunk_size)
    elif args.what == "memory":
        result = peak_memory(args.workload, args.chunk_size, args.scale)
    else:
        result = end_to_end(args.url)
    result["version"] = getattr(httpx_sse, "__version__", "0.4.3")
    result["compiled"] = bool(getattr(httpx_sse, "__compiled__", False))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
