"""The lifecycle options against real loopback servers, sync, asyncio and trio:
idle_timeout, until, on_open, on_comment, on_error, max_elapsed, fail_fast, safe replay."""

from __future__ import annotations

import time
from typing import Any, List

import anyio
import httpx
import pytest

from httpx_sse import Reconnect, SSEError, StreamFailure, StreamStalled, aconnect_sse, connect_sse
from httpx_sse import _stream as stream_module

from .conftest import split_mode
from .servers import Reply, ScriptedServer, Seen, bound_socket, events_body
from .test_reconnect import MODES, read

FAST = Reconnect(initial_delay=0.001, jitter=0.0, max_attempts=5)
HEARTBEATS = b": ping\n\n" * 40  # sent 0.05 s apart: two seconds of heartbeats


def done(sse: Any) -> bool:
    return bool(sse.data == "[DONE]")


# -- idle_timeout ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_heartbeats_without_events_trip_the_idle_timeout_and_resume(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=b"id: 5\ndata: x\n\n" + HEARTBEATS, pause=0.05)
        return Reply(status=204, headers={})

    failures: List[StreamFailure] = []
    with ScriptedServer(script) as server:
        started = time.monotonic()
        run = read(mode, server.url, no_waiting, reconnect=FAST, idle_timeout=0.3, on_error=failures.append)
        took = time.monotonic() - started
    assert run.error is None, run.error
    assert [e.data for e in run.events] == ["x"]
    assert server.last_event_ids == [None, "5"]
    assert len(failures) == 1 and isinstance(failures[0].error, StreamStalled)
    assert "idle_timeout" in failures[0].reason
    assert took < 1.5  # long before the heartbeats end


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("then", ["heartbeats", "silence"])
def test_idle_timeout_without_reconnecting_is_an_sse_error(mode: str, then: str, no_waiting: List[float]) -> None:
    if then == "heartbeats":
        reply = Reply(body=b"data: x\n\n" + HEARTBEATS, pause=0.05)
    else:
        reply = Reply(body=b"data: x\n\n", then="silent")
    with ScriptedServer(lambda index, seen: reply) as server:
        started = time.monotonic()
        run = read(mode, server.url, no_waiting, reconnect=False, idle_timeout=0.3)
        took = time.monotonic() - started
    assert isinstance(run.error, StreamStalled) and "idle_timeout" in str(run.error)
    assert (run.error.kind, run.error.timeout) == ("idle", 0.3)
    assert isinstance(run.error, httpx.ReadTimeout) and isinstance(run.error, SSEError)
    assert [e.data for e in run.events] == ["x"]
    assert 0.3 <= took < 1.5  # the client's own read timeout is 5 s


# -- until -------------------------------------------------------------------------------

OPENAI_LIKE = b'data: {"delta": "Hel"}\n\ndata: {"delta": "lo"}\n\ndata: [DONE]\n\ndata: after\n\n'


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reconnect", [False, True])
def test_until_ends_after_the_terminal_event(mode: str, reconnect: bool, no_waiting: List[float]) -> None:
    policy = FAST if reconnect else False
    with ScriptedServer(lambda index, seen: Reply(body=OPENAI_LIKE, then="silent")) as server:
        run = read(mode, server.url, no_waiting, method="POST", json={"q": 1}, reconnect=policy, until=done)
    assert run.error is None, run.error
    assert [e.data for e in run.events][-1] == "[DONE]" and len(run.events) == 3
    assert len(server.requests) == 1 and no_waiting == []


@pytest.mark.parametrize("mode", MODES)
def test_a_stream_cut_before_the_terminal_event_raises(mode: str, no_waiting: List[float]) -> None:
    body = b'data: {"delta": "Hel"}\n\n'
    with ScriptedServer(lambda index, seen: Reply(body=body)) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, until=done)
    assert isinstance(run.error, SSEError) and "cut short" in str(run.error)
    assert len(run.events) == 1 and len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("then", ["close", "reset"])
def test_a_stream_cut_before_the_terminal_event_resumes(mode: str, then: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=b"id: 1\ndata: a\n\nid: 2\ndata: b\n\n", then=then)
        return Reply(body=b"id: 3\ndata: [DONE]\n\n", then="silent")

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, until=done)
    assert run.error is None, run.error
    assert [e.data for e in run.events] == ["a", "b", "[DONE]"]
    assert server.last_event_ids == [None, "2"]


