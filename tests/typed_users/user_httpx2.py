# pyright: strict
"""A user's typed code over httpx2: .ci/typing checks that the types follow the client library."""

from __future__ import annotations

from typing import List

import httpx2

from httpx_sse import EventSource, aconnect_sse, connect_sse


def read(client: httpx2.Client, url: str) -> List[str]:
    with connect_sse(client, "GET", url) as source:
        response: httpx2.Response = source.response
        assert response.status_code == 200
        return [sse.data for sse in source]


async def aread(client: httpx2.AsyncClient, url: str) -> List[str]:
    async with aconnect_sse(client, "GET", url) as source:
        response: httpx2.Response = source.response
        assert response.status_code == 200
        return [sse.data async for sse in source]


def from_a_response(response: httpx2.Response) -> httpx2.Response:
    return EventSource(response).response
