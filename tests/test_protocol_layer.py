"""The protocol-layer options against real loopback servers, sync, asyncio and trio, on
httpx and httpx2: progress=, first_event_timeout, replay safety, resume=/cursor=,
errors=, dedupe=, stats, and the warnings of a stream that keeps failing."""

from __future__ import annotations

import json
import logging
import time
from typing import Any, List, Optional
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from httpx_sse import (
    Reconnect,
    ResumeExpired,
    ServerSentEvent,
    SSEError,
    StreamError,
    StreamFailure,
    StreamStalled,
)

from .conftest import split_mode
from .servers import Reply, ScriptedServer, Seen, bound_socket, events_body
from .test_reconnect import MODES, read

FAST = Reconnect(initial_delay=0.001, jitter=0.0, max_attempts=5)
NO_CONTENT = Reply(status=204, headers={})


def not_ping(sse: ServerSentEvent) -> bool:
    return sse.event != "ping"


# -- progress= and idle_timeout ---------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_pings_that_are_events_trip_the_idle_timeout_with_progress_and_resume(
    mode: str, no_waiting: List[float]
) -> None:
    pings = b"event: ping\ndata: {}\n\n" * 40  # 0.05 s apart: two seconds of pings

    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=b"id: 5\ndata: x\n\n" + pings, pause=0.05)
        return NO_CONTENT

    failures: List[StreamFailure] = []
    with ScriptedServer(script) as server:
        started = time.monotonic()
        run = read(
            mode, server.url, no_waiting, reconnect=FAST, idle_timeout=0.3, progress=not_ping, on_error=failures.append
        )
        took = time.monotonic() - started
    assert run.error is None, run.error
    assert [e.data for e in run.events if e.event != "ping"] == ["x"]
    assert server.last_event_ids == [None, "5"]
    assert len(failures) == 1
    stall = failures[0].error
    assert isinstance(stall, StreamStalled) and (stall.kind, stall.timeout) == ("idle", 0.3)
    assert "progress=" in str(stall)
    assert took < 1.5  # long before the pings end


@pytest.mark.parametrize("mode", MODES)
def test_without_progress_pings_keep_the_stream_alive(mode: str, no_waiting: List[float]) -> None:
    body = b"data: x\n\n" + b"event: ping\ndata: {}\n\n" * 10 + b"data: done\n\n"
    with ScriptedServer(lambda index, seen: Reply(body=body, pause=0.05)) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, idle_timeout=0.3)
    assert run.error is None, run.error
    assert len(run.events) == 12


# -- first_event_timeout ----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_headers_then_nothing_trips_the_first_event_timeout(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=b": warming up\n\n", then="silent")) as server:
        started = time.monotonic()
        run = read(mode, server.url, no_waiting, reconnect=False, first_event_timeout=0.3)
        took = time.monotonic() - started
    assert isinstance(run.error, StreamStalled), run.error
    assert (run.error.kind, run.error.timeout) == ("first_event", 0.3)
    assert "first_event_timeout" in str(run.error)
    _, lib = split_mode(mode)
    assert isinstance(run.error, lib.TransportError) and isinstance(run.error, lib.ReadTimeout)
    assert 0.3 <= took < 2  # the client's read timeout is 5 s


@pytest.mark.parametrize("mode", MODES)
def test_the_first_event_timeout_counts_from_the_request_and_is_retried(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=b"event: ping\ndata: {}\n\n" * 20, pause=0.05)  # pings, never an answer
        return Reply(body=b"data: answer\n\n")

    failures: List[StreamFailure] = []
    with ScriptedServer(script) as server:
        run = read(
            mode,
            server.url,
            no_waiting,
            reconnect=FAST,
            first_event_timeout=0.3,
            progress=not_ping,
            until=lambda sse: sse.data == "answer",
            on_error=failures.append,
        )
    assert run.error is None, run.error
    assert run.events[-1].data == "answer" and len(server.requests) == 2
    assert isinstance(failures[0].error, StreamStalled) and failures[0].error.kind == "first_event"


