"""`check_transport`: whether an HTTP stack is fit for event streams, property by property,
measured against a loopback server (``_loopback.py``) through the same readers users use."""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import anyio

from ._api import aconnect_sse, connect_sse
from ._loopback import LoopbackServer
from ._reconnect import Reconnect

__all__ = ["TransportCheck", "TransportReport", "check_transport"]

#: The read timeout the checks give each request (seconds).
READ_TIMEOUT = 0.5
#: The gap the paced stream leaves between events, and the most an event may lag behind.
GAP, MOST_LAG = 0.4, 0.2
#: How long leaving a stream may take to close its connection (the client stays open meanwhile).
LINGER = 2.0
RECONNECT = Reconnect(initial_delay=0.01, jitter=0.0, max_attempts=4)


@dataclass(frozen=True)
class TransportCheck:
    """One property: its name, whether it holds, and what was measured.

    ```python
    for check in check_transport(httpx.Client).checks:
        print("ok" if check.passed else "FAIL", check.name, check.detail)
    ```
    """

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class TransportReport:
    """What `check_transport` found: ``checks`` one by one, ``fit`` when all hold.

    ```python
    report = check_transport(lambda: httpx.Client())
    print(report)
    report.assert_fit()  # AssertionError with the report when a property fails
    ```
    """

    client: str
    checks: Tuple[TransportCheck, ...] = ()

    @property
    def fit(self) -> bool:
        return all(check.passed for check in self.checks)

    def assert_fit(self) -> None:
        """Raise `AssertionError` (with the whole report) unless every property holds."""
        if not self.fit:
            raise AssertionError(str(self))

    def __str__(self) -> str:
        verdict = "fit for event streams" if self.fit else "NOT fit for event streams"
        lines = [f"{self.client}: {verdict}"]
        lines += [f"  {'ok  ' if check.passed else 'FAIL'}  {check.name}: {check.detail}" for check in self.checks]
        return "\n".join(lines)


@dataclass
class _Outcome:
    arrivals: List[Tuple[str, float]] = field(default_factory=list)
    error: Optional[BaseException] = None
    took: float = 0.0
    ended_at: float = 0.0

    @property
    def ids(self) -> List[str]:
        return [event_id for event_id, _ in self.arrivals]


def _options(**given: Any) -> Dict[str, Any]:
    return {"timeout": READ_TIMEOUT, **given}


class _Reading:
    """One read of a stream, as the sync and async loops below share it."""

    def __init__(self, limit: Optional[int], server: LoopbackServer) -> None:
        self.outcome = _Outcome()
        self._limit = limit
        self._server = server
        self._start = time.monotonic()

    def arrived(self, event_id: str) -> bool:
        """An event came; whether to leave the stream now."""
        self.outcome.arrivals.append((event_id, time.monotonic()))
        return self._limit is not None and len(self.outcome.arrivals) >= self._limit

    def left(self, error: Optional[BaseException]) -> None:
        outcome = self.outcome
        outcome.error = error
        outcome.ended_at = time.monotonic()
        outcome.took = outcome.ended_at - self._start

    def lingering(self) -> bool:
        """After leaving a stream early, the client stays open while the server may not yet
        have seen the connection close: only leaving the stream may close it."""
        outcome = self.outcome
        return (
            self._limit is not None
            and self._server.log.gone_at is None
            and time.monotonic() < outcome.ended_at + LINGER
        )


def _read(client: Any, url: str, limit: Optional[int], options: Dict[str, Any], server: LoopbackServer) -> _Outcome:
    reading = _Reading(limit, server)
    error: Optional[BaseException] = None
    try:
        with connect_sse(client, "GET", url, **options) as source:
            for sse in source:
                if reading.arrived(sse.id):
                    break
    except Exception as failed:
        error = failed
    reading.left(error)
    while reading.lingering():
        time.sleep(0.02)
    return reading.outcome


async def _aread(
    client: Any, url: str, limit: Optional[int], options: Dict[str, Any], server: LoopbackServer
) -> _Outcome:
    reading = _Reading(limit, server)
    error: Optional[BaseException] = None
    try:
        async with aconnect_sse(client, "GET", url, **options) as source:
            async for sse in source:
                if reading.arrived(sse.id):
                    break
    except Exception as failed:
        error = failed
    reading.left(error)
    while reading.lingering():
        await anyio.sleep(0.02)
    return reading.outcome


#: Each check: the path it reads, the read's limit and options, and how to judge what came.
_Judge = Callable[[LoopbackServer, _Outcome], TransportCheck]


def _no_buffering(server: LoopbackServer, outcome: _Outcome) -> TransportCheck:
    name = "events arrive as they are sent"
    if outcome.error is not None or len(outcome.arrivals) != 3:
        return TransportCheck(name, False, f"the paced stream failed: {_describe(outcome)}")
    lags = [arrived - server.log.sent_at[event_id] for event_id, arrived in outcome.arrivals]
    worst = max(lags)
    return TransportCheck(
        name,
        worst <= MOST_LAG,
        f"worst lag {worst * 1000:.0f} ms over 3 events sent {GAP:g} s apart"
        + ("" if worst <= MOST_LAG else " (the transport holds events back)"),
    )


