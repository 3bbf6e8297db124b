"""Many concurrent streams in one process, on one shared client: how long they take to
open, how many events per second they deliver in all, and the memory each costs.

    python benchmarks/scale.py [STREAMS] [EVENTS_PER_STREAM] [STACK]   # 5000, 100, every stack

STACK picks the stacks whose name contains it ("aiohttp", "httpx AsyncClient").

The server (a separate process, asyncio, standard library) answers each connection with
its events at once, one HTTP chunk each. Stacks: httpx's default AsyncClient (its pool
sized for the streams) and httpx-aiohttp's HttpxAiohttpClient, when installed.
"""

from __future__ import annotations

import asyncio
import resource
import subprocess
import sys
import time
from typing import Any, Callable, Dict

import anyio

from httpx_sse import aconnect_sse

SERVER = r"""
import asyncio, sys
count = int(sys.argv[1])
event = b'data: {"choices": [{"delta": {"content": "tok"}}]}\n\n'
chunk = b"%x\r\n%s\r\n" % (len(event), event)
body = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunk * count + b"0\r\n\r\n")

async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            writer.write(body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=8192)
    print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/", flush=True)
    await server.serve_forever()

asyncio.run(main())
"""


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def clients() -> Dict[str, Callable[[int], Any]]:
    import httpx

    found: Dict[str, Callable[[int], Any]] = {
        "httpx AsyncClient (default transport)": lambda n: httpx.AsyncClient(
            limits=httpx.Limits(max_connections=n, max_keepalive_connections=n), timeout=120
        )
    }
    try:
        import httpx_aiohttp

        found["httpx-aiohttp HttpxAiohttpClient"] = lambda n: httpx_aiohttp.HttpxAiohttpClient(timeout=120)
    except ImportError:
        pass
    return found


async def run(make: Callable[[int], Any], url: str, streams: int, per_stream: int) -> Dict[str, float]:
    opened = 0
    all_open = anyio.Event()
    events = 0
    before = rss_mib()
    peak = before

    async def one(client: Any) -> None:
        nonlocal opened, events, peak
        async with aconnect_sse(client, "GET", url) as source:
            first = True
            async for _ in source:
                if first:
                    first = False
                    opened += 1
                    if opened == streams:
                        peak = max(peak, rss_mib())
                        all_open.set()
                events += 1

    start = time.perf_counter()
    async with make(streams) as client:
        async with anyio.create_task_group() as group:
            for _ in range(streams):
                group.start_soon(one, client)
            await all_open.wait()
            open_time = time.perf_counter() - start
    took = time.perf_counter() - start
    assert events == streams * per_stream, events
    return {"open": open_time, "rate": events / took, "per_stream_kib": (peak - before) * 1024 / streams}


def main() -> None:
    streams = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    per_stream = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(per_stream)], stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    print(f"| stack ({streams:,} streams x {per_stream} events) | all open after | events/s | memory per stream |")
    print("|---|---|---|---|")
    try:
        wanted = sys.argv[3] if len(sys.argv) > 3 else ""
        for name, make in clients().items():
            if wanted not in name:
                continue
            result = asyncio.run(run(make, url, streams, per_stream))
            print(
                f"| {name} | {result['open']:.1f} s | {result['rate']:,.0f} | {result['per_stream_kib']:.0f} KiB |",
                flush=True,
            )
    finally:
        server.kill()


if __name__ == "__main__":
    main()