@pytest.mark.parametrize("mode", MODES)
def test_a_server_that_never_answers_trips_the_first_event_timeout(mode: str, no_waiting: List[float]) -> None:
    listener = bound_socket()
    listener.listen(4)  # connections are queued, never answered
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    try:
        started = time.monotonic()
        run = read(mode, url, no_waiting, reconnect=False, first_event_timeout=0.3)
        took = time.monotonic() - started
    finally:
        listener.close()
    assert isinstance(run.error, StreamStalled) and run.error.kind == "first_event", run.error
    assert took < 2


@pytest.mark.parametrize("mode", MODES)
def test_first_event_then_idle_timeout_watch_their_own_gaps(mode: str, no_waiting: List[float]) -> None:
    # The first event comes after 0.2 s (within first_event_timeout=0.5), then the gaps are
    # 0.2 s (within idle_timeout=0.35): no stall, though 0.5 > idle_timeout.
    body = b"data: 1\n\ndata: 2\n\ndata: 3\n\n"
    with ScriptedServer(lambda index, seen: Reply(body=b": hi\n\n" + body, pause=0.2)) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, first_event_timeout=0.5, idle_timeout=0.35)
    assert run.error is None, run.error
    assert [e.data for e in run.events] == ["1", "2", "3"]


# -- replay safety ----------------------------------------------------------------------

BILLED = Reply(body=b": accepted\n\n", then="reset")  # a 200, then a drop before the first event


def billed_then_answer(index: int, seen: Seen) -> Reply:
    return BILLED if index == 0 else Reply(body=b"data: answer\n\n") if index == 1 else NO_CONTENT


@pytest.mark.parametrize("mode", MODES)
def test_a_post_that_got_a_200_and_dropped_before_its_first_event_is_not_sent_again(
    mode: str, no_waiting: List[float]
) -> None:
    with ScriptedServer(billed_then_answer) as server:
        run = read(mode, server.url, no_waiting, method="POST", json={"prompt": "hi"}, reconnect=FAST)
    assert isinstance(run.error, SSEError), run.error
    for remedy in ("resume=", "Idempotency-Key", "allow_replay=True", "event id"):
        assert remedy in str(run.error)
    assert len(server.requests) == 1 and run.events == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("allowed_by", ["idempotency_key", "allow_replay"])
def test_an_idempotency_key_or_allow_replay_sends_it_again(mode: str, allowed_by: str, no_waiting: List[float]) -> None:
    options: dict[str, Any] = {}
    if allowed_by == "idempotency_key":
        options["headers"] = {"Idempotency-Key": "req-42"}
    else:
        options["reconnect"] = Reconnect(initial_delay=0.001, allow_replay=True)
    with ScriptedServer(billed_then_answer) as server:
        run = read(mode, server.url, no_waiting, method="POST", json={"prompt": "hi"}, **{"reconnect": FAST, **options})
    assert run.error is None, run.error
    assert [e.data for e in run.events] == ["answer"]
    assert [seen.method for seen in server.requests] == ["POST", "POST", "POST"]  # the last one gets a 204
    if allowed_by == "idempotency_key":
        assert {seen.headers.get("idempotency-key") for seen in server.requests} == {"req-42"}


@pytest.mark.parametrize("mode", MODES)
def test_a_post_refused_with_503_before_any_2xx_is_sent_again(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        return Reply(status=503, headers={"Content-Type": "text/plain"}) if index == 0 else Reply(body=b"data: a\n\n")

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, method="POST", content=b"go", reconnect=FAST, until=lambda e: True)
    assert run.error is None, run.error
    assert len(server.requests) == 2


# -- resume= and cursor= ----------------------------------------------------------------


def responses_event(kind: str, sequence: int, **fields: Any) -> bytes:
    payload = {"type": kind, "sequence_number": sequence, **fields}
    return f"event: {kind}\ndata: {json.dumps(payload)}\n\n".encode()


RESPONSE_EVENTS = [
    responses_event("response.created", 0, response={"id": "resp_1"}),
    *(responses_event("response.output_text.delta", n, delta=f"w{n} ") for n in range(1, 6)),
    responses_event("response.completed", 6),
]


