"""Protocol presets: the rules of one protocol on top of SSE, as one keyword.

``connect_sse(client, "POST", url, json=body, protocol=protocols.ANTHROPIC)`` reads an
Anthropic Messages stream to its end: ``message_stop`` is the terminal event, ``ping``
and ``message_start`` are not progress (for ``idle_timeout`` and ``first_event_timeout``),
and an ``overloaded_error`` that arrives before any content is retried when reconnecting.
Keyword options given beside the preset win over it.

A preset is a frozen `Protocol` holding plain functions and no state, so one preset
serves any number of streams at once. Adapt one with `dataclasses.replace`:

```python
import dataclasses

from httpx_sse import protocols

patient = dataclasses.replace(protocols.ANTHROPIC, progress=None)  # every event is progress
```

Each preset's rules come from that protocol's public documentation (its specification,
or the API reference's streaming section and example streams); where it leaves a choice
open, the preset's docstring says what it chose. `PRESETS` holds them all by name, as
the command line's ``--protocol NAME`` takes them.
"""

from __future__ import annotations

from typing import Mapping

from ._a2a import A2A
from ._anthropic import ANTHROPIC
from ._base import Protocol
from ._gemini import GEMINI
from ._graphql import GRAPHQL_SSE
from ._mcp import MCP
from ._openai import OPENAI_CHAT, OPENAI_RESPONSES
from ._vercel import VERCEL_UI

__all__ = [
    "A2A",
    "ANTHROPIC",
    "GEMINI",
    "GRAPHQL_SSE",
    "MCP",
    "OPENAI_CHAT",
    "OPENAI_RESPONSES",
    "PRESETS",
    "VERCEL_UI",
    "Protocol",
]

PRESETS: Mapping[str, Protocol] = {
    preset.name: preset
    for preset in (ANTHROPIC, OPENAI_CHAT, OPENAI_RESPONSES, GEMINI, MCP, A2A, VERCEL_UI, GRAPHQL_SSE)
}
"""Every preset, by its name (``"anthropic"``, ``"openai-chat"``, ``"mcp"``, ...)."""