def _slow_survives(server: LoopbackServer, outcome: _Outcome) -> TransportCheck:
    name = "a read timeout is per read, not a deadline for the stream"
    ok = outcome.error is None and outcome.ids == ["1", "2", "3", "4", "5"]
    return TransportCheck(
        name,
        ok,
        f"a healthy stream of {outcome.took:.1f} s with a {READ_TIMEOUT:g} s read timeout "
        + ("survived" if ok else f"was killed: {_describe(outcome)}"),
    )


def _silence_times_out(server: LoopbackServer, outcome: _Outcome) -> TransportCheck:
    name = "a silent stream times out"
    error = outcome.error
    timed_out = error is not None and "timeout" in type(error).__name__.lower() + str(error).lower()
    ok = timed_out and outcome.took < READ_TIMEOUT * 4
    return TransportCheck(name, ok, f"after {outcome.took:.1f} s: {_describe(outcome)}")


def _break_closes(server: LoopbackServer, outcome: _Outcome) -> TransportCheck:
    name = "leaving a stream closes its connection"
    gone = server.log.gone_at
    if outcome.error is not None or not outcome.arrivals:
        return TransportCheck(name, False, f"the stream failed: {_describe(outcome)}")
    if gone is None:
        return TransportCheck(
            name, False, f"the server was still writing {LINGER:g} s after the client left the stream"
        )
    return TransportCheck(
        name, True, f"the server saw the connection close {max(0.0, gone - outcome.ended_at) * 1000:.0f} ms after"
    )


def _cookies_and_redirects(server: LoopbackServer, outcome: _Outcome) -> TransportCheck:
    name = "cookies and redirects survive a reconnect"
    streams = [seen for seen in server.log.requests if seen.path == "/stream"]
    resumed = [seen.headers.get("last-event-id") for seen in streams]
    ok = outcome.error is None and outcome.ids == ["1", "2"] and resumed[:2] == [None, "1"]
    detail = f"events {outcome.ids}, Last-Event-ID sent {resumed}" + ("" if ok else f": {_describe(outcome)}")
    return TransportCheck(name, ok, detail)


def _reconnects(server: LoopbackServer, outcome: _Outcome) -> TransportCheck:
    name = "reconnecting resumes from the last id, losing nothing"
    expected = [str(n) for n in range(1, 10)]
    ok = outcome.error is None and outcome.ids == expected
    return TransportCheck(
        name, ok, f"events {','.join(outcome.ids)} through 3 drops" + ("" if ok else f": {_describe(outcome)}")
    )


_CHECKS: List[Tuple[str, Optional[int], Dict[str, Any], _Judge]] = [
    (f"/paced?count=3&gap={GAP}", None, _options(), _no_buffering),
    ("/paced?count=5&gap=0.3", None, _options(), _slow_survives),
    ("/silent?for=3", None, _options(), _silence_times_out),
    ("/endless", 1, _options(), _break_closes),
    ("/start", None, _options(reconnect=RECONNECT, follow_redirects=True), _cookies_and_redirects),
    ("/resume", None, _options(reconnect=RECONNECT), _reconnects),
]


def _describe(outcome: _Outcome) -> str:
    if outcome.error is None:
        return f"{len(outcome.arrivals)} event(s), no error"
    return f"{type(outcome.error).__name__}: {outcome.error}"


def _is_async(client: Any) -> bool:
    return inspect.iscoroutinefunction(getattr(client, "aclose", None)) and not hasattr(client, "close")


def check_transport(make_client: Callable[[], Any], *, backend: str = "asyncio") -> TransportReport:
    """Check whether the client ``make_client()`` returns (an httpx or httpx2 ``Client`` or
    ``AsyncClient``, with any transport) is fit for event streams, against a loopback server:
    events arrive as they are sent (no buffering), a read timeout is per read (a slow but
    healthy stream survives it, a silent one fails), leaving a stream closes its connection,
    cookies and redirects survive a reconnect, and reconnecting loses nothing. Each check
    gets a new client, closed after it; async clients are made and used under ``backend``.

    ```python
    report = check_transport(lambda: httpx.AsyncClient(transport=MyTransport()))
    assert report.fit, report  # or report.assert_fit()
    ```
    """
    with LoopbackServer() as server:

        async def run_async() -> Optional[TransportReport]:
            checks = []
            for index, (path, limit, options, judge) in enumerate(_CHECKS):
                client = make_client()
                if not _is_async(client):
                    close = getattr(client, "close", None)
                    if close is not None:
                        close()
                    return None
                if index == 0:
                    name = _name(client)
                server.reset_log()
                try:
                    outcome = await _aread(client, server.url + path, limit, dict(options), server)
                finally:
                    await client.aclose()
                checks.append(judge(server, outcome))
            return TransportReport(name, tuple(checks))

        report = anyio.run(run_async, backend=backend)
        if report is not None:
            return report
        checks = []
        name = ""
        for path, limit, options, judge in _CHECKS:
            server.reset_log()
            with make_client() as client:
                name = _name(client)
                outcome = _read(client, server.url + path, limit, dict(options), server)
            checks.append(judge(server, outcome))
        return TransportReport(name, tuple(checks))


def _name(client: Any) -> str:
    transport = getattr(client, "_transport", None)
    kind = type(client)
    label = f"{kind.__module__.split('.')[0]}.{kind.__name__}"
    return f"{label} ({type(transport).__name__})" if transport is not None else label
