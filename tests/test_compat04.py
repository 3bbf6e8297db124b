"""Code written for httpx-sse 0.4.3, unchanged: it runs, and CI checks it with mypy --strict."""

from __future__ import annotations

from typing import AsyncGenerator, List, Optional

import httpx
import pytest

from httpx_sse import EventSource, ServerSentEvent, aconnect_sse


def make_event(event: Optional[str], data: Optional[str], id: Optional[str]) -> ServerSentEvent:
    return ServerSentEvent(event=event, data=data, id=id, retry=None)


def test_none_and_empty_mean_the_defaults_as_in_0_4() -> None:
    assert make_event(None, None, None) == ServerSentEvent()
    assert (make_event(None, None, None).event, make_event(None, None, None).data) == ("message", "")
    assert make_event("", "x", None).event == "message"
    assert make_event(None, None, None).id == ""


async def first_two(client: httpx.AsyncClient, url: str) -> List[str]:
    received: List[str] = []
    async with aconnect_sse(client, "GET", url) as event_source:
        events: AsyncGenerator[ServerSentEvent, None] = event_source.aiter_sse()
        async for sse in events:
            received.append(sse.data)
            if len(received) == 2:
                break
        await events.aclose()
    return received


@pytest.mark.anyio
async def test_aiter_sse_is_an_async_generator_users_can_aclose(server: str) -> None:
    async with httpx.AsyncClient() as client:
        assert await first_two(client, f"{server}/numbers") == ["1", "2"]


def test_event_source_from_a_response(server: str) -> None:
    with httpx.Client() as client, client.stream("GET", f"{server}/numbers?count=2") as response:
        source = EventSource(response)
        assert [sse.data for sse in source.iter_sse()] == ["1", "2"]
