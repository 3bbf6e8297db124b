"""What hostile and peer suites found about resuming: ids any server may send, cookies,
waits, events after ``break``, the transport with redirects and auth, errors' requests.
Real loopback servers; sync, asyncio and trio where the loop matters."""

from __future__ import annotations

import gc
import warnings
from typing import Any, List

import anyio
import httpx
import pytest

from httpx_sse import (
    AsyncSSETransport,
    Reconnect,
    ServerSentEvent,
    SSEError,
    SSETransport,
    aconnect_sse,
    connect_sse,
)

from .conftest import split_mode
from .servers import Reply, ScriptedServer, Seen, events_body
from .test_reconnect import MODES, read

FAST = Reconnect(initial_delay=0.001, jitter=0.0, max_attempts=5)


def sent_id(seen: Seen) -> Any:
    value = seen.headers.get("last-event-id")
    return None if value is None else value.encode("latin-1").decode("utf-8")


def then_204(first: bytes) -> Any:
    def script(index: int, seen: Seen) -> Reply:
        return Reply(body=first) if index == 0 else Reply(status=204, headers={})

    return script


# -- 1. any id the stream sets survives the reconnect -------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "id_field, expected",
    [
        ("café", "café"),
        ("日本語-🎉", "日本語-🎉"),
        (" 7", "7"),  # "id:  7": the value is " 7"; HTTP cannot carry the space
        ("7 ", "7"),
        ("\t7\t", "7"),
        ("a\x0bb", None),  # a control character HTTP cannot carry: no header at all
        ("a\x0cb", None),
        ("a\x7fb", None),
    ],
)
def test_any_id_survives_the_reconnect(mode: str, id_field: str, expected: Any, no_waiting: List[float]) -> None:
    body = f"id: {id_field}\ndata: one\n\n".encode()
    with ScriptedServer(then_204(body)) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST)
    assert run.error is None, run.error
    assert [e.data for e in run.events] == ["one"] and run.events[0].id == id_field
    assert [sent_id(seen) for seen in server.requests] == [None, expected]


@pytest.mark.parametrize("mode", MODES)
def test_a_non_ascii_last_event_id_argument_is_sent_as_utf8(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(then_204(events_body(range(1, 2)))) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, last_event_id="café")
    assert run.error is None, run.error
    assert [sent_id(seen) for seen in server.requests] == ["café", "1"]


# -- 2, 3. what a server asks for can neither crash the client nor make it hammer -------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("field", ["retry: " + "9" * 400, "retry: " + "9" * 4000])
def test_a_huge_retry_is_a_long_wait_not_a_crash(mode: str, field: str, no_waiting: List[float]) -> None:
    with ScriptedServer(then_204(f"{field}\ndata: one\n\n".encode())) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST)
    assert run.error is None, run.error
    assert no_waiting == [24 * 60 * 60.0]


@pytest.mark.parametrize("mode", MODES)
def test_a_huge_retry_after_is_a_long_wait_not_a_crash(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(status=503, headers={"Retry-After": "9" * 400, "Content-Type": "text/plain"})
        return Reply(status=204, headers={})

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST)
    assert run.error is None, run.error
    assert no_waiting == [24 * 60 * 60.0]


def test_a_failing_server_asking_for_no_delay_is_not_hammered() -> None:
    """Real sleeping, the default policy: ``retry: 0`` then a close, over and over, for 2 s."""
    with ScriptedServer(lambda index, seen: Reply(body=b"retry: 0\n\n")) as server:
        with httpx.Client() as client:
            with connect_sse(client, "GET", server.url, reconnect=Reconnect(max_elapsed=2.0)) as source:
                with pytest.raises(SSEError, match="gave up reconnecting after failing for"):
                    list(source)
        connections = len(server.requests)
    # Waits of 0, then 0.5-1 s, then 1-2 s: three or four in two seconds, not hundreds.
    assert 2 <= connections <= 5, connections


# -- 4. break, then iterate again: nothing lost, nothing twice ----------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reconnect", [False, True])
def test_events_after_break_are_delivered_by_the_next_loop(mode: str, reconnect: bool) -> None:
    policy = Reconnect(initial_delay=0.001) if reconnect else False
    first: List[ServerSentEvent] = []
    rest: List[ServerSentEvent] = []
    ids_at_break: List[str] = []

    backend, lib = split_mode(mode)
    with ScriptedServer(then_204(events_body(range(1, 11)))) as server:
        if backend == "sync":
            with lib.Client() as client, connect_sse(client, "GET", server.url, reconnect=policy) as source:
                for sse in source:
                    first.append(sse)
                    if len(first) == 3:
                        break
                ids_at_break.append(source.last_event_id)
                rest.extend(source)
        else:

            async def main() -> None:
                async with lib.AsyncClient() as client:
                    async with aconnect_sse(client, "GET", server.url, reconnect=policy) as source:
                        async for sse in source:
                            first.append(sse)
                            if len(first) == 3:
                                break
                        ids_at_break.append(source.last_event_id)
                        rest.extend([sse async for sse in source])

            anyio.run(main, backend=backend)
    assert ids_at_break == ["3"]
    assert [int(e.id) for e in first + rest] == list(range(1, 11))
    assert len(server.requests) == (2 if reconnect else 1)