def responses_server(index: int, seen: Seen) -> Reply:
    """OpenAI-Responses-like: POST /responses starts a background response and drops after
    three events; GET /responses/resp_1?stream=true&starting_after=N goes on after N. No SSE ids."""
    if seen.method == "POST":
        return Reply(body=b"".join(RESPONSE_EVENTS[:3]), then="reset")
    query = parse_qs(urlsplit(seen.path).query)
    after = int(query["starting_after"][0])
    return Reply(body=b"".join(RESPONSE_EVENTS[after + 1 :]), then="silent")


def sequence_number(sse: ServerSentEvent) -> Optional[int]:
    number = json.loads(sse.data).get("sequence_number")
    return number if isinstance(number, int) else None


@pytest.mark.parametrize("mode", MODES)
def test_resume_continues_through_another_request_from_a_payload_cursor(mode: str, no_waiting: List[float]) -> None:
    _, lib = split_mode(mode)
    failures: List[StreamFailure] = []

    def resume(failure: StreamFailure) -> Any:
        failures.append(failure)
        url = f"{base}/responses/resp_1?stream=true&starting_after={failure.cursor}"
        return lib.Request("GET", url)

    with ScriptedServer(responses_server) as server:
        base = server.url.rstrip("/")
        run = read(
            mode,
            f"{base}/responses",
            no_waiting,
            method="POST",
            json={"model": "m", "background": True, "stream": True},
            reconnect=FAST,
            resume=resume,
            cursor=sequence_number,
            until=lambda sse: sse.event == "response.completed",
        )
    assert run.error is None, run.error
    assert [sequence_number(e) for e in run.events] == list(range(7))  # none lost, none twice
    assert [f.cursor for f in failures] == ["2"]
    resumed = server.requests[1]
    assert (resumed.method, resumed.headers.get("accept")) == ("GET", "text/event-stream")
    assert resumed.headers.get("cache-control") == "no-store"
    assert [seen.method for seen in server.requests] == ["POST", "GET"]


@pytest.mark.parametrize("mode", MODES)
def test_a_resume_request_answered_410_is_resume_expired(mode: str, no_waiting: List[float]) -> None:
    _, lib = split_mode(mode)

    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=events_body(range(1, 3)), then="reset")
        return Reply(status=410, headers={"Content-Type": "application/json"}, body=b'{"error": "stream_expired"}')

    with ScriptedServer(script) as server:
        run = read(
            mode,
            server.url,
            no_waiting,
            reconnect=FAST,
            resume=lambda failure: lib.Request("GET", server.url + "/join"),
        )
    assert isinstance(run.error, ResumeExpired), run.error
    assert isinstance(run.error, lib.TransportError)
    assert run.error.response is not None and run.error.response.status_code == 410
    assert "stream_expired" in str(run.error)
    assert len(server.requests) == 2  # not retried
    assert [e.id for e in run.events] == ["1", "2"]
    assert server.requests[1].headers.get("last-event-id") == "2"


@pytest.mark.parametrize("mode", MODES)
def test_resume_returning_none_for_a_billed_post_stops_with_the_reason(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(billed_then_answer) as server:
        run = read(mode, server.url, no_waiting, method="POST", json={}, reconnect=FAST, resume=lambda failure: None)
    assert isinstance(run.error, SSEError) and "resume= returned None" in str(run.error), run.error
    assert len(server.requests) == 1


def test_an_async_resume_factory_is_awaited(no_waiting: List[float]) -> None:
    async def resume(failure: StreamFailure) -> httpx.Request:
        return httpx.Request("GET", url + "/again")

    def script(index: int, seen: Seen) -> Reply:
        return Reply(body=b"id: 1\ndata: a\n\n", then="reset") if index == 0 else NO_CONTENT

    with ScriptedServer(script) as server:
        url = server.url
        run = read("asyncio", url, no_waiting, reconnect=FAST, resume=resume)
    assert run.error is None, run.error
    assert server.requests[1].path == "/again"


def test_the_cursor_defaults_to_the_last_event_id(no_waiting: List[float]) -> None:
    seen: List[Optional[str]] = []

    def on_error(failure: StreamFailure) -> None:
        seen.append(failure.cursor)

    def script(index: int, request: Seen) -> Reply:
        return Reply(body=events_body(range(1, 4)), then="reset") if index == 0 else NO_CONTENT

    with ScriptedServer(script) as server:
        run = read("sync", server.url, no_waiting, reconnect=FAST, on_error=on_error)
    assert run.error is None and seen == ["3"]


# -- errors= (in-band errors) -----------------------------------------------------------


def anthropic_event(kind: str, **payload: Any) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **payload})}\n\n".encode()