# -- safe replay -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_post_that_dropped_without_ids_is_not_sent_again(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=b"data: a\n\ndata: b\n\n", then="reset")) as server:
        run = read(mode, server.url, no_waiting, method="POST", json={"prompt": "hi"}, reconnect=FAST)
    assert isinstance(run.error, SSEError) and "allow_replay=True" in str(run.error)
    assert [e.data for e in run.events] == ["a", "b"]
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_allow_replay_sends_the_post_again(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        return Reply(body=b"data: a\n\n", then="reset") if index == 0 else Reply(status=204, headers={})

    policy = Reconnect(initial_delay=0.001, allow_replay=True)
    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, method="POST", json={"prompt": "hi"}, reconnect=policy)
    assert run.error is None, run.error
    bodies = [seen.body for seen in server.requests]
    assert len(bodies) == 2 and bodies[0] == bodies[1] and b"hi" in bodies[0]


@pytest.mark.parametrize("mode", MODES)
def test_a_post_with_ids_resumes(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        return Reply(body=events_body(range(1, 3)), then="reset") if index == 0 else Reply(status=204, headers={})

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, method="POST", content=b"go", reconnect=FAST)
    assert run.error is None, run.error
    assert server.last_event_ids == [None, "2"] and [s.method for s in server.requests] == ["POST", "POST"]


# -- on_open, on_comment ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_on_open_sees_each_response_before_its_events(mode: str, no_waiting: List[float]) -> None:
    log: List[Any] = []

    def script(index: int, seen: Seen) -> Reply:
        if index == 2:
            return Reply(status=204, headers={})
        headers = {"Content-Type": "text/event-stream", "X-Model": f"m{index}"}
        return Reply(body=events_body(range(index + 1, index + 2)), headers=headers)

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, on_open=lambda r: log.append(r.headers["x-model"]))
    assert run.error is None, run.error
    assert log == ["m0", "m1"]


@pytest.mark.parametrize("mode", MODES)
def test_on_open_raising_refuses_the_stream(mode: str, no_waiting: List[float]) -> None:
    class WrongModel(Exception):
        pass

    def refuse(response: httpx.Response) -> None:
        raise WrongModel(response.headers.get("content-type"))

    with ScriptedServer(lambda index, seen: Reply(body=events_body(range(1, 3)), then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, on_open=refuse)
    assert isinstance(run.error, WrongModel) and run.events == []
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_on_comment_sees_comments_in_order_with_events(mode: str, no_waiting: List[float]) -> None:
    log: List[str] = []
    body = b": hello\n\ndata: 1\n\n:\n: keep-alive\ndata: 2\n\n"
    with ScriptedServer(lambda index, seen: Reply(body=body)) as server:
        run = read(mode, server.url, no_waiting, limit=2, on_comment=lambda text: log.append(f"#{text}"))
    assert run.error is None, run.error
    assert log == ["#hello", "#", "#keep-alive"]
    assert [e.data for e in run.events] == ["1", "2"]


# -- on_error, max_elapsed, fail_fast -----------------------------------------------------


def always_503(index: int, seen: Seen) -> Reply:
    return Reply(status=503, headers={"Content-Type": "text/plain"}, body=b"busy")


@pytest.mark.parametrize("mode", MODES)
def test_on_error_chooses_the_wait(mode: str, no_waiting: List[float]) -> None:
    seen: List[StreamFailure] = []

    def on_error(failure: StreamFailure) -> Any:
        seen.append(failure)
        return None if failure.attempt == 2 else 0.125

    with ScriptedServer(always_503) as server:
        policy = Reconnect(initial_delay=0.5, jitter=0, max_attempts=3)
        run = read(mode, server.url, no_waiting, reconnect=policy, on_error=on_error)
    assert isinstance(run.error, SSEError) and "gave up" in str(run.error)
    assert [f.attempt for f in seen] == [1, 2, 3]
    assert no_waiting == [0.125, 1.0, 0.125]  # None: the policy's own backoff
    assert all(isinstance(f.error, SSEError) and f.error.response is not None for f in seen)


@pytest.mark.parametrize("mode", MODES)
def test_on_error_raising_stops_chained_from_the_failure(mode: str, no_waiting: List[float]) -> None:
    class Enough(Exception):
        pass

    def on_error(failure: StreamFailure) -> None:
        raise Enough(failure.reason)

    with ScriptedServer(always_503) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, on_error=on_error)
    assert isinstance(run.error, Enough) and isinstance(run.error.__cause__, SSEError)
    assert len(server.requests) == 1 and no_waiting == []


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_async_hooks_are_awaited(backend: str, no_waiting: List[float]) -> None:
    log: List[str] = []

    async def on_open(response: httpx.Response) -> None:
        await anyio.lowlevel.checkpoint()
        log.append(f"open {response.status_code}")

    async def on_comment(text: str) -> None:
        log.append(f"comment {text}")

    async def on_error(failure: StreamFailure) -> float:
        log.append(f"error {failure.attempt}")
        return 0.0

    def script(index: int, seen: Seen) -> Reply:
        return Reply(body=b": hi\n\nid: 1\ndata: a\n\n") if index == 0 else Reply(status=204, headers={})

    async def main(url: str) -> None:
        async with httpx.AsyncClient() as client:
            options: Any = {"on_open": on_open, "on_comment": on_comment, "on_error": on_error}
            async with aconnect_sse(client, "GET", url, reconnect=FAST, **options) as source:
                async for sse in source:
                    log.append(f"event {sse.data}")

    with ScriptedServer(script) as server:
        anyio.run(main, server.url, backend=backend)
    assert log == ["open 200", "comment hi", "event a", "error 1"]