def test_last_event_id_follows_each_event_handed_out() -> None:
    with ScriptedServer(then_204(events_body(range(1, 4)) + b"id: 9\n\n")) as server:
        with httpx.Client() as client, connect_sse(client, "GET", server.url) as source:
            seen = [source.last_event_id for _ in source]
            assert seen == ["1", "2", "3"]
            assert source.last_event_id == "9"  # every event handed out: the block without data counts


# -- 5. each attempt is built afresh: cookies set or rotated by the server are sent --------


@pytest.mark.parametrize("mode", MODES)
def test_reconnects_send_the_cookies_the_server_set(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        if index == 3:
            return Reply(status=204, headers={})
        headers = {"Content-Type": "text/event-stream", "Set-Cookie": f"session=s{index}; Path=/"}
        return Reply(body=events_body(range(index + 1, index + 2)), headers=headers)

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST)
    assert run.error is None, run.error
    assert [seen.headers.get("cookie") for seen in server.requests] == [None, "session=s0", "session=s1", "session=s2"]


# -- 6. the transport lets the client follow redirects and answer auth challenges ---------


def redirect_then_stream(index: int, seen: Seen) -> Reply:
    if seen.path == "/old":
        return Reply(status=302, headers={"Location": "/new", "Content-Length": "0"})
    return Reply(body=events_body(range(1, 3)))


def digest_challenge(index: int, seen: Seen) -> Reply:
    if "authorization" not in seen.headers:
        challenge = 'Digest realm="sse", nonce="abc123", qop="auth", algorithm=MD5'
        return Reply(status=401, headers={"WWW-Authenticate": challenge, "Content-Length": "0"})
    assert seen.headers["authorization"].startswith("Digest ")
    return Reply(body=events_body(range(1, 3)))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", ["redirect", "digest"])
def test_the_transport_lets_the_client_follow_and_answer(mode: str, case: str) -> None:
    backend, lib = split_mode(mode)
    script = redirect_then_stream if case == "redirect" else digest_challenge
    options: Any = {"follow_redirects": True} if case == "redirect" else {"auth": lib.DigestAuth("user", "pw")}
    with ScriptedServer(script) as server:
        url = f"{server.url}/old"
        if backend == "sync":
            transport = SSETransport(lib.HTTPTransport())
            with lib.Client(transport=transport) as client, connect_sse(client, "GET", url, **options) as source:
                ids = [sse.id for sse in source]
        else:

            async def main() -> List[str]:
                async with lib.AsyncClient(transport=AsyncSSETransport(lib.AsyncHTTPTransport())) as client:
                    async with aconnect_sse(client, "GET", url, **options) as source:
                        return [sse.id async for sse in source]

            ids = anyio.run(main, backend=backend)
    assert ids == ["1", "2"]
    assert len(server.requests) == 2


def test_the_transport_still_refuses_a_redirect_the_client_does_not_follow() -> None:
    with ScriptedServer(redirect_then_stream) as server:
        with httpx.Client(transport=SSETransport()) as client:
            with connect_sse(client, "GET", f"{server.url}/old") as source:
                with pytest.raises(SSEError, match="HTTP 302"):
                    list(source)


# -- 10. every SSEError names its request, as httpx's own errors do ------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", ["oversize", "gave up"])
def test_sse_errors_carry_the_request(mode: str, case: str, no_waiting: List[float]) -> None:
    if case == "oversize":
        script: Any = then_204(b"data: " + b"x" * 5000 + b"\n\n")
        options: Any = {"max_event_size": 1000}
    else:
        script = lambda index, seen: Reply(status=503, headers={"Content-Type": "text/plain"})  # noqa: E731
        options = {"reconnect": Reconnect(initial_delay=0, max_attempts=2)}
    with ScriptedServer(script) as server:
        run = read(mode, f"{server.url}/s", no_waiting, **options)
    assert isinstance(run.error, SSEError)
    assert run.error.request.url == f"{server.url}/s"


# -- 12. breaking out of an async loop leaves nothing to the garbage collector ----------


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("reconnect", [False, True])
def test_breaking_out_of_an_async_loop_closes_deterministically(backend: str, reconnect: bool) -> None:
    async def main(url: str) -> None:
        async with httpx.AsyncClient() as client:
            async with aconnect_sse(client, "GET", url, reconnect=reconnect) as source:
                async for _ in source:
                    break

    with ScriptedServer(lambda index, seen: Reply(body=events_body(range(1, 5)), then="silent")) as server:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            anyio.run(main, server.url, backend=backend)
            gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