MESSAGE_START = anthropic_event("message_start", message={"id": "msg_1"})
PING = anthropic_event("ping")
OVERLOADED = anthropic_event("error", error={"type": "overloaded_error", "message": "Overloaded"})
CONTENT = anthropic_event("content_block_delta", delta={"type": "text_delta", "text": "Hi"})
STOP = anthropic_event("message_stop")


def anthropic_errors(sse: ServerSentEvent) -> Optional[StreamError]:
    if sse.event != "error":
        return None
    error = json.loads(sse.data)["error"]
    return StreamError(error["message"], event=sse, retryable=error["type"] == "overloaded_error")


def anthropic_progress(sse: ServerSentEvent) -> bool:
    return sse.event not in ("ping", "message_start")


ANTHROPIC = {
    "method": "POST",
    "json": {"model": "m", "stream": True},
    "errors": anthropic_errors,
    "progress": anthropic_progress,
    "until": lambda sse: sse.event == "message_stop",
}


@pytest.mark.parametrize("mode", MODES)
def test_an_overloaded_error_after_a_200_is_retried_before_content(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=MESSAGE_START + PING + OVERLOADED, then="silent")
        return Reply(body=MESSAGE_START + CONTENT + STOP, then="silent")

    failures: List[StreamFailure] = []
    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, on_error=failures.append, **ANTHROPIC)
    assert run.error is None, run.error
    assert [e.event for e in run.events] == [
        *("message_start", "ping"),  # of the first request: delivered, not progress
        *("message_start", "content_block_delta", "message_stop"),
    ]
    assert len(server.requests) == 2
    assert isinstance(failures[0].error, StreamError) and failures[0].error.retryable
    assert failures[0].error.event is not None and failures[0].error.event.event == "error"


@pytest.mark.parametrize("mode", MODES)
def test_an_overloaded_error_after_content_is_raised(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=MESSAGE_START + CONTENT + OVERLOADED, then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, **ANTHROPIC)
    assert isinstance(run.error, StreamError) and str(run.error) == "Overloaded", run.error
    _, lib = split_mode(mode)
    assert isinstance(run.error, lib.TransportError)
    assert run.error.response is not None and run.error.response.status_code == 200
    assert [e.event for e in run.events] == ["message_start", "content_block_delta"]  # the error is not delivered
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_an_in_band_error_is_raised_when_not_reconnecting(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=MESSAGE_START + OVERLOADED, then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, **ANTHROPIC)
    assert isinstance(run.error, StreamError) and run.error.retryable
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_any_other_exception_errors_returns_is_raised_as_it_is(mode: str, no_waiting: List[float]) -> None:
    class QuotaExceeded(Exception):
        pass

    def errors(sse: ServerSentEvent) -> Optional[BaseException]:
        return QuotaExceeded(sse.data) if sse.event == "error" else None

    body = b"data: a\n\nevent: error\ndata: quota\n\ndata: b\n\n"
    with ScriptedServer(lambda index, seen: Reply(body=body, then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, errors=errors)
    assert isinstance(run.error, QuotaExceeded) and str(run.error) == "quota"
    assert [e.data for e in run.events] == ["a"]


@pytest.mark.parametrize("mode", MODES)
def test_an_error_event_that_retries_forever_still_backs_off_and_gives_up(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=MESSAGE_START + OVERLOADED, then="silent")) as server:
        run = read(
            mode, server.url, no_waiting, reconnect=Reconnect(initial_delay=0.1, jitter=0, max_attempts=3), **ANTHROPIC
        )
    assert isinstance(run.error, SSEError) and "gave up" in str(run.error)
    assert isinstance(run.error.__cause__, StreamError)
    assert no_waiting == [0.1, 0.2, 0.4] and len(server.requests) == 4


