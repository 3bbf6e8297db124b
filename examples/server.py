"""The original README's example server: the numbers 1 to 5 as server-sent events.

Run it with ``uvicorn examples.server:app`` (or ``python examples/server.py``), then
read it with the client in README.md. ``NUMBERS_DELAY`` sets the pause between events
in seconds (default 0.9).
"""

import asyncio
import os
from typing import AsyncIterator, Dict

from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

DELAY = float(os.environ.get("NUMBERS_DELAY", "0.9"))


async def numbers(minimum: int, maximum: int) -> AsyncIterator[Dict[str, int]]:
    for i in range(minimum, maximum + 1):
        await asyncio.sleep(DELAY)
        yield {"data": i}


async def sse(request: Request) -> EventSourceResponse:
    generator = numbers(1, 5)
    return EventSourceResponse(generator)


routes = [Route("/sse", endpoint=sse)]

app = Starlette(routes=routes)

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