def test_an_async_hook_under_connect_sse_is_a_type_error(no_waiting: List[float]) -> None:
    async def on_open(response: httpx.Response) -> None:
        pass

    with ScriptedServer(lambda index, seen: Reply(body=events_body(range(1, 2)))) as server:
        run = read("sync", server.url, no_waiting, on_open=on_open)
    assert isinstance(run.error, TypeError) and "aconnect_sse" in str(run.error)


@pytest.mark.parametrize("mode", MODES)
def test_max_elapsed_gives_up_by_the_clock(mode: str, no_waiting: List[float], monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter(range(0, 10_000, 10))  # each look at the clock: ten seconds later
    monkeypatch.setattr(stream_module, "_clock", lambda: float(next(ticks)))
    with ScriptedServer(always_503) as server:
        run = read(mode, server.url, no_waiting, reconnect=Reconnect(initial_delay=0, max_elapsed=25))
    assert isinstance(run.error, SSEError) and "max_elapsed=25" in str(run.error)
    assert isinstance(run.error.__cause__, SSEError)
    assert len(server.requests) == 4  # failures at 0, 10, 20 s are retried; at 30 s it gives up


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fail_fast", [True, False])
def test_fail_fast_on_a_first_connection_that_cannot_be_made(
    mode: str, fail_fast: bool, no_waiting: List[float]
) -> None:
    sock = bound_socket()  # bound, never listening: connections are refused
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    try:
        run = read(mode, url, no_waiting, reconnect=Reconnect(initial_delay=0, max_attempts=3, fail_fast=fail_fast))
    finally:
        sock.close()
    if fail_fast:
        assert isinstance(run.error, split_mode(mode)[1].ConnectError) and no_waiting == []
    else:
        assert isinstance(run.error, SSEError) and "gave up" in str(run.error) and len(no_waiting) == 3


@pytest.mark.parametrize("mode", MODES)
def test_fail_fast_still_retries_once_the_stream_was_open(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=events_body(range(1, 2)), then="reset")
        if index == 1:
            return always_503(index, seen)
        return Reply(status=204, headers={})

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=Reconnect(initial_delay=0, fail_fast=True))
    assert run.error is None, run.error
    assert len(server.requests) == 3


def test_hooks_are_checked_early() -> None:
    with httpx.Client() as client, pytest.raises(ValueError, match="idle_timeout"):
        with connect_sse(client, "GET", "http://127.0.0.1:1/", idle_timeout=0):
            pass
