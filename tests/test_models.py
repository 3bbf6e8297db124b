"""ServerSentEvent: immutable, equal by value, hashable, a readable repr, .json()."""

from __future__ import annotations

import copy
import pickle

import pytest

from httpx_sse import ServerSentEvent


def test_defaults_and_fields() -> None:
    sse = ServerSentEvent()
    assert (sse.event, sse.data, sse.id, sse.retry) == ("message", "", "", None)
    sse = ServerSentEvent("tick", "a", "7", 1500)  # positional, in 0.4's order
    assert (sse.event, sse.data, sse.id, sse.retry) == ("tick", "a", "7", 1500)


def test_repr_shows_what_differs_from_the_defaults() -> None:
    assert repr(ServerSentEvent()) == "ServerSentEvent(event='message')"
    assert repr(ServerSentEvent(event="tick", data="a", id="7", retry=1500)) == (
        "ServerSentEvent(event='tick', data='a', id='7', retry=1500)"
    )
    assert repr(ServerSentEvent(data="x", retry=0)) == "ServerSentEvent(event='message', data='x', retry=0)"


def test_equality_by_value_and_hashable() -> None:
    a = ServerSentEvent(data="1", id="1")
    assert a == ServerSentEvent(data="1", id="1")
    assert a != ServerSentEvent(data="1", id="2")
    assert len({a, ServerSentEvent(data="1", id="1"), ServerSentEvent(data="2")}) == 2
    # Not equal to a plain tuple of the same values, either way round.
    assert a != ("message", "1", "1", None)
    assert ("message", "1", "1", None) != a  # noqa: SIM300  (the tuple on the left is the point)
    assert (a == "something else") is False


def test_immutable() -> None:
    sse = ServerSentEvent(data="x")
    with pytest.raises(AttributeError):
        sse.data = "y"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        sse.extra = 1  # type: ignore[attr-defined]


def test_json() -> None:
    assert ServerSentEvent(data='{"a": [1, 2]}').json() == {"a": [1, 2]}
    with pytest.raises(ValueError):
        ServerSentEvent(data="not json").json()


def test_copies_and_pickles_as_itself() -> None:
    sse = ServerSentEvent(event="e", data="d", id="i", retry=5)
    for clone in (copy.copy(sse), copy.deepcopy(sse), pickle.loads(pickle.dumps(sse))):
        assert clone == sse and type(clone) is ServerSentEvent


def test_events_of_a_subclass_are_equal_by_value() -> None:
    class Tagged(ServerSentEvent):
        __slots__ = ()

    a = Tagged(data="x", id="1")
    assert a == a
    assert a == Tagged(data="x", id="1")
    assert a == ServerSentEvent(data="x", id="1")
    assert (a != ServerSentEvent(data="x", id="1")) is False
    assert a != Tagged(data="y")
    assert a != ("message", "x", "1", None)
    assert hash(a) == hash(ServerSentEvent(data="x", id="1"))
