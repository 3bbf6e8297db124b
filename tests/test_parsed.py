"""``iter_parsed`` / ``aiter_parsed``: JSON, one pydantic type, a mapping by event name or by
a preset's payload name; unknown names skipped or refused; errors that name the event and
leave the stream usable; pydantic never imported unless asked for. Sync, asyncio and trio,
over httpx and httpx2, against loopback servers."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Literal, Optional, Union

import anyio
import pydantic
import pytest

from httpx_sse import EventParseError, aconnect_sse, connect_sse, protocols

from .conftest import split_mode
from .servers import Reply, ScriptedServer
from .test_reconnect import MODES


def sse(payload: Any, *, event: str = "", id: str = "") -> bytes:
    head = (f"event: {event}\n" if event else "") + (f"id: {id}\n" if id else "")
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return f"{head}data: {text}\n\n".encode()


@dataclass
class Parsed:
    values: List[Any] = field(default_factory=list)
    errors: List[BaseException] = field(default_factory=list)


def parse(mode: str, url: str, types: Any = None, *, strict: bool = False, again: int = 0, **options: Any) -> Parsed:
    """Read ``url`` through ``iter_parsed`` (``aiter_parsed``); after an `EventParseError`,
    iterate again up to ``again`` times, as a caller who decides to go on would."""
    backend, lib = split_mode(mode)
    parsed = Parsed()
    options.setdefault("method", "GET")
    method = options.pop("method")
    if backend == "sync":
        with lib.Client(timeout=5.0) as client, connect_sse(client, method, url, **options) as source:
            for _ in range(again + 1):
                try:
                    parsed.values.extend(source.iter_parsed(types, strict=strict))
                    break
                except EventParseError as error:
                    parsed.errors.append(error)
        return parsed

    async def main() -> None:
        async with lib.AsyncClient(timeout=5.0) as client, aconnect_sse(client, method, url, **options) as source:
            for _ in range(again + 1):
                try:
                    async for value in source.aiter_parsed(types, strict=strict):
                        parsed.values.append(value)
                    break
                except EventParseError as error:
                    parsed.errors.append(error)

    anyio.run(main, backend=backend)
    return parsed


# -- JSON ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_json_without_types(mode: str) -> None:
    body = sse({"a": 1}) + sse([1, 2]) + sse("3") + sse('"text"')
    with ScriptedServer(lambda index, seen: Reply(body=body)) as server:
        parsed = parse(mode, server.url)
    assert parsed.values == [{"a": 1}, [1, 2], 3, "text"] and not parsed.errors


@pytest.mark.parametrize("mode", MODES)
def test_data_that_is_not_json_names_the_event_and_the_stream_goes_on(mode: str) -> None:
    body = sse({"n": 1}, id="1") + sse("{oops", event="update", id="2") + sse({"n": 3}, id="3")
    with ScriptedServer(lambda index, seen: Reply(body=body)) as server:
        parsed = parse(mode, server.url, again=1)
    assert parsed.values == [{"n": 1}, {"n": 3}]
    (error,) = parsed.errors
    assert isinstance(error, EventParseError) and isinstance(error, ValueError)
    assert "event 'update' (id '2')" in str(error) and "not JSON" in str(error)
    assert error.event.data == "{oops" and isinstance(error.__cause__, json.JSONDecodeError)


# -- pydantic ------------------------------------------------------------------------------


class TextDelta(pydantic.BaseModel):
    type: Literal["text_delta"]
    text: str


class ContentBlockDelta(pydantic.BaseModel):
    type: Literal["content_block_delta"]
    index: int
    delta: TextDelta


class MessageStop(pydantic.BaseModel):
    type: Literal["message_stop"]


def anthropic(kind: str, **payload: Any) -> bytes:
    return sse({"type": kind, **payload}, event=kind)


ANSWER = (
    anthropic("message_start", message={"id": "msg_1"})
    + anthropic("ping")
    + anthropic("content_block_delta", index=0, delta={"type": "text_delta", "text": "Hel"})
    + anthropic("future_event", what="new")
    + anthropic("content_block_delta", index=0, delta={"type": "text_delta", "text": "lo"})
    + anthropic("message_stop")
)
ANTHROPIC = {"method": "POST", "json": {"stream": True}, "protocol": protocols.ANTHROPIC}
ROUTES = {"content_block_delta": ContentBlockDelta, "message_stop": MessageStop}


@pytest.mark.parametrize("mode", MODES)
def test_a_mapping_by_event_name_skips_the_rest(mode: str) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=ANSWER, then="silent")) as server:
        parsed = parse(mode, server.url, ROUTES, **ANTHROPIC)
    assert [type(value) for value in parsed.values] == [ContentBlockDelta, ContentBlockDelta, MessageStop]
    assert "".join(value.delta.text for value in parsed.values[:2]) == "Hello"


@pytest.mark.parametrize("mode", MODES)
def test_strict_refuses_a_name_with_no_type(mode: str) -> None:
    with ScriptedServer(lambda index, seen: Reply(body=ANSWER, then="silent")) as server:
        parsed = parse(mode, server.url, ROUTES, strict=True, **ANTHROPIC)
    (error,) = parsed.errors
    assert isinstance(error, EventParseError) and error.event.event == "message_start"
    assert "'message_start'" in str(error) and "content_block_delta, message_stop" in str(error)


@pytest.mark.parametrize("mode", MODES)
def test_a_validation_error_names_the_event_and_iterating_again_goes_on(mode: str) -> None:
    bad = sse({"type": "content_block_delta", "index": "zero", "delta": {}}, event="content_block_delta", id="7")
    body = bad + anthropic("content_block_delta", index=0, delta={"type": "text_delta", "text": "ok"})
    with ScriptedServer(lambda index, seen: Reply(body=body)) as server:
        parsed = parse(mode, server.url, ContentBlockDelta, again=1)
    (error,) = parsed.errors
    assert isinstance(error, EventParseError) and isinstance(error.__cause__, pydantic.ValidationError)
    assert "event 'content_block_delta' (id '7') does not validate as ContentBlockDelta" in str(error)
    assert "index" in str(error)
    assert [value.delta.text for value in parsed.values] == ["ok"]


class Start(pydantic.BaseModel):
    type: Literal["start"]
    messageId: str


class Part(pydantic.BaseModel):
    type: str
    id: Optional[str] = None
    delta: Optional[str] = None


@pytest.mark.parametrize("mode", MODES)
def test_a_preset_routes_by_the_payload_type_and_skips_done(mode: str) -> None:
    parts = [{"type": "start", "messageId": "m1"}, {"type": "text-delta", "id": "t", "delta": "Hi"}, {"type": "finish"}]
    body = b"".join(sse(part) for part in parts) + b"data: [DONE]\n\n"
    routes: Dict[str, Any] = {"start": Start, "text-delta": Part, "finish": Part}
    with ScriptedServer(lambda index, seen: Reply(body=body, then="silent")) as server:
        typed = parse(mode, server.url, routes, method="POST", json={}, protocol=protocols.VERCEL_UI)
        plain = parse(mode, server.url, method="POST", json={}, protocol=protocols.VERCEL_UI)
    assert [type(value) for value in typed.values] == [Start, Part, Part] and typed.values[1].delta == "Hi"
    assert plain.values == parts  # [DONE] is the end, not a payload


def test_one_type_for_every_chunk_and_unions() -> None:
    class Chunk(pydantic.BaseModel):
        id: str

    class Other(pydantic.BaseModel):
        other: int

    body = sse({"id": "c1"}) + sse({"other": 2}) + b"data: [DONE]\n\n"
    with ScriptedServer(lambda index, seen: Reply(body=body, then="silent")) as server:
        parsed = parse("sync", server.url, Union[Chunk, Other], method="POST", json={}, protocol=protocols.OPENAI_CHAT)
    assert parsed.values == [Chunk(id="c1"), Other(other=2)]


def test_the_arguments_are_checked_when_called() -> None:
    import httpx

    from httpx_sse import EventSource

    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=b"data: 1\n\n")
    source = EventSource(response)
    with pytest.raises(TypeError, match="event names"):
        source.iter_parsed({1: int})
    with pytest.raises(TypeError, match="cannot validate"):
        source.iter_parsed(object())
    assert list(source.iter_parsed(int)) == [1]


# -- without pydantic ------------------------------------------------------------------------

WITHOUT_PYDANTIC = """
import sys
sys.modules["pydantic"] = None  # as if not installed
import httpx
from httpx_sse import EventSource
response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=b'data: {"a": 1}\\n\\n')
source = EventSource(response)
try:
    source.iter_parsed(dict)
except ImportError as error:
    print("refused:", error)
print("json:", list(source.iter_parsed()))
"""

NEVER_IMPORTED = """
import sys
import httpx
from httpx_sse import EventSource, protocols
response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=b'data: {"a": 1}\\n\\n')
print(list(EventSource(response).iter_parsed()), "pydantic" in sys.modules)
"""


def test_without_pydantic_types_say_how_to_install_it_and_json_still_works() -> None:
    result = subprocess.run([sys.executable, "-c", WITHOUT_PYDANTIC], capture_output=True, text=True, check=True)
    assert "refused: iter_parsed(types=...) validates with pydantic" in result.stdout
    assert "pip install 'httpx-sse[pydantic]'" in result.stdout
    assert "json: [{'a': 1}]" in result.stdout


def test_pydantic_is_never_imported_unless_types_are_given() -> None:
    result = subprocess.run([sys.executable, "-c", NEVER_IMPORTED], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[{'a': 1}] False"
