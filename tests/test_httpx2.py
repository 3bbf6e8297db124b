"""httpx2 beside httpx: optional, never imported unless used, its errors caught as its own.

The reader, reconnection and lifecycle suites run on both libraries (see ``MODES`` and
the ``lib`` fixture); this file holds what is about httpx2 alone, and the conformance
table read through each library's client.
"""

from __future__ import annotations

import subprocess
import sys
from types import ModuleType
from typing import Any, List

import pytest

from httpx_sse import ServerSentEvent, SSEError, connect_sse, iter_sse

from .conftest import NEEDS_HTTPX2
from .servers import Reply, ScriptedServer
from .test_decoder import CASES, Case


def test_importing_httpx_sse_does_not_import_httpx2() -> None:
    code = "import sys, httpx_sse; assert 'httpx2' not in sys.modules, 'httpx2 was imported'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_reading_through_httpx_does_not_import_httpx2(server: str) -> None:
    code = f"""
import sys, httpx
from httpx_sse import connect_sse
with httpx.Client() as client, connect_sse(client, "GET", "{server}/numbers?count=2", reconnect=True,
                                         until=lambda sse: sse.data == "2") as source:
    assert [sse.data for sse in source] == ["1", "2"]
assert "httpx2" not in sys.modules
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def mock_client(lib: ModuleType, body: bytes, chunk: int) -> Any:
    def handler(request: Any) -> Any:
        pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
        return lib.Response(200, headers={"Content-Type": "text/event-stream"}, content=iter(pieces))

    return lib.Client(transport=lib.MockTransport(handler))


@pytest.mark.parametrize("chunk", [1, 7, 4096])
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_conformance_table_through_each_library(lib: ModuleType, case: Case, chunk: int) -> None:
    with mock_client(lib, case.stream, chunk) as client, client.stream("GET", "http://test/") as response:
        assert list(iter_sse(response)) == case.events


@NEEDS_HTTPX2
@pytest.mark.parametrize("case", ["refused", "oversize", "gave up", "cut short"])
def test_an_sse_error_through_httpx2_is_an_httpx2_transport_error(case: str) -> None:
    import httpx2

    from httpx_sse import Reconnect

    def script(index: int, seen: Any) -> Reply:
        if case in ("refused", "gave up"):
            return Reply(status=503, headers={"Content-Type": "text/plain"}, body=b"busy")
        return Reply(body=b"data: " + b"x" * 2000 + b"\n\n")

    options: Any = {
        "refused": {},
        "oversize": {"max_event_size": 1000},
        "gave up": {"reconnect": Reconnect(initial_delay=0, max_attempts=1)},
        "cut short": {"until": lambda sse: False},
    }[case]
    received: List[ServerSentEvent] = []
    with ScriptedServer(script) as server, httpx2.Client() as client:
        with pytest.raises(httpx2.TransportError) as info, connect_sse(client, "GET", server.url, **options) as source:
            received.extend(source)
    assert isinstance(info.value, SSEError)
    assert str(info.value.request.url).rstrip("/") == server.url
    assert type(info.value).__name__ == "SSEError"


@NEEDS_HTTPX2
def test_httpx2_network_errors_are_retried(no_waiting: List[float]) -> None:
    import httpx2

    from httpx_sse import Reconnect

    def script(index: int, seen: Any) -> Reply:
        if index == 0:
            return Reply(body=b"id: 1\ndata: a\n\nid: 2\ndata: cut", then="reset")
        return Reply(status=204, headers={})

    with ScriptedServer(script) as server, httpx2.Client() as client:
        with connect_sse(client, "GET", server.url, reconnect=Reconnect(initial_delay=0)) as source:
            assert [sse.data for sse in source] == ["a"]
    assert server.last_event_ids == [None, "1"]
