"""A compressed body, decompressed in bounded pieces.

httpx decompresses each network read whole: a few hundred bytes of ``gzip, gzip`` can
grow into a gigabyte before the decoder sees the first of it, and ``max_event_size``
is then no bound at all. Here each layer of ``Content-Encoding`` (gzip, deflate, br
with brotli 1.2 or later, zstd with zstandard) hands on at most `PIECE` bytes at a
time (zstd: a few of its blocks), so the memory a read costs stays within a small multiple of
`PIECE`, whatever the ratio; the decoder's own bound then stops a flood of bytes that
makes no event.
"""

from __future__ import annotations

import zlib
from typing import Any, AsyncIterator, Iterator, List, Optional, Protocol

#: The most bytes one layer hands on at a time.
PIECE = 64 * 1024

_GZIP_WBITS = zlib.MAX_WBITS | 16
_ZLIB_WBITS = zlib.MAX_WBITS
_RAW_DEFLATE_WBITS = -zlib.MAX_WBITS


class _Corrupt(Exception):
    """A layer's bytes do not decompress (zlib's, brotli's or zstandard's own error is the cause)."""


class _Layer(Protocol):
    def pieces(self, data: bytes) -> Iterator[bytes]:
        """The bytes ``data`` decompresses to, at most `PIECE` (or, for zstd, a few blocks) at a time."""


class _ZlibLayer:
    """One ``gzip`` or ``deflate`` layer (a deflate body may come with or without its zlib header)."""

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        self._started = False
        self._head = b""  # a deflate body's first bytes, until its kind is known
        self._inflater: Any = zlib.decompressobj(_ZLIB_WBITS if self._deflate else _GZIP_WBITS)

    def pieces(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                out = self._decompress(data)
            except zlib.error as error:
                raise _Corrupt(error) from error
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


class _BrotliLayer:
    """One ``br`` layer, with brotli 1.2's bounded output (``output_buffer_limit``)."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self._decompressor = module.Decompressor()

    def pieces(self, data: bytes) -> Iterator[bytes]:
        decompressor = self._decompressor
        try:
            out = decompressor.process(data, output_buffer_limit=PIECE)
            while out:
                yield out
                if decompressor.can_accept_more_data():
                    return
                # Output is still held back: it comes with empty input, a piece at a time.
                out = decompressor.process(b"", output_buffer_limit=PIECE)
        except self._module.error as error:
            raise _Corrupt(error) from error


class _ZstdLayer:
    """One ``zstd`` layer. zstandard's decompressor takes no output bound, so it is fed a few
    bytes at a time: a zstd block holds at most 128 KiB, and no block is under 3 bytes, so
    one feed makes at most a few blocks, however the body was compressed."""

    FEED = 16
    #: RFC 9659: a zstd body sent over HTTP needs a window of at most 8 MiB; a frame that
    #: asks for more (a hostile one could ask for a gigabyte) is refused, as browsers do.
    MAX_WINDOW = 8 << 20

    def __init__(self, module: Any) -> None:
        self._module = module
        self._decompressor = self._frame()

    def _frame(self) -> Any:
        return self._module.ZstdDecompressor(max_window_size=self.MAX_WINDOW).decompressobj()

    def pieces(self, data: bytes) -> Iterator[bytes]:
        try:
            for start in range(0, len(data), self.FEED):
                piece = data[start : start + self.FEED]
                while piece:
                    if self._decompressor.eof:  # another frame follows: it decodes on its own
                        self._decompressor = self._frame()
                    out = self._decompressor.decompress(piece)
                    piece = self._decompressor.unused_data if self._decompressor.eof else b""
                    if out:
                        yield out
        except self._module.ZstdError as error:
            raise _Corrupt(error) from error


def _brotli() -> Optional[Any]:
    """brotli, if installed and able to bound its output (1.2 and later), else ``None``."""
    try:
        import brotli  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return None
    try:
        brotli.Decompressor().process(b"", output_buffer_limit=1)
    except TypeError:  # an older brotli: httpx decodes br then, unbounded
        return None
    return brotli


def _zstandard() -> Optional[Any]:
    try:
        import zstandard  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return None
    return zstandard


def _layer(encoding: str) -> Optional[_Layer]:
    """A bounded layer for one encoding; ``None`` where there is none (httpx decodes it, if it can)."""
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _ZlibLayer("deflate" if encoding == "deflate" else "gzip")
    if encoding == "br":
        brotli = _brotli()
        return None if brotli is None else _BrotliLayer(brotli)
    if encoding == "zstd":
        zstandard = _zstandard()
        return None if zstandard is None else _ZstdLayer(zstandard)
    return None


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
        except _Corrupt as error:
            cause = error.__cause__
            raise self._decoding_error(f"the response body could not be decompressed: {cause}") from cause

    def sync(self, raw: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in raw:
            yield from self.pieces(chunk)

    async def asynchronous(self, raw: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for chunk in raw:
            for piece in self.pieces(chunk):
                yield piece


def bounded_decompression(content_encoding: str, decoding_error: type) -> Optional[BoundedDecompression]:
    """How to decompress a body sent with ``content_encoding``, or ``None`` to leave it to httpx.

    ``None`` for a body that is not compressed, and for one with an encoding that has no
    bounded layer here: not one httpx knows, or ``br`` with a brotli older than 1.2 (httpx
    then decodes it as it always does, or passes it on as it is).
    """
    layers: List[_Layer] = []
    for value in content_encoding.split(","):
        encoding = value.strip().lower()
        if encoding in ("", "identity"):
            continue
        layer = _layer(encoding)
        if layer is None:
            return None
        layers.append(layer)
    if not layers:
        return None
    # The encodings are listed in the order they were applied: the last is undone first.
    return BoundedDecompression(layers[::-1], decoding_error)
