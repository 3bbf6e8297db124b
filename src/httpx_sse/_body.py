"""Reading a response's body as chunks, as cheaply as httpx allows, and letting go of it."""

from __future__ import annotations

import contextlib
import socket
from typing import Any, AsyncIterator, Iterator, Optional

import httpx

from ._encoding import BoundedDecompression, bounded_decompression
from ._libs import Library


def _reads_raw(response: httpx.Response) -> bool:
    """Whether the body can be read straight from the transport's stream.

    Without a Content-Encoding the transport's bytes are the body, and reading them
    directly skips httpx's iter_raw and iter_bytes generators: a third of the
    client's own cost per chunk when a server sends one event per chunk. What those
    layers also do is done by the readers: the stream is marked consumed, and a
    network error gets its request. Not kept: num_bytes_downloaded.
    """
    if response.is_stream_consumed:
        return False  # already read: iter_bytes() gives the content
    encoding: str = response.headers.get("content-encoding", "identity")
    if encoding.strip().lower() != "identity":
        return False
    response.is_stream_consumed = True
    return True


def _decompression(response: httpx.Response, lib: Library) -> Optional[BoundedDecompression]:
    """Ours, for a gzip or deflate body not yet read (httpx's would inflate each read whole)."""
    if response.is_stream_consumed:
        return None
    return bounded_decompression(response.headers.get("content-encoding", ""), lib.decoding_error)


def sync_chunks(response: httpx.Response, lib: Library) -> Iterator[bytes]:
    stream: Any = response.stream
    if isinstance(stream, lib.sync_stream) and _reads_raw(response):
        return iter(stream)
    decompression = _decompression(response, lib)
    if decompression is not None:
        return decompression.sync(response.iter_raw())
    return response.iter_bytes()


def async_chunks(response: httpx.Response, lib: Library) -> AsyncIterator[bytes]:
    # The iterator itself, so that the loop can finish it (see `aclose`).
    stream: Any = response.stream
    if isinstance(stream, lib.async_stream) and _reads_raw(response):
        return stream.__aiter__()  # type: ignore[no-any-return]
    decompression = _decompression(response, lib)
    if decompression is not None:
        return decompression.asynchronous(response.aiter_raw())
    return response.aiter_bytes()


async def aclose(response: httpx.Response, chunks: Optional[AsyncIterator[bytes]]) -> None:
    """Close the connection, then run httpx's chain of body generators to its end.

    Leaving an async generator part-way leaves the generators it was reading from
    suspended, for the garbage collector to finalize late (trio warns of each):
    once the connection is closed, reading on ends them all at once.
    """
    await response.aclose()
    if chunks is not None:
        try:
            async for _ in chunks:
                pass
        except Exception:  # a closed stream may say so; it is closed either way
            pass


def wake_reader(response: httpx.Response) -> None:
    """Make a read blocked on ``response``'s connection return, from another thread or task."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    # A socket of any kind (the standard one, asyncio's or trio's wrapper of it).
    shutdown = getattr(sock, "shutdown", None)
    if shutdown is not None and response.http_version != "HTTP/2":
        # The reader sees the end of the connection at once, sync or async. (An HTTP/2
        # connection may carry other streams: those are left alone.)
        with contextlib.suppress(OSError):
            shutdown(socket.SHUT_RDWR)
    else:
        with contextlib.suppress(Exception):  # the reader's own close will follow
            response.close()
