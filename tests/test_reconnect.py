"""Reconnection: the pure policy without network or sleeping, then real loopback servers
that reset, close, refuse, throttle and go silent, read by sync, asyncio and trio clients."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Generator, List, Optional

import anyio
import httpx
import pytest

from httpx_sse import (
    AsyncSSETransport,
    EventSource,
    Reconnect,
    ServerSentEvent,
    SSEError,
    SSETransport,
    aconnect_sse,
    connect_sse,
)
from httpx_sse._lifecycle import Lifecycle
from httpx_sse._reconnect import retry_after_seconds

from .conftest import BASE_MODES, NEEDS_HTTPX2, split_mode
from .servers import Reply, ScriptedServer, Seen, events_body

# -- the policy, pure ---------------------------------------------------------------------


def test_first_reconnect_waits_the_base_time_exactly() -> None:
    policy = Reconnect(initial_delay=1.0, jitter=0.5)
    assert policy.delay(1, server_retry=None, random_fraction=0.99) == 1.0
    assert policy.delay(1, server_retry=2.5, random_fraction=0.99) == 2.5


def test_backoff_grows_and_caps() -> None:
    policy = Reconnect(initial_delay=1.0, max_delay=5.0, backoff=2.0, jitter=0.0)
    assert [policy.delay(n, server_retry=None, random_fraction=0.5) for n in range(1, 7)] == [1, 2, 4, 5, 5, 5]


def test_jitter_takes_off_up_to_its_fraction() -> None:
    policy = Reconnect(initial_delay=1.0, max_delay=100, backoff=2.0, jitter=0.5)
    assert policy.delay(3, server_retry=None, random_fraction=0.0) == 4.0
    assert policy.delay(3, server_retry=None, random_fraction=0.5) == 3.0
    assert policy.delay(3, server_retry=None, random_fraction=1.0) == 2.0


def test_server_retry_above_max_delay_is_honoured() -> None:
    policy = Reconnect(max_delay=1.0, jitter=0.0)
    assert policy.delay(1, server_retry=3.0, random_fraction=0) == 3.0
    assert policy.delay(4, server_retry=3.0, random_fraction=0) == 3.0


def test_huge_attempt_counts_do_not_overflow() -> None:
    assert Reconnect(jitter=0).delay(10_000, server_retry=None, random_fraction=0) == 30.0


def test_policy_is_immutable_and_validated() -> None:
    policy = Reconnect()
    with pytest.raises(AttributeError):
        policy.max_delay = 1  # type: ignore[misc]
    for bad in ({"backoff": 0.5}, {"jitter": 2}, {"initial_delay": -1}, {"max_attempts": -1}):
        with pytest.raises(ValueError):
            Reconnect(**bad)  # type: ignore[arg-type]


def test_state_counts_resets_and_gives_up() -> None:
    life = Lifecycle(Reconnect(initial_delay=1, jitter=0, max_attempts=2), random_fraction=lambda: 0.0)
    cause = httpx.ReadError("boom")
    assert life.failed(cause, last_event_id="").delay == 1
    assert life.failed(cause, last_event_id="", server_retry_ms=500).delay == 1.0  # 0.5 s base, doubled
    with pytest.raises(SSEError, match="gave up reconnecting after 2 attempt") as info:
        life.failed(cause, last_event_id="")
    assert info.value.__cause__ is cause
    life.delivered()
    assert life.attempt == 0


def test_retry_after_forms() -> None:
    request = httpx.Request("GET", "http://x/")

    def response(status: int, value: str) -> httpx.Response:
        return httpx.Response(status, headers={"Retry-After": value}, request=request)

    assert retry_after_seconds(response(503, "7"), now=0) == 7.0
    assert retry_after_seconds(response(429, "Wed, 21 Oct 2015 07:28:10 GMT"), now=1445412480.0) == 10.0
    assert retry_after_seconds(response(503, "Wed, 21 Oct 2015 07:28:10 GMT"), now=1445412500.0) == 0.0
    assert retry_after_seconds(response(503, "soon"), now=0) is None
    assert retry_after_seconds(response(500, "7"), now=0) is None


# -- driving a real client against scripted servers ---------------------------------------------

# How a test reads: sync or async (asyncio, trio), through httpx or httpx2 ("+httpx2").
MODES = [*BASE_MODES, *(pytest.param(f"{mode}+httpx2", marks=NEEDS_HTTPX2) for mode in BASE_MODES)]


@dataclass
class Run:
    events: List[ServerSentEvent] = field(default_factory=list)
    waits: List[float] = field(default_factory=list)
    error: Optional[BaseException] = None
    reconnects: int = 0
    last_event_id: str = ""
    retry_delay: Optional[float] = None
    status: Optional[int] = None  # of the latest response


def read(
    mode: str,
    url: str,
    waits: List[float],
    *,
    method: str = "GET",
    limit: Optional[int] = None,
    with_transport: bool = False,
    **kwargs: Any,
) -> Run:
    """Read ``url`` with reconnection in ``mode``; stop after ``limit`` events if given.

    ``with_transport`` gives the client an SSETransport (AsyncSSETransport).
    """
    kwargs.setdefault("reconnect", Reconnect(initial_delay=0.001, jitter=0.0, max_attempts=50))
    client_options = {"timeout": kwargs.pop("timeout", 5.0), "auth": kwargs.pop("client_auth", None)}
    run = Run(waits=waits)
    stats: Optional[List[Any]] = kwargs.pop("stats", None)  # gets the source's stats when iteration ends

    def note(source: EventSource) -> None:
        run.reconnects, run.last_event_id, run.retry_delay = source.reconnects, source.last_event_id, source.retry_delay
        if stats is not None:
            stats.append(source.stats)
        try:
            run.status = source.response.status_code
        except RuntimeError:
            run.status = None  # never connected

    def take(sse: ServerSentEvent) -> bool:
        run.events.append(sse)
        return limit is not None and len(run.events) >= limit

    backend, lib = split_mode(mode)
    if isinstance(client_options["timeout"], httpx.Timeout):
        client_options["timeout"] = lib.Timeout(**client_options["timeout"].as_dict())
    if backend == "sync":
        transport = SSETransport(lib.HTTPTransport()) if with_transport else None
        with lib.Client(transport=transport, **client_options) as client:
            try:
                with connect_sse(client, method, url, **kwargs) as source:
                    try:
                        for sse in source:
                            if take(sse):
                                break
                    finally:
                        note(source)
            except Exception as error:
                run.error = error
        return run

    async def main() -> None:
        transport = AsyncSSETransport(lib.AsyncHTTPTransport()) if with_transport else None
        async with lib.AsyncClient(transport=transport, **client_options) as client:
            try:
                async with aconnect_sse(client, method, url, **kwargs) as source:
                    try:
                        async for sse in source:
                            if take(sse):
                                break
                    finally:
                        note(source)
            except Exception as error:
                run.error = error

    anyio.run(main, backend=backend)
    return run


def resuming(total: int, per_connection: int, then: str, *, cut_block: bool = True) -> Callable[[int, Seen], Reply]:
    """A server that resumes after Last-Event-ID, sends ``per_connection`` events, then
    drops (``then``) mid-way through the next block; 204 once all ``total`` are sent."""

    def script(index: int, seen: Seen) -> Reply:
        start = int(seen.headers.get("last-event-id", "0")) + 1
        if start > total:
            return Reply(status=204, headers={})
        stop = min(total, start + per_connection - 1)
        body = events_body(range(start, stop + 1))
        if cut_block and stop < total:
            body += f"id: {stop + 1}\ndata: half of event {stop + 1}".encode()
        return Reply(body=body, then=then)

    return script


def assert_exactly(run: Run, total: int) -> None:
    assert run.error is None, run.error
    ids = [int(e.id) for e in run.events]
    assert ids == list(range(1, total + 1))
    assert [e.data for e in run.events] == [f"event {n}" for n in range(1, total + 1)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("then", ["reset", "close"])
def test_resumes_after_drops_without_loss_or_duplicates(mode: str, then: str, no_waiting: List[float]) -> None:
    with ScriptedServer(resuming(total=30, per_connection=7, then=then)) as server:
        run = read(mode, server.url, no_waiting)
    assert_exactly(run, 30)
    # Each reconnect resumed from the last complete event, never from the cut block.
    assert server.last_event_ids == [None, "7", "14", "21", "28", "30"]
    assert run.reconnects == 5 and len(run.waits) == 5
    assert run.last_event_id == "30"


@pytest.mark.parametrize("mode", MODES)
def test_waits_the_servers_retry_and_resets_backoff(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=events_body(range(1, 3), retry=250), then="reset")
        if index in (1, 2):
            return Reply(status=500, headers={"Content-Type": "text/plain"}, body=b"down")
        if index == 3:
            return Reply(body=events_body(range(3, 5)), then="close")
        return Reply(status=204, headers={})

    policy = Reconnect(initial_delay=5, backoff=2, jitter=0, max_delay=60)
    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=policy)
    assert [e.id for e in run.events] == ["1", "2", "3", "4"]
    assert run.events[0].retry is None and run.retry_delay == 0.25
    # retry 250 ms, then backoff for the 500s from the 0.5 s floor, then reset after events came.
    assert no_waiting == [0.25, 1.0, 2.0, 0.25]
    assert server.last_event_ids == [None, "2", "2", "2", "4"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("with_transport", [False, True], ids=["connect_sse", "with SSETransport"])
def test_503_retry_after_then_recovers(mode: str, with_transport: bool, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(status=503, headers={"Retry-After": "3", "Content-Type": "text/plain"}, body=b"busy")
        if index == 1:
            return Reply(body=events_body(range(1, 4)))
        return Reply(status=204, headers={})

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, with_transport=with_transport)
    assert [e.id for e in run.events] == ["1", "2", "3"]
    assert no_waiting[0] == 3.0
    assert run.error is None


@pytest.mark.parametrize("mode", MODES)
def test_204_stops_cleanly(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(status=204, headers={})) as server:
        run = read(mode, server.url, no_waiting)
    assert run.events == [] and run.error is None and no_waiting == []
    assert len(server.requests) == 1
    assert run.status == 204


@pytest.mark.parametrize("mode", MODES)
def test_id_of_a_block_without_data_is_resumed_from(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=b"id: 1\ndata: a\n\nid: 2\n\n: a comment\nid: 3\ndata: cut off", then="reset")
        if index == 1:
            return Reply(body=b"id: 3\ndata: c\n\n")
        return Reply(status=204, headers={})

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting)
    assert [(e.id, e.data) for e in run.events] == [("1", "a"), ("3", "c")]
    assert server.last_event_ids == [None, "2", "3"]
    assert run.status == 204 and run.reconnects == 2


@pytest.mark.parametrize("mode", MODES)
def test_401_raises_at_once(mode: str, no_waiting: List[float]) -> None:
    reply = Reply(status=401, headers={"Content-Type": "application/json"}, body=b'{"detail": "bad token"}')
    with ScriptedServer(lambda index, seen: reply) as server:
        run = read(mode, server.url, no_waiting)
    assert isinstance(run.error, SSEError)
    assert (
        str(run.error).startswith("HTTP 401") and "application/json" in str(run.error) and "bad token" in str(run.error)
    )
    assert len(server.requests) == 1 and no_waiting == []


@pytest.mark.parametrize("mode", MODES)
def test_wrong_content_type_raises_at_once(mode: str, no_waiting: List[float]) -> None:
    reply = Reply(headers={"Content-Type": "text/html"}, body=b"<p>login</p>")
    with ScriptedServer(lambda index, seen: reply) as server:
        run = read(mode, server.url, no_waiting)
    assert isinstance(run.error, SSEError) and "text/html" in str(run.error)
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_gives_up_after_max_attempts(mode: str, no_waiting: List[float]) -> None:
    reply = Reply(status=502, headers={"Content-Type": "text/plain"}, body=b"bad gateway")
    policy = Reconnect(initial_delay=0.1, backoff=2, jitter=0, max_attempts=3)
    with ScriptedServer(lambda index, seen: reply) as server:
        run = read(mode, server.url, no_waiting, reconnect=policy)
    assert isinstance(run.error, SSEError)
    assert "gave up reconnecting after 3 attempt(s)" in str(run.error) and "HTTP 502" in str(run.error)
    assert isinstance(run.error.__cause__, SSEError)
    assert no_waiting == pytest.approx([0.1, 0.2, 0.4])
    assert len(server.requests) == 4


@pytest.mark.parametrize("mode", MODES)
def test_silent_stream_is_resumed_after_read_timeout(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=events_body(range(1, 3)), then="silent")
        if index == 1:
            return Reply(body=events_body(range(3, 5)))
        return Reply(status=204, headers={})

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, timeout=httpx.Timeout(5.0, read=0.3))
    assert [e.id for e in run.events] == ["1", "2", "3", "4"]
    assert server.last_event_ids[:2] == [None, "2"]


@pytest.mark.parametrize("mode", MODES)
def test_server_down_at_first_connect_is_retried(mode: str, no_waiting: List[float]) -> None:
    from .servers import bound_socket

    sock = bound_socket()  # nobody listens: connection refused
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    try:
        run = read(mode, url, no_waiting, reconnect=Reconnect(initial_delay=0.01, jitter=0, max_attempts=2))
    finally:
        sock.close()
    assert isinstance(run.error, SSEError) and isinstance(run.error.__cause__, split_mode(mode)[1].ConnectError)
    assert len(no_waiting) == 2


def counting_auth(lib: Any) -> Any:
    class CountingAuth(lib.Auth):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            self.calls = 0

        def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
            self.calls += 1
            request.headers["Authorization"] = f"Bearer token-{self.calls}"
            yield request

    return CountingAuth()


@pytest.mark.parametrize("mode", MODES)
def test_auth_runs_again_on_each_reconnect(mode: str, no_waiting: List[float]) -> None:
    auth = counting_auth(split_mode(mode)[1])
    with ScriptedServer(resuming(total=6, per_connection=2, then="reset")) as server:
        run = read(mode, server.url, no_waiting, auth=auth)
    assert_exactly(run, 6)
    tokens = [seen.headers["authorization"] for seen in server.requests]
    assert tokens == [f"Bearer token-{n}" for n in range(1, 5)]


@pytest.mark.parametrize("mode", MODES)
def test_same_request_is_replayed(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(resuming(total=4, per_connection=2, then="close")) as server:
        url = f"{server.url}/feed?x=1"
        run = read(mode, url, no_waiting, method="POST", content=b'{"q": 1}', headers={"X-Trace": "abc"})
    assert_exactly(run, 4)
    assert {(s.method, s.path, s.body, s.headers["x-trace"]) for s in server.requests} == {
        ("POST", "/feed?x=1", b'{"q": 1}', "abc")
    }
    assert all(s.headers["accept"] == "text/event-stream" for s in server.requests)


def test_unreplayable_body_refused_before_any_request(no_waiting: List[float]) -> None:
    def body() -> Generator[bytes, None, None]:
        yield b"once"

    with ScriptedServer(resuming(total=1, per_connection=1, then="close")) as server:
        with httpx.Client() as client, pytest.raises(ValueError, match="cannot be sent twice"):
            with connect_sse(client, "POST", server.url, content=body(), reconnect=True):
                pass
    assert server.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_breaking_out_stops_and_closes(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(resuming(total=100, per_connection=5, then="reset")) as server:
        run = read(mode, server.url, no_waiting, limit=12)
    assert [int(e.id) for e in run.events] == list(range(1, 13))
    assert len(server.requests) == 3


def test_last_event_id_argument_starts_from_there(no_waiting: List[float]) -> None:
    with ScriptedServer(resuming(total=5, per_connection=10, then="close")) as server:
        run = read("sync", server.url, no_waiting, last_event_id="3")
    assert [e.id for e in run.events] == ["4", "5"]
    assert server.last_event_ids == ["3", "5"]


def test_each_reconnect_is_logged(no_waiting: List[float], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="httpx_sse")
    with ScriptedServer(resuming(total=4, per_connection=2, then="reset")) as server:
        read("sync", server.url, no_waiting)
    messages = [r.getMessage() for r in caplog.records if r.name == "httpx_sse"]
    assert len(messages) == 2
    assert messages[0].startswith("reconnecting in 0.001s (attempt 1, Last-Event-ID: 2): ReadError")
    assert "the stream ended" in messages[1] or "Error" in messages[1]


@pytest.mark.parametrize("mode", MODES)
def test_ten_thousand_events_through_twenty_resets(mode: str, no_waiting: List[float]) -> None:
    total, per_connection = 10_000, 500
    with ScriptedServer(resuming(total=total, per_connection=per_connection, then="reset")) as server:
        run = read(mode, server.url, no_waiting)
    ids = [int(e.id) for e in run.events]
    duplicates = len(ids) - len(set(ids))
    lost = total - len(set(ids))
    print(f"{mode}: received={len(ids)} duplicates={duplicates} lost={lost} reconnects={run.reconnects}")
    assert_exactly(run, total)
    assert run.reconnects == 20 and duplicates == 0 and lost == 0


@pytest.mark.parametrize("mode", MODES)
def test_oversize_event_is_not_retried(mode: str, no_waiting: List[float]) -> None:
    reply = Reply(body=b"id: 1\ndata: ok\n\nid: 2\ndata: " + b"x" * 5000 + b"\n\n")
    with ScriptedServer(lambda index, seen: reply) as server:
        run = read(mode, server.url, no_waiting, max_event_size=1000)
    assert [e.data for e in run.events] == ["ok"]
    assert isinstance(run.error, SSEError) and "max_event_size=1000" in str(run.error)
    assert len(server.requests) == 1 and no_waiting == []


@pytest.mark.parametrize("mode", MODES)
def test_429_retry_after_as_an_http_date(mode: str, no_waiting: List[float]) -> None:
    import email.utils
    import time

    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            when = email.utils.formatdate(time.time() + 30, usegmt=True)
            return Reply(status=429, headers={"Retry-After": when, "Content-Type": "text/plain"}, body=b"slow down")
        if index == 1:
            return Reply(body=events_body(range(1, 3)))
        return Reply(status=204, headers={})

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting)
    assert [e.id for e in run.events] == ["1", "2"]
    assert 28 <= no_waiting[0] <= 31  # the date is whole seconds: about 30 s from now


def test_reconnect_argument_is_checked() -> None:
    with httpx.Client() as client, pytest.raises(TypeError, match="reconnect takes True, False or a Reconnect"):
        with connect_sse(client, "GET", "http://127.0.0.1:1/", reconnect="yes"):  # type: ignore[arg-type]
            pass


@pytest.mark.parametrize("mode", MODES)
def test_with_the_transport_a_401_still_raises_at_once(mode: str, no_waiting: List[float]) -> None:
    reply = Reply(status=401, headers={"Content-Type": "application/json"}, body=b"{}")
    with ScriptedServer(lambda index, seen: reply) as server:
        run = read(mode, server.url, no_waiting, with_transport=True)
    assert isinstance(run.error, SSEError) and "HTTP 401" in str(run.error)
    assert len(server.requests) == 1 and no_waiting == []
