"""HTTP stacks for event streams, measured in one run: `check_transport`'s verdict on each,
and the events per second each delivers end to end over loopback (one HTTP chunk per
event, as LLM servers flush), with the ratio to httpx's default transport in the same mode.

    python -m venv benchmarks/.envs/transports
    benchmarks/.envs/transports/bin/pip install -e . httpx2 httpx-aiohttp httpx-curl-cffi \\
        pyreqwest httpx-pycurl pyqwest h2
    benchmarks/.envs/transports/bin/python benchmarks/transports.py

A stack whose package is not installed is listed as such. Prints a markdown table.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

import anyio

from httpx_sse import aconnect_sse, connect_sse
from httpx_sse.testing import check_transport

HERE = Path(__file__).resolve().parent
EVENTS = 20_000
ROUNDS = 3


def _httpx(kind: str, transport: Optional[Tuple[str, str]] = None) -> Callable[[], Any]:
    def make() -> Any:
        import httpx

        options = {}
        if transport is not None:
            module, name = transport
            options["transport"] = getattr(importlib.import_module(module), name)()
        return getattr(httpx, kind)(**options)

    return make


def _attr(module: str, name: str) -> Callable[[], Any]:
    return lambda: getattr(importlib.import_module(module), name)()


def _pyqwest(transport: str, adapter: str, client: str) -> Any:
    import httpx
    import pyqwest
    import pyqwest.httpx

    return getattr(httpx, client)(transport=getattr(pyqwest.httpx, adapter)(getattr(pyqwest, transport)()))


#: (label, needs (module to import), sync or async, factory)
STACKS: List[Tuple[str, str, str, Callable[[], Any]]] = [
    ("httpx (default transport)", "httpx", "sync", _httpx("Client")),
    ("httpx (default transport)", "httpx", "async", _httpx("AsyncClient")),
    ("httpx2", "httpx2", "sync", _attr("httpx2", "Client")),
    ("httpx2", "httpx2", "async", _attr("httpx2", "AsyncClient")),
    ("httpx-aiohttp", "httpx_aiohttp", "async", _attr("httpx_aiohttp", "HttpxAiohttpClient")),
    ("httpx-curl-cffi", "httpx_curl_cffi", "sync", _httpx("Client", ("httpx_curl_cffi", "CurlTransport"))),
    ("httpx-curl-cffi", "httpx_curl_cffi", "async", _httpx("AsyncClient", ("httpx_curl_cffi", "AsyncCurlTransport"))),
    ("httpx-pycurl", "httpx_pycurl", "sync", _httpx("Client", ("httpx_pycurl", "PyCurlTransport"))),
    ("httpx-pycurl", "httpx_pycurl", "async", _httpx("AsyncClient", ("httpx_pycurl", "AsyncPyCurlTransport"))),
    (
        "pyreqwest",
        "pyreqwest",
        "sync",
        _httpx("Client", ("pyreqwest.compatibility.httpx", "SyncHttpxTransport")),
    ),
    ("pyreqwest", "pyreqwest", "async", _httpx("AsyncClient", ("pyreqwest.compatibility.httpx", "HttpxTransport"))),
    ("pyqwest", "pyqwest", "sync", lambda: _pyqwest("SyncHTTPTransport", "PyqwestTransport", "Client")),
    ("pyqwest", "pyqwest", "async", lambda: _pyqwest("HTTPTransport", "AsyncPyqwestTransport", "AsyncClient")),
]


def rate(make: Callable[[], Any], mode: str, url: str) -> float:
    def once_sync() -> float:
        with make() as client:
            start = time.perf_counter()
            with connect_sse(client, "GET", url) as source:
                count = sum(1 for _ in source)
            assert count == EVENTS, count
            return EVENTS / (time.perf_counter() - start)

    async def once_async() -> float:
        async with make() as client:
            start = time.perf_counter()
            count = 0
            async with aconnect_sse(client, "GET", url) as source:
                async for _ in source:
                    count += 1
            assert count == EVENTS, count
            return EVENTS / (time.perf_counter() - start)

    best = 0.0
    for _ in range(ROUNDS):
        best = max(best, once_sync() if mode == "sync" else anyio.run(once_async))
    return best


def main() -> None:
    server = subprocess.Popen(
        [sys.executable, str(HERE / "e2e_server.py"), str(EVENTS)], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    rows = []
    baseline = {}
    try:
        for label, needs, mode, make in STACKS:
            try:
                importlib.import_module(needs)
            except ImportError:
                rows.append(f"| {label} | {mode} | not installed | | |")
                continue
            try:
                report = check_transport(make)
                failed = [check.name for check in report.checks if not check.passed]
                verdict = "fit" if not failed else "unfit: " + "; ".join(failed)
            except Exception as error:  # the stack cannot even run the checks
                verdict = f"unfit: {type(error).__name__}: {error}"
            try:
                measured = rate(make, mode, url)
                baseline.setdefault(mode, measured)
                speed = f"{measured:,.0f}"
                ratio = f"{measured / baseline[mode]:.2f}x"
            except Exception as error:
                speed, ratio = f"failed: {type(error).__name__}", ""
            row = f"| {label} | {mode} | {verdict} | {speed} | {ratio} |"
            print(row, file=sys.stderr, flush=True)
            rows.append(row)
    finally:
        server.kill()
    print(f"| stack | mode | check_transport | events/s ({EVENTS:,}, one chunk each) | vs httpx default |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
