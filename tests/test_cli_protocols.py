"""``httpx-sse URL --protocol NAME``: the presets on the command line, against loopback servers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .servers import Reply, ScriptedServer
from .test_cli import assert_no_traceback, run


def anthropic(kind: str, **payload: Any) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **payload})}\n\n".encode()


START = anthropic("message_start", message={"id": "msg_1"}) + anthropic("ping")
DELTA = anthropic("content_block_delta", index=0, delta={"type": "text_delta", "text": "Hello"})
ANSWER = START + DELTA + anthropic("message_stop")
OVERLOADED = anthropic("error", error={"type": "overloaded_error", "message": "Overloaded"})


def test_anthropic_exits_0_at_message_stop(tmp_path: Path) -> None:
    request = tmp_path / "req.json"
    request.write_text('{"model": "m", "stream": true}')
    with ScriptedServer(lambda index, seen: Reply(body=ANSWER, then="silent")) as server:
        result = run(server.url, "--json", f"@{request}", "--protocol", "anthropic", "--data-only", timeout=10)
        assert len(server.requests) == 1 and server.requests[0].method == "POST"
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["type"] for line in result.stdout.splitlines()][-1] == "message_stop"


def test_anthropic_an_overload_before_content_is_retried() -> None:
    def script(index: int, seen: Any) -> Reply:
        return Reply(body=START + OVERLOADED, then="silent") if index == 0 else Reply(body=ANSWER, then="silent")

    with ScriptedServer(script) as server:
        result = run(server.url, "--json", "{}", "--protocol", "anthropic", "--data-only", timeout=10)
        assert len(server.requests) == 2
    assert result.returncode == 0, result.stderr
    assert "Hello" in result.stdout


def test_anthropic_a_real_error_exits_non_zero_with_the_servers_message() -> None:
    invalid = anthropic("error", error={"type": "invalid_request_error", "message": "max_tokens: too large"})
    with ScriptedServer(lambda index, seen: Reply(body=START + DELTA + OVERLOADED + invalid)) as after_content:
        late = run(after_content.url, "--json", "{}", "--protocol", "anthropic", timeout=10)
        assert len(after_content.requests) == 1
    with ScriptedServer(lambda index, seen: Reply(body=START + invalid)) as server:
        refused = run(server.url, "--json", "{}", "--protocol", "anthropic", timeout=10)
        assert len(server.requests) == 1
    assert_no_traceback(late)
    assert late.returncode == 22 and "the server sent an error inside the stream: Overloaded" in late.stderr
    assert refused.returncode == 22 and "max_tokens: too large" in refused.stderr


def test_a_stream_closed_before_its_end_is_cut_short() -> None:
    with ScriptedServer(lambda index, seen: Reply(body=START + DELTA)) as server:
        result = run(server.url, "--json", "{}", "--protocol", "anthropic", timeout=10)
        assert len(server.requests) == 1
    assert result.returncode == 18 and "cut short" in result.stderr and "--protocol anthropic" in result.stderr


def test_openai_chat_ends_at_done_and_graphql_at_the_close() -> None:
    chat = b'data: {"choices": [{"delta": {"content": "Hi"}}]}\n\ndata: [DONE]\n\n'
    with ScriptedServer(lambda index, seen: Reply(body=chat, then="silent")) as server:
        openai = run(server.url, "--json", "{}", "--protocol", "openai-chat", "--data-only", timeout=10)
    graphql_body = b'event: next\ndata: {"data": {"n": 1}}\n\nevent: complete\n\n'
    with ScriptedServer(lambda index, seen: Reply(body=graphql_body)) as server:
        graphql = run(server.url, "--json", "{}", "--protocol", "graphql-sse", "--data-only", timeout=10)
        assert len(server.requests) == 1
    assert openai.returncode == 0 and openai.stdout.splitlines()[-1] == "[DONE]", openai.stderr
    assert graphql.returncode == 0 and graphql.stdout == '{"data": {"n": 1}}\n', graphql.stderr


def test_mcp_resumes_with_a_get() -> None:
    call = '{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {}}'

    def script(index: int, seen: Any) -> Reply:
        if index == 0:
            return Reply(body=b"id: e0\nretry: 1\ndata:\n\n", then="reset")
        return Reply(body=b'id: e1\ndata: {"jsonrpc": "2.0", "id": 1, "result": {}}\n\n', then="silent")

    with ScriptedServer(script) as server:
        result = run(server.url, "--json", call, "-H", "Mcp-Session-Id: s1", "--protocol", "mcp", timeout=10)
        methods = [seen.method for seen in server.requests]
        resumed = server.requests[1].headers
    assert result.returncode == 0, result.stderr
    assert methods == ["POST", "GET"] and resumed["last-event-id"] == "e0" and resumed["mcp-session-id"] == "s1"


def test_an_unknown_protocol_is_a_usage_error() -> None:
    result = run("http://127.0.0.1:1/", "--protocol", "nope")
    assert result.returncode == 2 and "anthropic" in result.stderr


def test_verbose_ends_with_a_summary_line() -> None:
    with ScriptedServer(lambda index, seen: Reply(body=ANSWER, then="silent")) as server:
        terminal = run(server.url, "--json", "{}", "--protocol", "anthropic", "-v", timeout=10)
    with ScriptedServer(lambda index, seen: Reply(body=b"data: a\n\ndata: b\n\n")) as server:
        closed = run(server.url, "-v", timeout=10)
    last = terminal.stderr.splitlines()[-1]
    assert last.startswith("* 4 events, 0 reconnects, first after ") and last.endswith(", ended: terminal"), last
    assert "longest gap" in last
    assert closed.returncode == 0 and closed.stderr.splitlines()[-1].startswith("* 2 events, 0 reconnects, first")
    assert closed.stderr.splitlines()[-1].endswith("ended: closed")
