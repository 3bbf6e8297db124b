"""Two long-stream shapes, to try ``until`` and ``idle_timeout`` on.

- ``POST /v1/chat/completions`` streams an answer as OpenAI does, token by token,
  then ``data: [DONE]``, and then keeps the connection open, as some servers do.
- ``GET /ticker`` sends events 1 to 6 with ids, and after the third one stalls:
  heartbeats keep the connection busy but no event comes. A client that comes back
  with ``Last-Event-ID`` gets the rest; after the sixth, ``204 No Content``.

Run it with ``uvicorn examples.llm_server:app --port 8002``.
"""

import asyncio
import json
import os
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

DELAY = float(os.environ.get("NUMBERS_DELAY", "0.1"))
TICKS = 6


async def chat(request: Request) -> Response:
    question = (await request.json())["messages"][-1]["content"]

    async def tokens() -> AsyncIterator[bytes]:
        for token in ["You", " asked", ": ", question]:
            await asyncio.sleep(DELAY)
            chunk = {"choices": [{"delta": {"content": token}}]}
            yield f"data: {json.dumps(chunk)}\n\n".encode()
        yield b"data: [DONE]\n\n"
        await asyncio.sleep(3600)  # the connection stays open: the client decides it is done

    return StreamingResponse(tokens(), media_type="text/event-stream")


async def ticker(request: Request) -> Response:
    start = int(request.headers.get("last-event-id", "0")) + 1
    if start > TICKS:
        return Response(status_code=204)

    async def events() -> AsyncIterator[bytes]:
        for n in range(start, TICKS + 1):
            await asyncio.sleep(DELAY)
            yield f"id: {n}\ndata: tick {n}\n\n".encode()
            if n == 3 and start == 1:
                while True:  # stalled: only heartbeats from here on
                    await asyncio.sleep(DELAY)
                    yield b": ping\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]), Route("/ticker", ticker)])

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8002)