# -- dedupe= ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_server_that_replays_from_the_start_is_deduped(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=events_body(range(1, 4)), then="reset")
        if index == 1:
            return Reply(body=events_body(range(1, 7)), then="reset")  # ignores Last-Event-ID
        return NO_CONTENT

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, dedupe=True)
    assert run.error is None, run.error
    assert [e.id for e in run.events] == [str(n) for n in range(1, 7)]
    assert server.last_event_ids == [None, "3", "6"]


@pytest.mark.parametrize("mode", MODES)
def test_dedupe_never_skips_an_event_that_only_inherits_the_id(mode: str, no_waiting: List[float]) -> None:
    first = b"id: 1\ndata: a\n\ndata: b\n\n"  # b inherits id 1

    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=first, then="reset")
        if index == 1:
            # The replay: a is skipped (its own id: 1 was delivered); b only inherits, so it
            # is delivered again; c is new. Then an event whose own id repeats the one in
            # effect (id: 2 twice): the second is skipped.
            return Reply(body=first + b"data: c\n\nid: 2\ndata: d\n\nid: 2\ndata: d again\n\n", then="reset")
        return NO_CONTENT

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, dedupe=True)
    assert run.error is None, run.error
    assert [e.data for e in run.events] == ["a", "b", "b", "c", "d"]


def test_dedupe_memory_is_a_bounded_window(no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=events_body(range(1, 11)), then="reset")
        if index == 1:
            return Reply(body=events_body(range(7, 11)) + events_body(range(1, 3)), then="reset")
        return NO_CONTENT

    with ScriptedServer(script) as server:
        run = read("sync", server.url, no_waiting, reconnect=FAST, dedupe=4)
    # Only the 4 latest ids are remembered: 7 to 10 are skipped, 1 and 2 are forgotten.
    assert [int(e.id) for e in run.events] == [*range(1, 11), 1, 2]


@pytest.mark.parametrize("dedupe", [0, -1, "yes", 1.5])
def test_dedupe_takes_true_or_a_window_size(dedupe: Any) -> None:
    with httpx.Client() as client, pytest.raises(ValueError, match="dedupe"):
        from httpx_sse import connect_sse

        with connect_sse(client, "GET", "http://127.0.0.1:1/", dedupe=dedupe):
            pass


# -- stats ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("watched", [False, True])
def test_stats_after_a_run_with_a_reconnect(mode: str, watched: bool, no_waiting: List[float]) -> None:
    first = b": hello\n\n" + events_body(range(1, 3))
    second = events_body(range(3, 5)) + b"data: [DONE]\n\n"

    def script(index: int, seen: Seen) -> Reply:
        return Reply(body=first, then="reset") if index == 0 else Reply(body=second, then="silent")

    stats: List[Any] = []
    options: dict[str, Any] = {"until": lambda sse: sse.data == "[DONE]"} if watched else {"limit": 5}
    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, stats=stats, **options)
    assert run.error is None, run.error
    assert len(run.events) == 5
    (snapshot,) = stats
    assert (snapshot.connections, snapshot.reconnects, snapshot.events, snapshot.comments) == (2, 1, 5, 1)
    assert snapshot.bytes == len(first) + len(second)
    assert snapshot.time_to_first_event is not None and 0 <= snapshot.time_to_first_event < 2
    assert 0 <= snapshot.longest_gap < 2
    assert snapshot.end == ("terminal" if watched else None)  # a break leaves the stream open


@pytest.mark.parametrize("mode", MODES)
def test_stats_say_why_a_stream_ended(mode: str, no_waiting: List[float]) -> None:
    stats: List[Any] = []
    with ScriptedServer(lambda index, seen: NO_CONTENT) as server:
        read(mode, server.url, no_waiting, stats=stats)
    with ScriptedServer(lambda index, seen: Reply(body=b"data: a\n\n")) as server:
        read(mode, server.url, no_waiting, reconnect=False, stats=stats)
    with ScriptedServer(lambda index, seen: Reply(status=404, headers={})) as server:
        read(mode, server.url, no_waiting, reconnect=False, stats=stats)
    assert [s.end for s in stats] == ["no_content", "closed", "error"]


