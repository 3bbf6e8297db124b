# pyright: strict
"""A user's typed code over httpx: checked by .ci/typing (mypy --strict, pyright strict), with and without httpx2."""

from __future__ import annotations

from typing import List

import httpx

from httpx_sse import EventSource, ServerSentEvent, aconnect_sse, aiter_sse, connect_sse, iter_sse


def read(client: httpx.Client, url: str) -> List[str]:
    with connect_sse(client, "GET", url, reconnect=True) as source:
        response: httpx.Response = source.response
        assert response.status_code == 200
        return [sse.data for sse in source]


async def aread(client: httpx.AsyncClient, url: str) -> List[str]:
    async with aconnect_sse(client, "GET", url) as source:
        response: httpx.Response = source.response
        assert response.status_code == 200
        return [sse.data async for sse in source]


def from_a_response(response: httpx.Response) -> List[ServerSentEvent]:
    source = EventSource(response)
    same: httpx.Response = source.response
    assert same is response
    return list(iter_sse(response)) + list(source)


async def afrom_a_response(response: httpx.Response) -> List[ServerSentEvent]:
    return [sse async for sse in aiter_sse(response)]


def annotated_the_0_4_way(event_source: EventSource) -> int:
    return event_source.response.status_code
