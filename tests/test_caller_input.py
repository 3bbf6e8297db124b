"""What the caller passes is checked at the call, before anything is sent."""

from __future__ import annotations

from typing import List

import httpx
import pytest

from httpx_sse import aconnect_sse, connect_sse


def recording_client(sent: List[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=b"data: a\n\n")

    return httpx.Client(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("bad", ["1\r\nX-Injected: yes", "7\n", "a\x00b", "\x1b[31m", "x\x7f"])
def test_a_last_event_id_http_cannot_carry_is_refused_before_sending(bad: str) -> None:
    sent: List[httpx.Request] = []
    with recording_client(sent) as client:
        with pytest.raises(ValueError, match="control characters"):
            with connect_sse(client, "GET", "http://test/stream", last_event_id=bad):
                pass  # pragma: no cover - never reached
        with pytest.raises(ValueError, match="control characters"):
            with connect_sse(client, "GET", "http://test/stream", headers={"Last-Event-ID": bad}):
                pass  # pragma: no cover - never reached
    assert sent == []


@pytest.mark.anyio
async def test_the_async_twin_refuses_it_too() -> None:
    sent: List[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=b"")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ValueError, match="control characters"):
            async with aconnect_sse(client, "GET", "http://test/", last_event_id="1\r\nX: y"):
                pass  # pragma: no cover - never reached
    assert sent == []


def test_a_last_event_id_that_is_not_a_str_is_a_type_error() -> None:
    sent: List[httpx.Request] = []
    with recording_client(sent) as client, pytest.raises(TypeError, match="last_event_id must be a str"):
        with connect_sse(client, "GET", "http://test/", last_event_id=7):  # type: ignore[arg-type]
            pass  # pragma: no cover - never reached
    assert sent == []


def test_an_id_with_tabs_and_spaces_around_it_is_fine() -> None:
    sent: List[httpx.Request] = []
    with recording_client(sent) as client:
        with connect_sse(client, "GET", "http://test/", last_event_id=" \t42\t ") as source:
            assert [sse.data for sse in source] == ["a"]
    assert sent[0].headers["last-event-id"] == "42"
