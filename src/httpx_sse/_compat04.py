"""httpx-sse 0.4.3's private line readers, ``_iter_sse_lines`` and ``_aiter_sse_lines``.

Nothing in the package reads lines: the decoder works on bytes. They are kept, reachable
from ``httpx_sse._api`` where 0.4.3 had them, because 0.4.3's own test suite (and code
that copied from it) imports them. A line ends at CR, LF or CRLF, as the spec says (not
at the other line breaks of ``str.splitlines``); the body is UTF-8; an unterminated last
line is still yielded.
"""

from __future__ import annotations

import codecs
import re
from typing import Any, AsyncIterator, Iterator, List

_LINE_END = re.compile("\r\n|\r|\n")


class _Lines:
    def __init__(self) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""
        self._after_cr = False  # a CR ended the last text: an LF first in the next completes CRLF

    def feed(self, data: bytes) -> List[str]:
        text = self._text.decode(data)
        if not text:
            return []
        if self._after_cr and text[0] == "\n":
            text = text[1:]
        self._after_cr = text[-1:] == "\r"
        lines = _LINE_END.split(self._pending + text)
        self._pending = lines.pop()
        return lines

    def flush(self) -> List[str]:
        rest = self._pending + self._text.decode(b"", final=True)
        self._pending = ""
        return [rest] if rest else []


def _iter_sse_lines(response: Any) -> Iterator[str]:
    lines = _Lines()
    for chunk in response.iter_bytes():
        yield from lines.feed(chunk)
    yield from lines.flush()


async def _aiter_sse_lines(response: Any) -> AsyncIterator[str]:
    lines = _Lines()
    async for chunk in response.aiter_bytes():
        for line in lines.feed(chunk):
            yield line
    for line in lines.flush():
        yield line
