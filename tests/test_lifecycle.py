"""The lifecycle state machine alone: no network, no clock but the one we hand it."""

from __future__ import annotations

from typing import List

import httpx
import pytest

from httpx_sse import Reconnect, SSEError, StreamStalled
from httpx_sse._lifecycle import Lifecycle
from httpx_sse._reconnect import BACKOFF_FLOOR, MAX_WAIT, retry_after_seconds


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


STEADY = Reconnect(jitter=0)


def life(policy: Reconnect | None = STEADY, **kwargs: object) -> Lifecycle:
    kwargs.setdefault("random_fraction", lambda: 0.0)
    return Lifecycle(policy, **kwargs)  # type: ignore[arg-type]


DROP = httpx.ReadError("connection reset")
REQUEST = httpx.Request("POST", "http://example.test/stream")


def opened(machine: Lifecycle, status: int = 200) -> Lifecycle:
    """The machine after a response that opened a stream."""
    response = httpx.Response(status, headers={"Content-Type": "text/event-stream"}, request=REQUEST)
    machine.response_verdict(response)
    return machine


# -- not reconnecting ---------------------------------------------------------------


def test_without_a_policy_errors_raise_as_they_are() -> None:
    with pytest.raises(httpx.ReadError):
        life(None).failed(DROP, last_event_id="")


def test_without_a_policy_a_clean_end_stops() -> None:
    machine = life(None)
    assert machine.ended("", None, REQUEST) is None and machine.finished


def test_without_a_policy_an_end_before_the_terminal_event_is_cut_short() -> None:
    with pytest.raises(SSEError, match="cut short") as info:
        life(None, until=lambda sse: False).ended("", None, REQUEST)
    assert info.value.request is REQUEST


def test_without_a_policy_a_drop_before_the_terminal_event_is_cut_short() -> None:
    with pytest.raises(SSEError, match="cut short") as info:
        life(None, until=lambda sse: False).failed(DROP, last_event_id="", request=REQUEST)
    assert info.value.__cause__ is DROP


def test_without_a_policy_a_stall_is_raised_as_it_is() -> None:
    idle = StreamStalled("no event for 5s (idle_timeout)", timeout=5, kind="idle", request=REQUEST)
    with pytest.raises(StreamStalled, match="idle_timeout") as info:
        life(None, until=lambda sse: False).failed(idle, last_event_id="", request=REQUEST)
    assert info.value is idle


# -- waits ---------------------------------------------------------------------------


def test_a_server_asking_for_no_delay_still_gets_backoff_on_consecutive_failures() -> None:
    machine = opened(life(Reconnect(jitter=0)))
    machine.delivered()
    waits = [machine.failed(None, last_event_id="", server_retry_ms=0).delay for _ in range(6)]
    assert waits == [0] + [BACKOFF_FLOOR * 2**k for k in range(1, 6)]


def test_a_stream_that_delivers_may_reconnect_at_once_when_it_asks() -> None:
    machine = opened(life(Reconnect(jitter=0)))
    for _ in range(5):
        machine.delivered()
        assert machine.failed(None, last_event_id="", server_retry_ms=0).delay == 0


def test_a_small_initial_delay_is_its_own_floor() -> None:
    machine = opened(life(Reconnect(initial_delay=0.01, jitter=0)))
    waits = [machine.failed(DROP, last_event_id="", server_retry_ms=0).delay for _ in range(3)]
    assert waits == [0, 0.02, 0.04]


@pytest.mark.parametrize("retry_ms", [10**400, 2**64, 10**12])
def test_huge_server_retry_is_capped_not_a_crash(retry_ms: int) -> None:
    machine = opened(life())
    assert machine.failed(DROP, last_event_id="", server_retry_ms=retry_ms).delay == MAX_WAIT
    assert machine.failed(DROP, last_event_id="", server_retry_ms=retry_ms).delay == MAX_WAIT
    assert machine.base_delay(retry_ms) == MAX_WAIT


