"""The protocol presets against loopback servers replaying wire transcripts written from each
API's streaming reference: the happy path, a stream cut before its end, a stall behind pings,
in-band errors before and after content, unknown event names; sync, asyncio and trio."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, List

import pytest

from httpx_sse import Reconnect, SSEError, StreamError, StreamFailure, StreamStalled, protocols

from .servers import Reply, ScriptedServer, Seen
from .test_reconnect import MODES, read

FAST = Reconnect(initial_delay=0.001, jitter=0.0, max_attempts=4)


def sse(event: str, payload: Any) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(payload)}\n\n".encode()


# -- Anthropic ---------------------------------------------------------------------------


def anthropic(kind: str, **payload: Any) -> bytes:
    return sse(kind, {"type": kind, **payload})


A_START = anthropic("message_start", message={"id": "msg_1", "role": "assistant", "content": []})
A_PING = anthropic("ping")
A_BLOCK = anthropic("content_block_start", index=0, content_block={"type": "text", "text": ""})
A_DELTA = anthropic("content_block_delta", index=0, delta={"type": "text_delta", "text": "Hello"})
A_BLOCK_STOP = anthropic("content_block_stop", index=0)
A_MESSAGE_DELTA = anthropic("message_delta", delta={"stop_reason": "end_turn"}, usage={"output_tokens": 1})
A_STOP = anthropic("message_stop")
A_OVERLOADED = anthropic("error", error={"type": "overloaded_error", "message": "Overloaded"})
A_INVALID = anthropic("error", error={"type": "invalid_request_error", "message": "bad request"})
A_ANSWER = A_START + A_PING + A_BLOCK + A_DELTA + A_BLOCK_STOP + A_MESSAGE_DELTA + A_STOP
ANTHROPIC = {"method": "POST", "json": {"stream": True}, "protocol": protocols.ANTHROPIC}


@pytest.mark.parametrize("mode", MODES)
def test_anthropic_ends_at_message_stop(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=A_ANSWER, then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, **ANTHROPIC)
    assert run.error is None, run.error
    assert run.events[-1].event == "message_stop" and len(run.events) == 7


@pytest.mark.parametrize("mode", MODES)
def test_anthropic_cut_before_message_stop_is_cut_short(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=A_START + A_BLOCK + A_DELTA)) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, **ANTHROPIC)
    assert isinstance(run.error, SSEError) and "cut short" in str(run.error)


@pytest.mark.parametrize("mode", MODES)
def test_anthropic_overloaded_before_content_is_retried(mode: str, no_waiting: List[float]) -> None:
    def script(index: int, seen: Seen) -> Reply:
        return Reply(body=A_START + A_PING + A_OVERLOADED, then="silent") if index == 0 else Reply(body=A_ANSWER)

    with ScriptedServer(script) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, **ANTHROPIC)
    assert run.error is None, run.error
    assert len(server.requests) == 2 and run.events[-1].event == "message_stop"


@pytest.mark.parametrize("mode", MODES)
def test_anthropic_errors_after_content_or_not_retryable_are_raised(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=A_START + A_BLOCK + A_DELTA + A_OVERLOADED)) as server:
        after_content = read(mode, server.url, no_waiting, reconnect=FAST, **ANTHROPIC)
    with ScriptedServer(lambda index, seen: Reply(body=A_START + A_INVALID)) as server:
        invalid = read(mode, server.url, no_waiting, reconnect=FAST, **ANTHROPIC)
        assert len(server.requests) == 1
    assert isinstance(after_content.error, StreamError) and str(after_content.error) == "Overloaded"
    assert isinstance(invalid.error, StreamError) and not invalid.error.retryable
    assert str(invalid.error) == "bad request"


@pytest.mark.parametrize("mode", MODES)
def test_anthropic_pings_after_message_start_are_a_first_event_stall(mode: str, no_waiting: List[float]) -> None:
    body = A_START + A_PING * 30
    with ScriptedServer(lambda index, seen: Reply(body=body, pause=0.05)) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, first_event_timeout=0.3, **ANTHROPIC)
    assert isinstance(run.error, StreamStalled) and run.error.kind == "first_event", run.error


def test_anthropic_unknown_events_and_garbage_data_pass_through(no_waiting: List[float]) -> None:
    body = A_START + b"event: future_event\ndata: {not json\n\n" + b"event: error\ndata: []\n\n"
    with ScriptedServer(lambda index, seen: Reply(body=body)) as server:
        run = read("sync", server.url, no_waiting, reconnect=False, **ANTHROPIC)
    assert [e.event for e in run.events] == ["message_start", "future_event"]
    assert isinstance(run.error, StreamError) and str(run.error) == "the server sent an error"


# -- OpenAI Chat Completions -------------------------------------------------------------


def chunk(content: Any = None, finish: Any = None) -> bytes:
    delta = {} if content is None else {"content": content}
    return sse(
        "",
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        },
    )


C_ANSWER = chunk("") + chunk("Hel") + chunk("lo") + chunk(finish="stop") + b"data: [DONE]\n\n"
CHAT = {"method": "POST", "json": {"stream": True}, "protocol": protocols.OPENAI_CHAT}


@pytest.mark.parametrize("mode", MODES)
def test_openai_chat_ends_at_done(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=C_ANSWER, then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, **CHAT)
    assert run.error is None, run.error
    assert run.events[-1].data == "[DONE]" and len(run.events) == 5


@pytest.mark.parametrize("mode", MODES)
def test_openai_chat_cut_before_done_is_not_sent_again(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=chunk("Hel"), then="reset")) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, **CHAT)
    assert isinstance(run.error, SSEError) and "Idempotency-Key" in str(run.error)
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_openai_chat_empty_deltas_are_not_progress(mode: str, no_waiting: List[float]) -> None:
    body = chunk("Hi") + chunk("") * 30
    with ScriptedServer(lambda index, seen: Reply(body=body, pause=0.05)) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, idle_timeout=0.3, **CHAT)
    assert isinstance(run.error, StreamStalled) and run.error.kind == "idle", run.error


@pytest.mark.parametrize("mode", MODES)
def test_openai_chat_an_error_chunk_is_raised(mode: str, no_waiting: List[float]) -> None:
    error = sse("", {"error": {"message": "The server had an error", "type": "server_error"}})
    with ScriptedServer(lambda index, seen: Reply(body=chunk("Hel") + error, then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, **CHAT)
    assert isinstance(run.error, StreamError) and str(run.error) == "The server had an error"
    assert [e.json()["choices"][0]["delta"]["content"] for e in run.events] == ["Hel"]


# -- OpenAI Responses --------------------------------------------------------------------


def responses(kind: str, number: int, **payload: Any) -> bytes:
    return sse(kind, {"type": kind, "sequence_number": number, **payload})


R_ANSWER = (
    responses("response.created", 0, response={"id": "resp_1", "status": "in_progress"})
    + responses("response.in_progress", 1, response={"id": "resp_1"})
    + responses("response.output_text.delta", 2, delta="Hi")
    + responses("response.completed", 3, response={"id": "resp_1", "status": "completed"})
)
RESPONSES = {"method": "POST", "json": {"stream": True}, "protocol": protocols.OPENAI_RESPONSES}


@pytest.mark.parametrize("mode", MODES)
def test_openai_responses_ends_at_completed(mode: str, no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=R_ANSWER, then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=False, **RESPONSES)
    assert run.error is None, run.error
    assert run.events[-1].event == "response.completed" and len(run.events) == 4


@pytest.mark.parametrize("mode", MODES)
def test_openai_responses_failed_is_a_stream_error(mode: str, no_waiting: List[float]) -> None:
    failed = responses(
        "response.failed", 2, response={"id": "resp_1", "error": {"code": "server_error", "message": "boom"}}
    )
    body = R_ANSWER.split(b"event: response.output_text.delta")[0] + failed
    with ScriptedServer(lambda index, seen: Reply(body=body, then="silent")) as server:
        run = read(mode, server.url, no_waiting, reconnect=FAST, **RESPONSES)
    assert isinstance(run.error, StreamError) and str(run.error) == "boom", run.error
    assert len(server.requests) == 1


def test_openai_responses_cursor_reaches_the_failure(no_waiting: List[float]) -> None:
    seen: List[StreamFailure] = []

    def resume(failure: StreamFailure) -> None:
        seen.append(failure)

    cut = R_ANSWER.split(b"event: response.completed")[0]
    with ScriptedServer(lambda index, request: Reply(body=cut, then="reset")) as server:
        run = read("sync", server.url, no_waiting, reconnect=FAST, resume=resume, **RESPONSES)
    assert seen and seen[0].cursor == "2"
    assert isinstance(run.error, SSEError) and "resume= returned None" in str(run.error)


# -- the presets themselves ----------------------------------------------------------------


def test_explicit_options_win_over_the_preset(no_waiting: List[float]) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=A_ANSWER)) as server:
        run = read(
            "sync",
            server.url,
            no_waiting,
            reconnect=False,
            until=lambda e: e.event == "content_block_delta",
            **ANTHROPIC,
        )
    assert run.events[-1].event == "content_block_delta"


def test_a_preset_is_a_small_frozen_object_to_copy_and_adapt() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        protocols.ANTHROPIC.until = None  # type: ignore[misc]
    patient = dataclasses.replace(protocols.ANTHROPIC, progress=None)
    assert "progress" not in patient.options() and "until" in patient.options()


def test_protocol_takes_a_preset() -> None:
    import httpx

    from httpx_sse import connect_sse

    with httpx.Client() as client, pytest.raises(TypeError, match="protocol"):
        with connect_sse(client, "GET", "http://127.0.0.1:1/", protocol="anthropic"):  # type: ignore[arg-type]
            pass
