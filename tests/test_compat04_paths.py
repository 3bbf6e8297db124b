"""httpx-sse 0.4's private module path for its decoder, which published code imports."""

from __future__ import annotations

import importlib
import sys

import pytest

from httpx_sse import ServerSentEvent, SSEDecoder


def import_old_path() -> object:
    sys.modules.pop("httpx_sse._decoders", None)
    return importlib.import_module("httpx_sse._decoders")


def test_the_old_path_imports_with_a_deprecation_warning_naming_the_public_name() -> None:
    with pytest.warns(DeprecationWarning, match="import SSEDecoder from httpx_sse"):
        module = import_old_path()
    assert issubclass(module.SSEDecoder, SSEDecoder)  # type: ignore[attr-defined]


def test_the_old_decode_takes_one_line_at_a_time() -> None:
    with pytest.warns(DeprecationWarning):
        decoder = import_old_path().SSEDecoder()  # type: ignore[attr-defined]
    lines = ["event: tick", "id: 7", "data: a", "data: b", "", ": comment", "", "data: c", ""]
    results = [decoder.decode(line) for line in lines]
    assert [sse for sse in results if sse is not None] == [
        ServerSentEvent(event="tick", data="a\nb", id="7"),
        ServerSentEvent(data="c", id="7"),
    ]
    assert results[4] == ServerSentEvent(event="tick", data="a\nb", id="7")
    assert decoder.last_event_id == "7"
    # The new API is there as well.
    assert decoder.feed(b"data: d\n\n") == [ServerSentEvent(data="d", id="7")]
