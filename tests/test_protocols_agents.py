"""The Gemini, Vercel UI, MCP, A2A and graphql-sse presets against loopback servers replaying
wire transcripts written from each protocol's documentation: the happy path to the end, a
stream cut before it (resumed where the protocol allows), stalls behind events that are not
progress, in-band errors, unknown names; sync, asyncio and trio, over httpx and httpx2."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

from httpx_sse import Reconnect, SSEError, StreamError, StreamStalled, protocols

from .servers import Reply, ScriptedServer, Seen
from .test_reconnect import MODES, read

FAST = Reconnect(initial_delay=0.001, jitter=0.0, max_attempts=4)


def data(payload: Any, *, event: str = "", id: str = "") -> bytes:
    head = (f"event: {event}\n" if event else "") + (f"id: {id}\n" if id else "")
    return f"{head}data: {json.dumps(payload)}\n\n".encode()


# -- Gemini ------------------------------------------------------------------------------


def gemini(text: str = "", finish: str = "", usage: bool = False) -> bytes:
    candidate: Dict[str, Any] = {"index": 0}
    if text:
        candidate["content"] = {"role": "model", "parts": [{"text": text}]}
    if finish:
        candidate["finishReason"] = finish
    chunk: Dict[str, Any] = {"candidates": [candidate] if text or finish else [], "modelVersion": "gemini-2.5-flash"}
    if usage:
        chunk["usageMetadata"] = {"promptTokenCount": 4, "candidatesTokenCount": 2, "totalTokenCount": 6}
    return data(chunk)


G_ANSWER = gemini("Hello") + gemini(" there") + gemini(" world", finish="STOP", usage=True)
G_UNAVAILABLE = data({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}})
GEMINI = {"method": "POST", "json": {"contents": []}, "protocol": protocols.GEMINI}


@pytest.mark.parametrize("mode", MODES)
def test_gemini_ends_at_the_chunk_that_finishes(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=G_ANSWER, then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, **GEMINI)
    assert run.error is None, run.error
    assert len(run.events) == 3 and run.events[-1].json()["candidates"][0]["finishReason"] == "STOP"


@pytest.mark.parametrize("mode", MODES)
def test_gemini_closed_before_a_finish_is_cut_short_and_not_sent_again(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=gemini("Hel"))) as server:
        alone = read(mode, server.url, no_waiting, reconnect=False, **GEMINI)
        again = read(mode, server.url, no_waiting, reconnect=FAST, **GEMINI)
        assert len(server.requests) == 2  # one each: the POST that was taken is not sent twice
    assert isinstance(alone.error, SSEError) and "cut short" in str(alone.error)
    assert isinstance(again.error, SSEError) and "twice" in str(again.error)


@pytest.mark.parametrize("mode", MODES)
def test_gemini_unavailable_before_content_is_retried_after_content_raised(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        return Reply(body=G_UNAVAILABLE) if index == 0 else Reply(body=G_ANSWER)

    with ScriptedServer(script) as server:
        retried = read(mode, server.url, no_waiting, reconnect=FAST, **GEMINI)
        assert len(server.requests) == 2
    with ScriptedServer(lambda index, seen: Reply(body=gemini("Hel") + G_UNAVAILABLE)) as server:
        raised = read(mode, server.url, no_waiting, reconnect=FAST, **GEMINI)
        assert len(server.requests) == 1
    assert retried.error is None and retried.events[-1].json()["usageMetadata"]["totalTokenCount"] == 6
    assert isinstance(raised.error, StreamError) and str(raised.error) == "The model is overloaded."


@pytest.mark.parametrize("mode", MODES)
def test_gemini_usage_only_chunks_are_not_progress(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=gemini("Hi") + gemini(usage=True) * 30, pause=0.05)) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, idle_timeout=0.3, **GEMINI)
    assert isinstance(run.error, StreamStalled) and run.error.kind == "idle", run.error


def test_gemini_a_blocked_prompt_ends_and_garbage_passes_through(no_waiting: List[float]) -> None:
    blocked = data({"promptFeedback": {"blockReason": "SAFETY"}})
    body = b"data: {not json\n\n" + data([1, 2]) + data({"error": "flat"}) + blocked
    with ScriptedServer(lambda index, seen: Reply(body=body, then="silent")) as server:
        run = read("sync", server.url, no_waiting, reconnect=False, **GEMINI)
    assert run.error is None and len(run.events) == 4


# -- Vercel AI SDK UI message stream -----------------------------------------------------


def part(kind: str, **fields: Any) -> bytes:
    return data({"type": kind, **fields})


V_ANSWER = (
    part("start", messageId="m1")
    + part("start-step")
    + part("text-start", id="t1")
    + part("text-delta", id="t1", delta="Hello")
    + part("text-end", id="t1")
    + part("finish-step")
    + part("finish")
    + b"data: [DONE]\n\n"
)
VERCEL = {"method": "POST", "json": {"messages": []}, "protocol": protocols.VERCEL_UI}


@pytest.mark.parametrize("mode", MODES)
def test_vercel_ends_at_done(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=V_ANSWER, then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, **VERCEL)
    assert run.error is None, run.error
    assert [e.data for e in run.events][-1] == "[DONE]" and len(run.events) == 8


@pytest.mark.parametrize("mode", MODES)
def test_vercel_an_error_part_is_raised_and_a_cut_not_sent_again(mode: str, no_waiting: List[float]) -> None:
    error = part("error", errorText="Rate limited by the provider")
    head = V_ANSWER.split(b'data: {"type": "text-end"')[0]
    with ScriptedServer(lambda index, seen: Reply(body=head + error, then="silent")) as server:
        errored = read(mode, server.url, no_waiting, reconnect=FAST, **VERCEL)
    with ScriptedServer(lambda index, seen: Reply(body=head, then="reset")) as server:
        cut = read(mode, server.url, no_waiting, reconnect=FAST, **VERCEL)
        assert len(server.requests) == 1
    assert isinstance(errored.error, StreamError) and str(errored.error) == "Rate limited by the provider"
    assert isinstance(cut.error, SSEError) and [e.json()["type"] for e in cut.events][-1] == "text-delta"


@pytest.mark.parametrize("mode", MODES)
def test_vercel_start_parts_are_not_progress(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=part("start") + part("start-step"), then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, first_event_timeout=0.3, **VERCEL)
    assert isinstance(run.error, StreamStalled) and run.error.kind == "first_event", run.error
    assert [e.json()["type"] for e in run.events] == ["start", "start-step"]


# -- MCP Streamable HTTP -----------------------------------------------------------------

CALL = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "search", "arguments": {}}}
M_PROGRESS = data(
    {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "p", "progress": 1}},
    event="message",
    id="e1",
)
M_RESULT = data({"jsonrpc": "2.0", "id": 7, "result": {"content": [{"type": "text", "text": "found"}]}}, id="e2")
M_PRIMING = b"id: e0\nretry: 5\ndata:\n\n"


def mcp(revision: str = "2025-11-25") -> Dict[str, Any]:
    headers = {"Mcp-Session-Id": "sess-1", "MCP-Protocol-Version": revision, "Authorization": "Bearer t"}
    return {"method": "POST", "json": CALL, "headers": headers, "protocol": protocols.MCP}


@pytest.mark.parametrize("mode", MODES)
def test_mcp_ends_at_the_response(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=M_PRIMING + M_PROGRESS + M_RESULT, then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, **mcp())
    assert run.error is None, run.error
    assert [e.id for e in run.events] == ["e0", "e1", "e2"] and run.events[-1].json()["result"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("then", ["reset", "close"])  # a drop, or a 2025-11-25 server polling
def test_mcp_resumes_with_a_get_never_the_post_again(mode: str, then: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        return Reply(body=M_PRIMING + M_PROGRESS, then=then) if index == 0 else Reply(body=M_RESULT, then="silent")

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, **mcp())
        first, resumed = server.requests
    assert run.error is None, run.error
    assert first.method == "POST" and resumed.method == "GET" and resumed.body == b""
    assert resumed.headers["last-event-id"] == "e1" and resumed.headers["mcp-session-id"] == "sess-1"
    assert resumed.headers["mcp-protocol-version"] == "2025-11-25" and resumed.headers["authorization"] == "Bearer t"
    assert resumed.headers["accept"] == "text/event-stream" and "content-type" not in resumed.headers
    assert [e.id for e in run.events] == ["e0", "e1", "e2"]


@pytest.mark.parametrize("mode", MODES)
def test_mcp_never_sends_the_post_twice_without_an_id_or_under_2026_07_28(mode: str, no_waiting: List[float]) -> None:
    no_id = M_PROGRESS.replace(b"id: e1\n", b"")
    with ScriptedServer(lambda index, seen: Reply(body=no_id, then="reset")) as server:
        without_id = read(mode, server.url, no_waiting, reconnect=FAST, **mcp())
        assert len(server.requests) == 1
    with ScriptedServer(lambda index, seen: Reply(body=M_PROGRESS, then="reset")) as server:
        stateless = read(mode, server.url, no_waiting, reconnect=FAST, **mcp("2026-07-28"))
        assert len(server.requests) == 1
    assert isinstance(without_id.error, SSEError) and "no event id" in str(without_id.error)
    assert isinstance(stateless.error, SSEError) and "2026-07-28 has no resumption" in str(stateless.error)
    assert stateless.error.__cause__ is not None  # the drop it follows


@pytest.mark.parametrize("mode", MODES)
def test_mcp_a_json_rpc_error_is_the_stream_error(mode: str, no_waiting: List[float]) -> None:
    error = data({"jsonrpc": "2.0", "id": 7, "error": {"code": -32602, "message": "Unknown tool: search"}})
    with ScriptedServer(lambda index, seen: Reply(body=M_PROGRESS + error, then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, **mcp())
        assert len(server.requests) == 1
    assert isinstance(run.error, StreamError) and str(run.error) == "Unknown tool: search (JSON-RPC error -32602)"


@pytest.mark.parametrize("mode", MODES)
def test_mcp_pings_and_priming_events_are_not_progress(mode: str, no_waiting: List[float]) -> None:
    ping = data({"jsonrpc": "2.0", "id": "s1", "method": "ping"})
    with ScriptedServer(lambda index, seen: Reply(body=M_PRIMING + ping * 30 + b": keep-alive\n\n", pause=0.05)) as srv:
        run = read(mode, srv.url, no_waiting, reconnect=False, first_event_timeout=0.3, **mcp())
    assert isinstance(run.error, StreamStalled) and run.error.kind == "first_event", run.error


def test_mcp_a_batch_with_a_response_ends_and_garbage_passes(no_waiting: List[float]) -> None:
    batch = data([{"jsonrpc": "2.0", "method": "notifications/message", "params": {}}, json.loads(M_RESULT[13:-2])])
    body = b"data: {not json\n\n" + data({"jsonrpc": "2.0", "error": "flat"}) + batch
    with ScriptedServer(lambda index, seen: Reply(body=body, then="silent")) as server:
        run = read("sync", server.url, no_waiting, reconnect=False, **mcp())
    assert run.error is None and len(run.events) == 3


# -- A2A -----------------------------------------------------------------------------------


def rpc(result: Dict[str, Any]) -> bytes:
    return data({"jsonrpc": "2.0", "id": "r1", "result": result})


def status(state: str, **extra: Any) -> Dict[str, Any]:
    return {"statusUpdate": {"taskId": "t1", "contextId": "c1", "status": {"state": state}, **extra}}


A_TASK = {"task": {"id": "t1", "contextId": "c1", "status": {"state": "TASK_STATE_SUBMITTED"}}}
A_ARTIFACT = {"artifactUpdate": {"taskId": "t1", "contextId": "c1", "artifact": {"artifactId": "a", "parts": []}}}
A_HEAD = rpc(A_TASK) + rpc(status("TASK_STATE_WORKING"))
A_TAIL = rpc(A_ARTIFACT) + rpc(status("TASK_STATE_COMPLETED"))
SEND = {"jsonrpc": "2.0", "id": "r1", "method": "SendStreamingMessage", "params": {"message": {"messageId": "m1"}}}
A2A = {"method": "POST", "json": SEND, "headers": {"A2A-Version": "1.0"}, "protocol": protocols.A2A}


@pytest.mark.parametrize("mode", MODES)
def test_a2a_ends_at_a_terminal_state(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=A_HEAD + A_TAIL, then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, **A2A)
    assert run.error is None, run.error
    assert len(run.events) == 4


@pytest.mark.parametrize("mode", MODES)
def test_a2a_resumes_by_subscribing_to_the_task(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        return Reply(body=A_HEAD, then="reset") if index == 0 else Reply(body=A_TAIL, then="silent")

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, **A2A)
        resumed = server.requests[1]
    assert run.error is None, run.error
    assert resumed.method == "POST" and resumed.headers["a2a-version"] == "1.0"
    subscribe = {"jsonrpc": "2.0", "id": "r1", "method": "SubscribeToTask", "params": {"id": "t1"}}
    assert json.loads(resumed.body) == subscribe
    assert len(run.events) == 4 and len(server.requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_a2a_v0_3_ends_at_final_and_resubscribes(mode: str, no_waiting: List[float]) -> None:
    task = {"kind": "task", "id": "t1", "contextId": "c1", "status": {"state": "submitted"}}
    working = {"kind": "status-update", "taskId": "t1", "contextId": "c1", "status": {"state": "working"}}
    final = {**working, "final": True, "status": {"state": "completed"}}
    send = {**SEND, "method": "message/stream"}

    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=rpc(task) + rpc(working), then="reset")
        return Reply(body=rpc(final), then="silent")

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, **{**A2A, "json": send})
        resumed = json.loads(server.requests[1].body)
    assert run.error is None, run.error
    assert resumed["method"] == "tasks/resubscribe" and resumed["params"] == {"id": "t1"}
    assert len(run.events) == 3


@pytest.mark.parametrize("mode", MODES)
def test_a2a_over_http_json_resumes_with_a_get(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        head = data(A_TASK) + data(status("TASK_STATE_WORKING"))
        return Reply(body=head, then="reset") if index == 0 else Reply(body=data(status("TASK_STATE_INPUT_REQUIRED")))

    with ScriptedServer(script) as server:
        run = read(
            mode, f"{server.url}/v1/message:stream", no_waiting, reconnect=FAST, **{**A2A, "json": {"message": {}}}
        )
        resumed = server.requests[1]
    assert run.error is None, run.error
    assert resumed.method == "GET" and resumed.path == "/v1/tasks/t1:subscribe"
    assert len(run.events) == 3  # input-required is interrupted: the stream ends there


@pytest.mark.parametrize("mode", MODES)
def test_a2a_cut_before_the_task_is_named_or_an_error_is_raised(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=b": hello\n\n", then="reset")) as server:
        cut = read(mode, server.url, no_waiting, reconnect=FAST, **A2A)
        assert len(server.requests) == 1
    error = data({"jsonrpc": "2.0", "id": "r1", "error": {"code": -32001, "message": "Task not found"}})
    with ScriptedServer(lambda index, seen: Reply(body=error, then="silent")) as server:
        errored = read(mode, server.url, no_waiting, reconnect=FAST, **A2A)
    assert isinstance(cut.error, SSEError) and "before it named its task" in str(cut.error)
    assert isinstance(errored.error, StreamError) and str(errored.error) == "Task not found (error -32001)"


def test_a2a_a_message_ends_and_unknown_results_pass(no_waiting: List[float]) -> None:
    message = {"message": {"messageId": "m2", "role": "ROLE_AGENT", "parts": [{"text": "hi"}]}}
    body = rpc({"somethingNew": {}}) + b"data: {not json\n\n" + rpc(message)
    with ScriptedServer(lambda index, seen: Reply(body=body, then="silent")) as server:
        run = read("sync", server.url, no_waiting, reconnect=False, **A2A)
    assert run.error is None and len(run.events) == 3


# -- graphql-sse, distinct connections ---------------------------------------------------

NEXT = data({"data": {"greetings": "Hi"}}, event="next")
GRAPHQL = {"method": "POST", "json": {"query": "subscription { greetings }"}, "protocol": protocols.GRAPHQL_SSE}


@pytest.mark.parametrize("mode", MODES)
def test_graphql_sse_a_complete_with_no_data_then_close_is_the_end(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=NEXT * 3 + b"event: complete\n\n")) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, **GRAPHQL)
        assert len(server.requests) == 1
    assert run.error is None, run.error
    assert len(run.events) == 3


@pytest.mark.parametrize("mode", MODES)
def test_graphql_sse_a_dispatched_complete_ends_a_drop_does_not(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=NEXT + b"event: complete\ndata:\n\n", then="silent")) as server:
        ended = read(mode, server.url, no_waiting, reconnect=False, **GRAPHQL)
    with ScriptedServer(lambda index, seen: Reply(body=NEXT, then="reset")) as server:
        dropped = read(mode, server.url, no_waiting, reconnect=False, **GRAPHQL)
    assert ended.error is None and [e.event for e in ended.events] == ["next", "complete"]
    assert dropped.error is not None and len(dropped.events) == 1


@pytest.mark.parametrize("mode", MODES)
def test_graphql_sse_a_result_with_only_errors_is_the_stream_error(mode: str, no_waiting: List[float]) -> None:
    partial = data({"data": None, "errors": [{"message": "partial"}]}, event="next")
    failed = data({"errors": [{"message": 'Cannot query field "nope"'}]}, event="next")
    with ScriptedServer(lambda index, seen: Reply(body=partial + failed, then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, **GRAPHQL)
    assert isinstance(run.error, StreamError) and str(run.error) == 'Cannot query field "nope"'
    assert len(run.events) == 1


# -- all of them -------------------------------------------------------------------------


def test_every_preset_is_named_and_survives_any_value() -> None:
    from httpx_sse import ServerSentEvent

    assert set(protocols.PRESETS) == {
        "anthropic",
        "openai-chat",
        "openai-responses",
        "gemini",
        "mcp",
        "a2a",
        "vercel-ui",
        "graphql-sse",
    }
    hostile = ["", "null", "[]", "[[[" * 100_000, '{"error": []}', '{"type": {}}', '{"result": [], "jsonrpc": 1}']
    hostile += ['{"candidates": [1, {"finishReason": []}]}', '{"statusUpdate": {"status": {"state": 5}}}']
    hostile += ['{"kind": [], "status": null}', '{"error": {"type": [], "code": {}}}', '[{"id": 1, "result": 2}]']
    for preset in protocols.PRESETS.values():
        for text in hostile:
            for name in ("", "error", "next", "complete", "message"):
                sse = ServerSentEvent(event=name, data=text)
                for function in (preset.until, preset.progress, preset.errors, preset.cursor, preset.kind):
                    if function is not None:
                        function(sse)


def test_a_preset_parses_each_event_once_and_never_mixes_two_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from httpx_sse import ServerSentEvent
    from httpx_sse.protocols import _base

    calls: List[str] = []
    real = _base.json.loads

    def counting(text: str) -> Any:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(_base.json, "loads", counting)
    working = ServerSentEvent(data=json.dumps({"jsonrpc": "2.0", "result": status("TASK_STATE_WORKING")}))
    done = ServerSentEvent(data=json.dumps({"jsonrpc": "2.0", "result": status("TASK_STATE_COMPLETED")}))
    preset = protocols.A2A
    assert preset.until and preset.errors and preset.cursor and preset.kind
    for sse, ends in ((working, False), (done, True), (working, False), (done, True)):
        assert preset.until(sse) is ends and preset.errors(sse) is None
        assert preset.cursor(sse) == "t1" and preset.kind(sse) == "statusUpdate"
    assert len(calls) == 4  # once per event handed in, however many functions asked