@pytest.mark.parametrize("value", ["9" * 400, "9" * 5000, "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_huge_retry_after_is_capped_not_a_crash(value: str) -> None:
    response = httpx.Response(503, headers={"Retry-After": value}, request=REQUEST)
    assert retry_after_seconds(response, now=0) == MAX_WAIT


def test_retry_after_zero_on_consecutive_503s_backs_off() -> None:
    machine = life(Reconnect(jitter=0))
    response = httpx.Response(503, headers={"Retry-After": "0"}, request=REQUEST)
    error = SSEError("HTTP 503", response=response)
    waits = [machine.failed(error, last_event_id="").delay for _ in range(3)]
    assert waits == [0, 2.0, 4.0]  # the backoff from initial_delay, as for any failure


def test_on_error_choice_is_used_and_checked() -> None:
    machine = opened(life())
    failure = machine.failed(DROP, last_event_id="7")
    assert (failure.attempt, failure.delay, failure.last_event_id, failure.error) == (1, 1.0, "7", DROP)
    assert machine.wait_for(failure, None) == 1.0
    assert machine.wait_for(failure, 0.25) == 0.25
    assert machine.wait_for(failure, 1e300) == MAX_WAIT
    for bad in ("soon", -1, float("nan"), True):
        with pytest.raises(TypeError, match="on_error"):
            machine.wait_for(failure, bad)
    assert machine.reconnects == 3


# -- giving up -----------------------------------------------------------------------


def test_max_elapsed_gives_up_when_failures_last_longer() -> None:
    clock = Clock()
    machine = opened(life(Reconnect(max_elapsed=60), clock=clock))
    waits: List[float] = []
    for _ in range(3):
        waits.append(machine.failed(DROP, last_event_id="", request=REQUEST).delay)
        clock.now += 25
    with pytest.raises(SSEError, match=r"gave up reconnecting after failing for 75\.0s") as info:
        machine.failed(DROP, last_event_id="", request=REQUEST)
    assert info.value.__cause__ is DROP and info.value.request is REQUEST
    assert machine.attempt == 4


def test_max_elapsed_counts_from_the_first_of_the_failures_in_a_row() -> None:
    clock = Clock()
    machine = opened(life(Reconnect(max_elapsed=60), clock=clock))
    machine.failed(DROP, last_event_id="")
    clock.now += 1000
    machine.delivered()  # a good connection in between
    machine.failed(DROP, last_event_id="")
    clock.now += 59
    assert machine.failed(DROP, last_event_id="").attempt == 2


def test_fail_fast_raises_the_first_connections_error() -> None:
    machine = life(Reconnect(fail_fast=True))
    with pytest.raises(httpx.ConnectError):
        machine.failed(httpx.ConnectError("refused"), last_event_id="")


def test_fail_fast_retries_once_a_stream_was_open() -> None:
    machine = opened(life(Reconnect(fail_fast=True)))
    assert machine.failed(httpx.ConnectError("refused"), last_event_id="").attempt == 1


def test_without_fail_fast_a_first_connection_is_retried() -> None:
    assert life().failed(httpx.ConnectError("refused"), last_event_id="").attempt == 1


# -- safe replay ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PATCH", "post"])
def test_a_non_idempotent_stream_without_ids_is_not_replayed(method: str) -> None:
    machine = opened(life(method=method))
    machine.delivered()
    with pytest.raises(SSEError, match="allow_replay=True") as info:
        machine.failed(DROP, last_event_id="", request=REQUEST)
    assert info.value.__cause__ is DROP and info.value.request is REQUEST


def test_a_non_idempotent_stream_with_an_id_resumes() -> None:
    machine = opened(life(method="POST"))
    machine.delivered()
    assert machine.failed(DROP, last_event_id="41").attempt == 1


def test_a_non_idempotent_request_is_retried_before_it_got_a_2xx() -> None:
    machine = life(method="POST")
    assert machine.failed(httpx.ConnectError("refused"), last_event_id="").attempt == 1
    unavailable = SSEError("HTTP 503", response=httpx.Response(503, request=REQUEST))
    machine.response_verdict(unavailable.response)  # type: ignore[arg-type]
    assert machine.failed(unavailable, last_event_id="").attempt == 2


def test_a_non_idempotent_request_that_got_a_200_is_not_sent_again_even_before_any_event() -> None:
    machine = opened(life(method="POST"))  # billed: no event yet
    with pytest.raises(SSEError, match="Idempotency-Key") as info:
        machine.failed(DROP, last_event_id="", request=REQUEST)
    assert "resume=" in str(info.value) and "allow_replay=True" in str(info.value)


def test_an_idempotency_key_allows_sending_it_again() -> None:
    machine = opened(life(method="POST", idempotency_key=True))
    assert machine.failed(DROP, last_event_id="").attempt == 1


def test_a_resume_factory_defers_the_decision() -> None:
    machine = opened(life(method="POST", resumable=True))
    machine.failed(DROP, last_event_id="")
    assert machine.replay_blocked("")
    assert not machine.replay_blocked("7")


def test_a_request_the_server_did_not_serve_is_safe_to_send_again() -> None:
    machine = opened(life(method="POST"))
    assert machine.failed(DROP, last_event_id="", served=False).attempt == 1
    assert not machine.replay_blocked("")


def test_allow_replay_replays() -> None:
    machine = opened(life(Reconnect(allow_replay=True), method="POST"))
    machine.delivered()
    assert machine.failed(DROP, last_event_id="").attempt == 1


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_idempotent_streams_are_replayed(method: str) -> None:
    machine = opened(life(method=method))
    machine.delivered()
    assert machine.failed(None, last_event_id="").attempt == 1


# -- terminal event ------------------------------------------------------------------


def test_reaching_the_terminal_event_finishes() -> None:
    machine = life(until=lambda sse: True)
    machine.reached_end()
    assert machine.finished


def test_an_end_before_the_terminal_event_reconnects_when_reconnecting() -> None:
    failure = opened(life(until=lambda sse: False)).ended("3", None, REQUEST)
    assert failure is not None and "before its terminal event" in failure.reason and failure.last_event_id == "3"


# -- values the API accepts never crash the loop ---------------------------------------


def test_max_elapsed_bounds_a_servers_retry_after() -> None:
    clock = Clock()
    machine = opened(life(Reconnect(max_elapsed=10), clock=clock))
    response = httpx.Response(503, headers={"Retry-After": "3600"}, request=REQUEST)
    first = machine.failed(SSEError("HTTP 503", response=response), last_event_id="")
    assert first.delay == 10  # not an hour: what max_elapsed leaves
    clock.now += 4
    second = machine.failed(SSEError("HTTP 503", response=response), last_event_id="")
    assert second.delay == 6
    clock.now += 6.5
    with pytest.raises(SSEError, match=r"gave up reconnecting after failing for 10\.5s"):
        machine.failed(SSEError("HTTP 503", response=response), last_event_id="")


def test_max_elapsed_bounds_what_on_error_chose() -> None:
    clock = Clock()
    machine = opened(life(Reconnect(max_elapsed=30), clock=clock))
    assert machine.wait_for(machine.failed(DROP, last_event_id=""), 3600) == 30
    clock.now += 5
    assert machine.wait_for(machine.failed(DROP, last_event_id=""), 3600) == 25


@pytest.mark.parametrize("chosen", [10**400, 2**1100, float("inf")])
def test_on_error_returning_a_huge_number_waits_the_longest_wait(chosen: float) -> None:
    machine = opened(life())
    failure = machine.failed(DROP, last_event_id="")
    assert machine.wait_for(failure, chosen) == MAX_WAIT


@pytest.mark.parametrize("backoff", [65_000.0, 1e200, 10**300])
def test_a_huge_backoff_reaches_the_ceiling_without_overflowing(backoff: float) -> None:
    policy = Reconnect(backoff=backoff, jitter=0, max_delay=30)
    assert [policy.delay(n, server_retry=None, random_fraction=0) for n in (1, 2, 3, 70, 10**6)] == [
        1.0,
        30.0,
        30.0,
        30.0,
        30.0,
    ]


@pytest.mark.parametrize(
    "options",
    [
        {"max_attempts": float("nan")},
        {"max_attempts": 2.5},
        {"max_attempts": "3"},
        {"max_attempts": True},
        {"max_elapsed": float("nan")},
        {"max_elapsed": "10"},
        {"backoff": 10**400},
        {"initial_delay": float("inf")},
    ],
)
def test_reconnect_refuses_values_it_cannot_use(options: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError):
        Reconnect(**options)
