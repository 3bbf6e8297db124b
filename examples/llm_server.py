"""Long-stream shapes, to try the lifecycle and protocol options on.

- ``POST /v1/chat/completions`` streams an answer as OpenAI does, token by token,
  then ``data: [DONE]``, and then keeps the connection open, as some servers do.
- ``GET /ticker`` sends events 1 to 6 with ids, and after the third one stalls:
  heartbeats keep the connection busy but no event comes. A client that comes back
  with ``Last-Event-ID`` gets the rest; after the sixth, ``204 No Content``.
- ``POST /v1/messages`` answers as Anthropic does (``message_start``, ``ping``, deltas,
  ``message_stop``), but every other request is "overloaded": an ``event: error``
  inside the 200, before any content.
- ``POST /v1/responses`` starts a background response as OpenAI's Responses API
  does, with a ``sequence_number`` in each payload and no SSE ids, and drops the
  connection halfway; ``GET /v1/responses/{id}?stream=true&starting_after=N`` goes on
  after event N (404 for an id it does not hold).
- ``GET /replaying`` ignores ``Last-Event-ID``: each connection starts again from
  event 1; the first drops after event 3, the next ends with ``event: done``.

Run it with ``uvicorn examples.llm_server:app --port 8002``.
"""

import asyncio
import json
import os
from typing import Any, AsyncIterator, Dict, List

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


def sse(event: str, payload: Dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps({'type': event, **payload})}\n\n".encode()


MESSAGES_SEEN = [0]


async def messages(request: Request) -> Response:
    question = (await request.json())["messages"][-1]["content"]
    MESSAGES_SEEN[0] += 1
    overloaded = MESSAGES_SEEN[0] % 2 == 1

    async def events() -> AsyncIterator[bytes]:
        yield sse("message_start", {"message": {"id": f"msg_{MESSAGES_SEEN[0]}", "role": "assistant"}})
        yield sse("ping", {})
        await asyncio.sleep(DELAY)
        if overloaded:
            yield sse("error", {"error": {"type": "overloaded_error", "message": "Overloaded"}})
            return
        for token in ["You", " asked", ": ", question]:
            await asyncio.sleep(DELAY)
            yield sse("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": token}})
        yield sse("message_stop", {})

    return StreamingResponse(events(), media_type="text/event-stream")


RESPONSES: Dict[str, List[bytes]] = {}


async def create_response(request: Request) -> Response:
    question = (await request.json())["input"]
    response_id = f"resp_{len(RESPONSES) + 1}"
    stream = [sse("response.created", {"sequence_number": 0, "response": {"id": response_id}})]
    for token in ["You", " asked", ": ", question]:
        stream.append(sse("response.output_text.delta", {"sequence_number": len(stream), "delta": token}))
    stream.append(sse("response.completed", {"sequence_number": len(stream), "response": {"id": response_id}}))
    RESPONSES[response_id] = stream

    async def events() -> AsyncIterator[bytes]:
        for event in stream[:3]:
            await asyncio.sleep(DELAY)
            yield event
        raise ConnectionAbortedError("the server drops the connection")

    return StreamingResponse(events(), media_type="text/event-stream")


async def resume_response(request: Request) -> Response:
    stream = RESPONSES.get(request.path_params["response_id"])
    if stream is None:
        return Response('{"error": "no such response"}', status_code=404, media_type="application/json")
    after = int(request.query_params.get("starting_after", "-1"))

    async def events() -> AsyncIterator[bytes]:
        for event in stream[after + 1 :]:
            await asyncio.sleep(DELAY)
            yield event

    return StreamingResponse(events(), media_type="text/event-stream")


REPLAYS = [0]


async def replaying(request: Request) -> Response:
    REPLAYS[0] += 1
    first = REPLAYS[0] % 2 == 1

    async def events() -> AsyncIterator[bytes]:
        for n in range(1, 6):
            await asyncio.sleep(DELAY)
            kind = "event: done\n" if n == 5 else ""
            yield f"id: {n}\n{kind}data: event {n}\n\n".encode()
            if first and n == 3:
                raise ConnectionAbortedError("the server drops the connection")

    return StreamingResponse(events(), media_type="text/event-stream")


app = Starlette(
    routes=[
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/ticker", ticker),
        Route("/v1/messages", messages, methods=["POST"]),
        Route("/v1/responses", create_response, methods=["POST"]),
        Route("/v1/responses/{response_id}", resume_response),
        Route("/replaying", replaying),
    ]
)

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8002)
