"""httpx-sse 0.4's module path for its decoder, kept for code that imports it from here.

Deprecated: import `SSEDecoder` from ``httpx_sse`` itself. 0.4's ``decode(line)`` (one
line of text at a time, no line end) still works on it, with this package's parsing:
a block without ``data`` dispatches no event, as the spec says.
"""

from __future__ import annotations

import warnings
from typing import Optional

from ._decoder import SSEDecoder as _SSEDecoder
from ._models import ServerSentEvent

__all__ = ["SSEDecoder"]

warnings.warn(
    "httpx_sse._decoders is a private module of httpx-sse 0.4; import SSEDecoder from httpx_sse instead",
    DeprecationWarning,
    stacklevel=2,
)


class SSEDecoder(_SSEDecoder):
    """`httpx_sse.SSEDecoder`, with 0.4's line-at-a-time ``decode(line)`` as well."""

    __slots__ = ()

    def decode(self, line: str) -> Optional[ServerSentEvent]:
        """Take one line (without its line end); return the event a blank line dispatches, or ``None``."""
        events = self.feed(line.encode("utf-8") + b"\n")
        return events[-1] if events else None
