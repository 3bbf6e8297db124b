"""Real-world stream shapes, each as the list of its events' bytes, so that a shape can be
fed one HTTP chunk per event (as servers flush) or in 4 KiB chunks (as proxies buffer).

Each shape names where it comes from. Standard library only: every contender imports it.
"""

from __future__ import annotations

import json
from typing import Callable, Dict, List, Tuple

WORDS = ["The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".", " Über", " naïve"]
N = 50_000


def _word(i: int) -> str:
    return WORDS[i % len(WORDS)]


def openai_chat() -> List[str]:
    """OpenAI chat completions: data-only JSON chunks, then ``data: [DONE]``."""
    out = []
    for i in range(N):
        chunk = {
            "id": "chatcmpl-9f8e7d",
            "object": "chat.completion.chunk",
            "created": 1718000000,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": {"content": _word(i)}, "finish_reason": None}],
        }
        out.append(f"data: {json.dumps(chunk, separators=(',', ':'))}\n\n")
    return [*out, "data: [DONE]\n\n"]


def anthropic_messages() -> List[str]:
    """Anthropic messages: ``event:`` then ``data:``, with a ``ping`` now and then."""
    out = []
    for i in range(N):
        if i % 50 == 0:
            out.append('event: ping\ndata: {"type": "ping"}\n\n')
        delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": _word(i)}}
        out.append(f"event: content_block_delta\ndata: {json.dumps(delta)}\n\n")
    return out


def starlette_crlf() -> List[str]:
    """sse-starlette defaults: CRLF line ends, a ``: ping`` comment every 15 s."""
    out = []
    for i in range(N):
        if i % 100 == 0:
            out.append(": ping - 2024-06-10 12:00:00.000000+00:00\r\n\r\n")
        out.append(f"data: {json.dumps({'text': _word(i)})}\r\n\r\n")
    return out


def starlette_fields() -> List[str]:
    """sse-starlette with id, event, data and retry, in its order, CRLF."""
    return [f"id: {i}\r\nevent: update\r\ndata: {json.dumps({'seq': i})}\r\nretry: 15000\r\n\r\n" for i in range(N)]


def gemini() -> List[str]:
    """Gemini ``streamGenerateContent?alt=sse``: CRLF, larger JSON chunks."""
    out = []
    for i in range(N // 5):
        chunk = {
            "candidates": [
                {"content": {"parts": [{"text": "".join(_word(i + j) for j in range(8))}], "role": "model"}}
            ],
            "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": i, "totalTokenCount": 9 + i},
            "modelVersion": "gemini-1.5-flash",
        }
        out.append(f"data: {json.dumps(chunk)}\r\n\r\n")
    return out


def github_style() -> List[str]:
    """GitHub / Mastodon style: ``event`` before ``id``, and ``:`` heartbeats."""
    out = []
    for i in range(N):
        if i % 20 == 0:
            out.append(":\n\n")
        out.append(f'event: update\nid: {i}\ndata: {{"id": {i}, "content": "{_word(i)}"}}\n\n')
    return out


def spring_no_spaces() -> List[str]:
    """Spring's ``ServerSentEvent`` writer: no space after the colons."""
    return [f'id:{i}\nevent:message\ndata:{{"n":{i},"w":"{_word(i)}"}}\n\n' for i in range(N)]


def tgi_no_spaces() -> List[str]:
    """Hugging Face TGI: data-only, no space after the colon."""
    tok = '{"token":{"id":%d,"text":"%s","logprob":-0.1,"special":false},"generated_text":null}'
    return [f"data:{tok % (i, _word(i))}\n\n" for i in range(N)]


def wikimedia() -> List[str]:
    """Wikimedia EventStreams: ``event``, a JSON ``id``, ~1.4 KB of JSON ``data``."""
    out = []
    for i in range(N // 10):
        event_id = json.dumps([{"topic": "eqiad.mediawiki.recentchange", "partition": 0, "offset": 5_000_000 + i}])
        payload = {
            "$schema": "/mediawiki/recentchange/1.0.0",
            "meta": {"uri": f"https://en.wikipedia.org/wiki/Page_{i}", "id": f"{i:032x}", "domain": "en.wikipedia.org"},
            "type": "edit",
            "title": f"Page {i}",
            "comment": "copyedit " * 60,
            "user": "Example",
            "length": {"old": 1000 + i, "new": 1010 + i},
        }
        out.append(f"event: message\nid: {event_id}\ndata: {json.dumps(payload)}\n\n")
    return out


def heartbeats_only() -> List[str]:
    """A quiet stream: comments only, no event at all."""
    return [": ping\n\n"] * N


def pretty_json() -> List[str]:
    """Pretty-printed JSON: one ``data`` line per line of it."""
    out = []
    for i in range(N // 10):
        text = json.dumps({"seq": i, "items": [{"word": _word(i + j), "n": j} for j in range(3)]}, indent=2)
        out.append("".join(f"data: {line}\n" for line in text.splitlines()) + "\n")
    return out


def data_before_id() -> List[str]:
    """``data`` first, then ``id`` (as some hand-written servers send)."""
    return [f'data: {{"n": {i}}}\nid: {i}\n\n' for i in range(N)]


def crlf_multiline() -> List[str]:
    """CRLF with several ``data`` lines per event."""
    return ["".join(f"data: line {j} {_word(i + j)}\r\n" for j in range(4)) + "\r\n" for i in range(N // 2)]


def cr_only() -> List[str]:
    """Lone CR line ends (old Mac style), which the spec allows."""
    return [f"id: {i}\rdata: {_word(i)}\r\r" for i in range(N)]


SHAPES: Dict[str, Tuple[str, Callable[[], List[str]]]] = {
    "openai-chat": ("OpenAI chat completions", openai_chat),
    "anthropic": ("Anthropic messages", anthropic_messages),
    "starlette-crlf": ("sse-starlette, CRLF + pings", starlette_crlf),
    "starlette-fields": ("sse-starlette id/event/data/retry", starlette_fields),
    "gemini": ("Gemini alt=sse", gemini),
    "github": ("GitHub/Mastodon: event before id", github_style),
    "spring": ("Spring, no spaces", spring_no_spaces),
    "tgi": ("TGI data-only, no spaces", tgi_no_spaces),
    "wikimedia": ("Wikimedia EventStreams", wikimedia),
    "heartbeats": ("heartbeats only", heartbeats_only),
    "pretty-json": ("pretty-printed multi-line JSON", pretty_json),
    "data-before-id": ("data before id", data_before_id),
    "crlf-multiline": ("CRLF, multi-line data", crlf_multiline),
    "cr-only": ("CR line ends only", cr_only),
}


def shape_chunks(name: str, chunk: int) -> List[bytes]:
    """A shape's bytes: one chunk per event (``chunk`` 0), or chunks of ``chunk`` bytes."""
    events = [event.encode() for event in SHAPES[name][1]()]
    if chunk == 0:
        return events
    data = b"".join(events)
    return [data[i : i + chunk] for i in range(0, len(data), chunk)]
