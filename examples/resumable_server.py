"""A server that drops the connection every few events, to try reconnection on.

Events 1 to 10 carry ids. Every connection sends three of them, starting after the
client's ``Last-Event-ID``, then fails in the middle of the next event. Once all ten
are sent the stream ends, and a client that comes back is told ``204 No Content``.

Run it with ``uvicorn examples.resumable_server:app --port 8001``.
"""

import asyncio
import os
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

TOTAL = 10
PER_CONNECTION = 3
DELAY = float(os.environ.get("NUMBERS_DELAY", "0.2"))


async def numbers(request: Request) -> Response:
    start = int(request.headers.get("last-event-id", "0")) + 1
    if start > TOTAL:
        return Response(status_code=204)

    async def events() -> AsyncIterator[bytes]:
        for n in range(start, min(TOTAL, start + PER_CONNECTION - 1) + 1):
            await asyncio.sleep(DELAY)
            yield f"id: {n}\ndata: {n}\n\n".encode()
        if n < TOTAL:
            yield f"id: {n + 1}\ndata: this event never arrives whole".encode()
            raise ConnectionAbortedError("the server drops the connection")

    return StreamingResponse(events(), media_type="text/event-stream")


app = Starlette(routes=[Route("/numbers", numbers)])

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8001)
