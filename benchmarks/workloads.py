"""The benchmark workloads: deterministic event streams and how to chunk them.

Standard library only, so that both contenders' processes can import it.
"""

from __future__ import annotations

import json
from typing import Callable, Dict, List

WORDS = ["The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".", " Über", " naïve", " café"]


def tokens(n: int = 200_000, newline: str = "\n") -> bytes:
    """Small LLM-style events: one JSON ``data`` line each."""
    nl = newline
    return "".join(
        f"data: {json.dumps({'choices': [{'delta': {'content': WORDS[i % len(WORDS)]}}]})}{nl}{nl}" for i in range(n)
    ).encode()


def crlf(n: int = 200_000) -> bytes:
    return tokens(n, "\r\n")


def fields(n: int = 200_000) -> bytes:
    """Events with id, event and retry fields, and a comment every tenth event."""
    out = []
    for i in range(n):
        comment = ": keep-alive\n" if i % 10 == 0 else ""
        retry = "retry: 3000\n" if i % 100 == 0 else ""
        out.append(f'{comment}id: {i}\nevent: update\n{retry}data: {{"seq": {i}, "word": "{WORDS[i % 13]}"}}\n\n')
    return "".join(out).encode()


def multiline(n: int = 2_000, lines: int = 50) -> bytes:
    """Events of 50 ``data`` lines each."""
    event = "".join(f"data: line {j} of a multi-line payload, with some text\n" for j in range(lines)) + "\n"
    return (event * n).encode()


def big(n: int = 20, size: int = 1 << 20) -> bytes:
    """Single-line 1 MiB events."""
    line = ("x" * 63 + "y") * (size // 64)
    return ("".join(f"data: {line}\n\n" for _ in range(n))).encode()


WORKLOADS: Dict[str, Callable[[], bytes]] = {
    "tokens": tokens,
    "crlf": crlf,
    "fields": fields,
    "multiline": multiline,
    "big": big,
}


def chunked(data: bytes, size: int) -> List[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]
