"""`EventSource.iter_parsed`: each event's data as JSON, or validated into a type with pydantic.

One `Parser` decides for each event what the caller gets (a value, or nothing for an event
that is skipped), so the sync and async iterations are the same three lines.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Tuple

from ._models import ServerSentEvent

if TYPE_CHECKING:
    from .protocols import Protocol

__all__ = ["SKIP", "EventParseError", "Parser"]

#: What `Parser.parse` returns for an event the caller does not get.
SKIP: Any = object()


class EventParseError(ValueError):
    """An event's data is not JSON, does not validate into its type, or (``strict=True``)
    has no type in the mapping. ``event`` is the event; the parser's or pydantic's error is
    the ``__cause__``. The stream is left as it was: iterate again to go on with the next
    event, or stop.

    ```python
    try:
        for delta in source.iter_parsed(Delta):
            ...
    except EventParseError as error:
        print("bad event", error.event.id, error.__cause__)
    ```
    """

    def __init__(self, message: str, *, event: ServerSentEvent) -> None:
        super().__init__(message)
        self.event = event


def describe(sse: ServerSentEvent) -> str:
    named = f"event {sse.event!r}"
    return f"{named} (id {sse.id!r})" if sse.id else named


def _pydantic() -> Any:
    try:
        import pydantic
    except ImportError:
        raise ImportError(
            "iter_parsed(types=...) validates with pydantic, which is not installed: "
            "pip install 'httpx-sse[pydantic]' (types=None parses JSON without it)"
        ) from None
    if not hasattr(pydantic, "TypeAdapter"):
        raise ImportError(f"iter_parsed(types=...) needs pydantic 2 or newer, not {pydantic.VERSION}")
    return pydantic


class Parser:
    """What one event becomes for ``iter_parsed(types, strict=...)`` under a preset (or none)."""

    def __init__(self, types: Any, strict: bool, protocol: Optional[Protocol]) -> None:
        self._protocol = protocol
        self._strict = strict
        self._routes: Optional[Mapping[str, Any]] = None
        self._adapters: Dict[int, Tuple[Any, str]] = {}  # by id(type): its pydantic adapter, its name
        self._one: Optional[Tuple[Any, str]] = None
        if types is None:
            return
        pydantic = _pydantic()
        self._type_adapter = pydantic.TypeAdapter
        self._validation_error = pydantic.ValidationError
        if isinstance(types, Mapping):
            if not all(isinstance(name, str) for name in types):
                raise TypeError("iter_parsed's mapping goes from event names (str) to types")
            self._routes = types
        else:
            self._one = self._adapter(types)

    def _adapter(self, tp: Any) -> Tuple[Any, str]:
        known = self._adapters.get(id(tp))
        if known is None:
            try:
                adapter = self._type_adapter(tp)
            except Exception as error:
                raise TypeError(f"iter_parsed cannot validate into {tp!r}: {error}") from error
            known = self._adapters[id(tp)] = (adapter, getattr(tp, "__name__", None) or repr(tp))
        return known

    def kind(self, sse: ServerSentEvent) -> Optional[str]:
        """The name a mapping routes the event by: the preset's, else the event name."""
        protocol = self._protocol
        if protocol is not None and protocol.kind is not None:
            return protocol.kind(sse)
        return sse.event

    def parse(self, sse: ServerSentEvent) -> Any:
        protocol = self._protocol
        if protocol is not None and protocol.no_payload is not None and protocol.no_payload(sse):
            return SKIP
        target = self._one
        if self._routes is not None:
            kind = self.kind(sse)
            tp = self._routes.get(kind) if kind is not None else None
            if tp is None:
                if self._strict:
                    names = ", ".join(sorted(self._routes))
                    message = f"{describe(sse)} is named {kind!r}, which has no type (types for: {names})"
                    raise EventParseError(message, event=sse)
                return SKIP
            target = self._adapter(tp)
        if target is None:
            try:
                return json.loads(sse.data)
            except (ValueError, RecursionError) as error:
                raise EventParseError(f"{describe(sse)}: its data is not JSON ({error})", event=sse) from error
        adapter, name = target
        try:
            return adapter.validate_json(sse.data)
        except self._validation_error as error:
            raise EventParseError(
                f"{describe(sse)} does not validate as {name}: {error.error_count()} error(s), first: {_first(error)}",
                event=sse,
            ) from error


def _first(error: Any) -> str:
    details = error.errors(include_url=False)
    if not details:
        return str(error)
    first = details[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "(the data)"
    return f"{where}: {first.get('msg', '')}"
