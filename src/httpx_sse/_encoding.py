"""A compressed body, decompressed in bounded pieces.

httpx decompresses each network read whole: a few hundred bytes of ``gzip, gzip`` can
grow into a gigabyte before the decoder sees the first of it, and ``max_event_size``
is then no bound at all. Here each layer of ``Content-Encoding`` hands on at most
`PIECE` bytes at a time, so the memory a read costs stays within a small multiple of
`PIECE`, whatever the ratio; the decoder's own bound then stops a flood of bytes that
makes no event.
"""

from __future__ import annotations

import zlib
from typing import Any, AsyncIterator, Iterator, List, Optional

#: The most bytes one layer hands on at a time.
PIECE = 64 * 1024

_GZIP_WBITS = zlib.MAX_WBITS | 16
_ZLIB_WBITS = zlib.MAX_WBITS
_RAW_DEFLATE_WBITS = -zlib.MAX_WBITS


class _Layer:
    """One ``gzip`` or ``deflate`` layer (a deflate body may come with or without its zlib header)."""

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        self._started = False
        self._head = b""  # a deflate body's first bytes, until its kind is known
        self._inflater: Any = zlib.decompressobj(_ZLIB_WBITS if self._deflate else _GZIP_WBITS)

    def pieces(self, data: bytes) -> Iterator[bytes]:
        """The bytes ``data`` decompresses to, at most `PIECE` at a time."""
        while True:
            out = self._decompress(data)
            data = self._inflater.unconsumed_tail
            if self._inflater.eof and self._inflater.unused_data and not self._deflate:
                # Another gzip member follows (allowed by RFC 1952): it decodes on its own.
                data = self._inflater.unused_data + data
                self._inflater = zlib.decompressobj(_GZIP_WBITS)
            if out:
                yield out
            # A full piece may leave output inside zlib with no input left: ask again.
            if not data and len(out) < PIECE:
                return

    def _decompress(self, data: bytes) -> bytes:
        if self._started or not self._deflate:
            return self._inflater.decompress(data, PIECE)  # type: ignore[no-any-return]
        self._head += data
        try:
            out: bytes = self._inflater.decompress(data, PIECE)
        except zlib.error:
            # Servers send "deflate" both ways: a body without the zlib header is raw
            # deflate, decoded from its first byte.
            self._inflater = zlib.decompressobj(_RAW_DEFLATE_WBITS)
            self._started = True
            return self._inflater.decompress(self._head, PIECE)  # type: ignore[no-any-return]
        # Once its output starts (or its header is long past), the body is what it said.
        self._started = bool(out) or len(self._head) > 64
        return out


def _through(layers: List[_Layer], data: bytes) -> Iterator[bytes]:
    if not layers:
        if data:
            yield data
        return
    first, rest = layers[0], layers[1:]
    for piece in first.pieces(data):
        yield from _through(rest, piece)


class BoundedDecompression:
    """The layers of a ``Content-Encoding``, outermost first, decoded piece by piece."""

    def __init__(self, layers: List[_Layer], decoding_error: type) -> None:
        self._layers = layers
        self._decoding_error = decoding_error

    def pieces(self, chunk: bytes) -> Iterator[bytes]:
        """What one chunk of the body decompresses to, at most `PIECE` bytes at a time."""
        try:
            yield from _through(self._layers, chunk)
        except zlib.error as error:
            raise self._decoding_error(f"the response body could not be decompressed: {error}") from error

    def sync(self, raw: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in raw:
            yield from self.pieces(chunk)

    async def asynchronous(self, raw: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for chunk in raw:
            for piece in self.pieces(chunk):
                yield piece


def bounded_decompression(content_encoding: str, decoding_error: type) -> Optional[BoundedDecompression]:
    """How to decompress a body sent with ``content_encoding``, or ``None`` to leave it to httpx.

    ``None`` for a body that is not compressed, and for an encoding other than gzip and
    deflate (br, zstd: httpx decodes those, when their modules are installed).
    """
    layers: List[_Layer] = []
    for value in content_encoding.split(","):
        encoding = value.strip().lower()
        if encoding in ("gzip", "x-gzip"):
            layers.append(_Layer("gzip"))
        elif encoding == "deflate":
            layers.append(_Layer("deflate"))
        elif encoding not in ("", "identity"):
            return None
    if not layers:
        return None
    # The encodings are listed in the order they were applied: the last is undone first.
    return BoundedDecompression(layers[::-1], decoding_error)
