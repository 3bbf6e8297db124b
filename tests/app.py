"""The Starlette app the integration tests read from, served by uvicorn on loopback."""

from __future__ import annotations

import asyncio
import functools
import gzip
import json
import zlib
from typing import AsyncIterator, Dict, Iterable, Iterator

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


async def numbers(request: Request) -> EventSourceResponse:
    count = int(request.query_params.get("count", "5"))

    async def events() -> AsyncIterator[ServerSentEvent]:
        for n in range(1, count + 1):
            yield ServerSentEvent(data=str(n), id=str(n), event="number")

    return EventSourceResponse(events())


async def slow(request: Request) -> EventSourceResponse:
    async def events() -> AsyncIterator[ServerSentEvent]:
        for n in range(1, 10_000):
            yield ServerSentEvent(data=f"tick {n}", id=str(n))
            await asyncio.sleep(0.05)

    return EventSourceResponse(events())


async def silent(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"data: hello\n\n"
        await asyncio.sleep(30)

    return StreamingResponse(chunks(), media_type="text/event-stream")


async def echo(request: Request) -> EventSourceResponse:
    body = (await request.body()).decode()
    seen: Dict[str, str] = {"method": request.method, "body": body, **request.headers}

    async def events() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(data=json.dumps(seen), event="echo")

    return EventSourceResponse(events())


async def status(request: Request) -> Response:
    code = int(request.path_params["code"])
    if code == 204:
        return Response(status_code=204)
    return JSONResponse({"error": "nope", "status": code}, status_code=code)


async def html(request: Request) -> Response:
    return Response("<html><body>Not a stream</body></html>", media_type="text/html")


def raw_stream(body: bytes, media_type: str = "text/event-stream") -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        yield body

    return StreamingResponse(chunks(), media_type=media_type)


async def big(request: Request) -> Response:
    size = int(request.query_params["size"])
    return raw_stream(b"data: before\n\ndata: " + b"x" * size + b"\n\ndata: after\n\n")


async def invalid_utf8(request: Request) -> Response:
    return raw_stream(b"data: caf\xc3\xa9 \xff\xfe end\n\n")


async def latin1_declared(request: Request) -> Response:
    # The spec says event streams are always UTF-8, whatever charset is declared.
    return raw_stream("data: café\n\n".encode(), media_type="text/event-stream; charset=latin-1")


async def gzipped(request: Request) -> Response:
    body = gzip.compress(b"data: compressed 1\n\ndata: compressed 2\n\n")
    return Response(body, media_type="text/event-stream", headers={"Content-Encoding": "gzip"})


def compressed_flood(prefix: bytes, size: int, layers: int, *, wbits: int = 31) -> bytes:
    """``prefix`` then ``size`` bytes of one long data line, compressed ``layers`` times over."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, wbits)
    parts = [squeeze.compress(prefix)]
    block = b"a" * (1 << 20)
    for _ in range(size // len(block)):
        parts.append(squeeze.compress(block))
    body = b"".join(parts) + squeeze.flush()
    for _ in range(layers - 1):
        body = gzip.compress(body, 9)
    return body


@functools.cache
def bomb_body() -> bytes:
    return compressed_flood(b"data: before\n\ndata: ", 256 << 20, 2)


async def bomb(request: Request) -> Response:
    # 256 MiB of one data line, sent as well under a KiB of gzip, gzip.
    return Response(bomb_body(), media_type="text/event-stream", headers={"Content-Encoding": "gzip, gzip"})


def encoded(encoding: str, parts: Iterable[bytes]) -> bytes:
    """``parts`` compressed as one ``br`` or ``gzip`` stream, or (``zstd``) one zstd frame each."""
    if encoding == "gzip":
        return gzip.compress(b"".join(parts), 6)
    if encoding == "br":
        import brotli

        squeeze = brotli.Compressor(quality=1)
        return b"".join(squeeze.process(part) for part in parts) + squeeze.finish()
    import zstandard

    return b"".join(zstandard.ZstdCompressor(level=1).compress(part) for part in parts)


def flood(prefix: bytes, size: int) -> Iterator[bytes]:
    yield prefix
    block = b"a" * (1 << 20)
    for _ in range(size // len(block)):
        yield block


@functools.cache
def encoded_body(encodings: str, bomb: bool) -> bytes:
    body = b""
    layers = [value.strip() for value in encodings.split(",")]
    parts: Iterable[bytes] = flood(b"data: before\n\ndata: ", 256 << 20) if bomb else EVENTS_IN_PARTS
    for layer in layers:
        body = encoded(layer, parts)
        parts = [body]
    return body


EVENTS_IN_PARTS = [b"data: packed 1\n\n", b"id: 2\ndata: packed 2\n\n", b"data: packed 3\n\n"]


async def encoded_stream(request: Request) -> Response:
    encodings = request.query_params["encoding"]
    body = encoded_body(encodings, request.query_params.get("bomb") == "1")

    async def chunks() -> AsyncIterator[bytes]:
        step = len(body) if request.query_params.get("bomb") == "1" else 1  # small streams a byte at a time
        for start in range(0, len(body), step):
            yield body[start : start + step]

    return StreamingResponse(chunks(), media_type="text/event-stream", headers={"Content-Encoding": encodings})


async def deflated(request: Request) -> Response:
    raw = request.query_params.get("raw") == "1"
    squeeze = zlib.compressobj(6, zlib.DEFLATED, -15 if raw else 15)
    body = squeeze.compress(b"data: deflated 1\n\ndata: deflated 2\n\n") + squeeze.flush()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(len(body)):  # a byte at a time: the kind of deflate is known late
            yield body[start : start + 1]

    return StreamingResponse(chunks(), media_type="text/event-stream", headers={"Content-Encoding": "deflate"})


async def hostile(request: Request) -> Response:
    # Terminal escapes a server should never get to play: retitle, clear, bell, CSI, bidi.
    return raw_stream(
        "event: ti\x1b]0;pwned\x07ck\nid: 7\x1b[2J\ndata: a\x1b[1Ab\x9bc\u202ed\n\n".encode()
        + b"retry: "
        + b"9" * 400
        + b"\nid: 8\ndata: huge retry\n\n"
    )


async def drop(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"id: 1\ndata: one\n\n"
        yield b"id: 2\ndata: tw"
        raise RuntimeError("the server falls over mid-event")

    return StreamingResponse(chunks(), media_type="text/event-stream")


async def redirect(request: Request) -> Response:
    return Response(status_code=302, headers={"Location": "/numbers?count=2"})


app = Starlette(
    routes=[
        Route("/numbers", numbers),
        Route("/echo", echo, methods=["GET", "POST"]),
        Route("/status/{code}", status),
        Route("/html", html),
        Route("/big", big),
        Route("/invalid-utf8", invalid_utf8),
        Route("/latin1-declared", latin1_declared),
        Route("/drop", drop),
        Route("/hostile", hostile),
        Route("/gzip", gzipped),
        Route("/bomb", bomb),
        Route("/deflate", deflated),
        Route("/encoded", encoded_stream),
        Route("/slow", slow),
        Route("/silent", silent),
        Route("/redirect", redirect),
    ]
)