# -- logging ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_connections_that_keep_failing_warn_and_a_drop_that_resumes_informs(
    mode: str, no_waiting: List[float], caplog: pytest.LogCaptureFixture
) -> None:
    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=events_body(range(1, 3)), then="reset")
        if index in (1, 2):
            return Reply(status=503, headers={"Content-Type": "text/plain"})
        return NO_CONTENT

    caplog.set_level(logging.INFO, logger="httpx_sse")
    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST)
    assert run.error is None, run.error
    levels = [record.levelname for record in caplog.records if "reconnecting" in record.getMessage()]
    assert levels == ["INFO", "WARNING", "WARNING"]  # the drop; then two 503s in a row


def test_a_first_connection_that_cannot_be_made_warns(
    no_waiting: List[float], caplog: pytest.LogCaptureFixture
) -> None:
    sock = bound_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"  # bound, not listening: refused
    try:
        run = read("sync", url, no_waiting, reconnect=Reconnect(initial_delay=0.001, max_attempts=2))
    finally:
        sock.close()
    assert isinstance(run.error, SSEError) and "gave up" in str(run.error)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "reconnecting" in r.getMessage()]
    assert len(warnings) == 2


# -- what the options are given ---------------------------------------------------------


@pytest.mark.parametrize("option", ["progress", "errors", "cursor", "until"])
def test_an_async_per_event_function_is_a_clear_type_error(option: str, no_waiting: List[float]) -> None:
    async def check(sse: ServerSentEvent) -> bool:
        return True

    with ScriptedServer(lambda index, seen: Reply(body=b"data: a\n\n")) as server:
        run = read("asyncio", server.url, no_waiting, reconnect=False, **{option: check})
    assert isinstance(run.error, TypeError) and f"{option}=" in str(run.error), run.error
    assert len(run.events) == (1 if option == "until" else 0)  # until= looks at an event once it is delivered


def test_an_idempotency_key_on_the_client_allows_sending_it_again(no_waiting: List[float]) -> None:
    with ScriptedServer(billed_then_answer) as server:
        with httpx.Client(headers={"Idempotency-Key": "k-1"}) as client:
            from httpx_sse import connect_sse

            with connect_sse(client, "POST", server.url, json={}, reconnect=FAST) as source:
                assert [sse.data for sse in source] == ["answer"]
    assert len(server.requests) == 3


def test_resume_must_return_a_request(no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        return Reply(body=b"id: 1\ndata: a\n\n", then="reset")

    with ScriptedServer(script) as server:
        run = read("sync", server.url, no_waiting, reconnect=FAST, resume=lambda failure: "http://elsewhere/")
    assert isinstance(run.error, TypeError) and "build_request" in str(run.error)
    assert [e.data for e in run.events] == ["a"] and len(server.requests) == 1


@pytest.mark.parametrize("then", ["close", "reset"])
def test_dedupe_keeps_the_events_before_an_oversize_one_and_raises_after_them(
    then: str, no_waiting: List[float]
) -> None:
    body = b"id: 1\ndata: a\n\nid: 2\ndata: " + b"x" * 200 + b"\n\n"
    with ScriptedServer(lambda index, seen: Reply(body=body, then=then)) as server:
        run = read("sync", server.url, no_waiting, reconnect=FAST, dedupe=True, max_event_size=100)
    assert isinstance(run.error, SSEError) and "max_event_size" in str(run.error), run.error
    assert [e.data for e in run.events] == ["a"]


@pytest.mark.parametrize("mode", MODES)
def test_a_post_that_stalls_before_its_first_token_is_not_sent_again(mode: str, no_waiting: List[float]) -> None:
    # A time-to-first-token timeout on a request the server took: sending it again would bill it twice.
    with ScriptedServer(lambda index, seen: Reply(body=b": thinking\n\n", then="silent")) as server:
        run = read(mode, server.url, no_waiting, method="POST", json={}, reconnect=FAST, first_event_timeout=0.3)
    assert isinstance(run.error, SSEError) and "Idempotency-Key" in str(run.error), run.error
    assert isinstance(run.error.__cause__, StreamStalled) and run.error.__cause__.kind == "first_event"
    assert len(server.requests) == 1
