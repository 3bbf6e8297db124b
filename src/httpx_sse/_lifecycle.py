"""The life of an event source, as a pure state machine: no I/O, no clock of its own.

The reading loops (sync and async, in ``_loops.py``) tell `Lifecycle` what happened
(a response arrived, events were delivered, the stream ended, a read failed, the idle
timer fired) and it answers what to do next: read on, stop, raise, or wait so long
and reconnect. Every rule about reconnecting lives here, so it is tested without a
network and without sleeping.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import Callable, Optional, Type

import httpx

from ._exceptions import SSEError
from ._reconnect import Reconnect, clamp_wait, describe_error, retry_after_seconds, seconds
from ._response import Verdict, classify

logger = logging.getLogger("httpx_sse")

#: Methods that a server may receive twice without harm (RFC 9110, 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


@dataclass(frozen=True)
class StreamFailure:
    """One failure of a reconnecting stream, as an ``on_error`` hook sees it.

    ``error`` is the exception, or ``None`` when the stream just ended; ``attempt``
    counts consecutive failures from 1; ``delay`` is the wait (seconds) the policy
    proposes before reconnecting; ``last_event_id`` is what the reconnect will send;
    ``reason`` says what happened in words; ``elapsed`` is how long (seconds) the
    failures in a row have lasted; ``cursor`` is the position to resume from: what
    ``cursor=`` last extracted, else the last event ID (``None`` when ``cursor=``
    found none yet); ``request`` is the request that failed (``None`` before one was
    sent), from which a ``resume=`` factory can build the next.

    ```python
    def on_error(failure: StreamFailure) -> float | None:
        if failure.attempt > 5:
            raise RuntimeError("the feed is down") from failure.error
        return None  # wait what the policy proposes: failure.delay
    ```
    """

    error: Optional[BaseException]
    attempt: int
    delay: float
    last_event_id: str
    reason: str
    elapsed: float = 0.0
    cursor: Optional[str] = None
    request: Optional[httpx.Request] = None


class Lifecycle:
    """Decides, for one event source, what follows each thing that happens to it.

    ``policy`` is ``None`` when not reconnecting: then failures raise. ``until`` is the
    terminal-event predicate; ``clock`` is monotonic seconds. ``idempotency_key``: the
    request carries one; ``resumable``: a ``resume=`` factory can continue the stream
    by another request; ``ends_at_close``: a clean end of a response completes the stream
    (a protocol whose completion is the server closing it), where a drop does not.
    """

    def __init__(
        self,
        policy: Optional[Reconnect],
        *,
        method: str = "GET",
        until: Optional[Callable[..., object]] = None,
        idempotency_key: bool = False,
        resumable: bool = False,
        ends_at_close: bool = False,
        clock: Callable[[], float] = time.monotonic,
        random_fraction: Callable[[], float] = random.random,
        error_type: Type[SSEError] = SSEError,
    ) -> None:
        self.policy = policy
        self._error = error_type  # the client library's own SSEError
        self.until = until
        self.clock = clock
        self._random_fraction = random_fraction
        self.method = method.upper()
        self._unsafe_to_replay = self.method not in IDEMPOTENT_METHODS and not idempotency_key
        self.resumable = resumable
        self.ends_at_close = ends_at_close
        self.attempt = 0  # consecutive failures, since the last connection that made progress
        self.reconnects = 0
        self.opened = 0  # responses that passed the stream checks
        # A non-idempotent request got a 2xx: the server took it (and may bill it), so it
        # is not sent again unless something says that is safe.
        self.billed = False
        self.finished = False
        self._failing_since = 0.0

    # -- what happened --------------------------------------------------------------

    def response_verdict(self, response: httpx.Response) -> Verdict:
        """A response arrived: is it a stream to read, the end, or a refusal?"""
        verdict = classify(response)
        if self._unsafe_to_replay and 200 <= response.status_code < 300:
            self.billed = True
        if verdict is Verdict.STREAM:
            self.opened += 1
        elif verdict is Verdict.NO_CONTENT:
            self.finished = True
        return verdict

    def delivered(self) -> None:
        """A connection delivered progress events: the next failure starts the backoff afresh."""
        self.attempt = 0

    def reached_end(self) -> None:
        """The terminal event (``until``) was delivered: nothing more to read."""
        self.finished = True

    def refused(self, error: SSEError) -> None:
        """A response that is not a stream: raise, unless reconnecting may retry it."""
        response = error.response
        if self.policy is None or response is None or classify(response) is not Verdict.RETRYABLE:
            raise error

    def ended(
        self,
        last_event_id: str,
        server_retry_ms: Optional[int],
        request: Optional[httpx.Request],
        cursor: Optional[str] = None,
    ) -> Optional[StreamFailure]:
        """The stream ended cleanly: stop (``None``), raise, or reconnect after a wait."""
        if self.ends_at_close:
            self.finished = True
            return None
        cut_short = self.until is not None and not self.finished
        if self.policy is None:
            if cut_short:
                raise self._error(
                    "the stream ended before its terminal event (until=...): the answer is cut short",
                    request=request,
                )
            self.finished = True
            return None
        reason = "the stream ended before its terminal event" if cut_short else "the stream ended"
        return self.failed(
            None, reason, last_event_id=last_event_id, server_retry_ms=server_retry_ms, request=request, cursor=cursor
        )

    def failed(
        self,
        error: Optional[BaseException],
        reason: Optional[str] = None,
        *,
        last_event_id: str,
        server_retry_ms: Optional[int] = None,
        request: Optional[httpx.Request] = None,
        cursor: Optional[str] = None,
        served: bool = True,
    ) -> StreamFailure:
        """A connection failed (or ended): the failure to report and wait for, or raise.

        ``served=False``: the server said it did not serve the request (a retryable
        in-band error before any progress), so sending it again is safe.
        """
        if reason is None:
            reason = "the stream ended" if error is None else describe_error(error)
        policy = self.policy
        if policy is None:
            assert error is not None
            if self.until is not None and not isinstance(error, SSEError):
                message = f"the stream was cut short before its terminal event: {reason}"
                raise self._error(message, request=request) from error
            raise error
        now = self.clock()
        if self.attempt == 0:
            self._failing_since = now
        self.attempt += 1
        elapsed = now - self._failing_since
        if policy.fail_fast and not self.opened and error is not None:
            raise error
        if served and not self.resumable and self.replay_blocked(last_event_id):
            raise self.replay_refused(reason, request) from error
        gave_up = None
        if policy.max_attempts is not None and self.attempt > policy.max_attempts:
            gave_up = f"after {policy.max_attempts} attempt(s)"
        elif policy.max_elapsed is not None and elapsed > policy.max_elapsed:
            gave_up = f"after failing for {elapsed:.1f}s (max_elapsed={policy.max_elapsed:g})"
        if gave_up is not None:
            response = error.response if isinstance(error, SSEError) else None
            raise self._error(
                f"gave up reconnecting {gave_up}; last failure: {reason}", request=request, response=response
            ) from error
        retry_after = None
        if isinstance(error, SSEError) and error.response is not None:
            retry_after = retry_after_seconds(error.response, time.time())
        delay = policy.delay(
            self.attempt,
            server_retry=seconds(server_retry_ms),
            retry_after=retry_after,
            random_fraction=self._random_fraction(),
        )
        if not served:
            self.billed = False  # the server refused it: the same request is safe to send again
        wait = self._within_max_elapsed(delay, elapsed)
        return StreamFailure(error, self.attempt, wait, last_event_id, reason, elapsed, cursor, request)

    def replay_blocked(self, last_event_id: str) -> bool:
        """Whether sending the request again would run a non-idempotent request twice."""
        assert self.policy is not None
        return self.billed and not last_event_id and not self.policy.allow_replay

    def replay_refused(self, reason: str, request: Optional[httpx.Request]) -> SSEError:
        return self._error(
            f"not reconnecting ({reason}): the {self.method} request got a 2xx, so the server took it, and "
            "sending it again would run it twice (and bill it twice). It is sent again only when the stream "
            "set an event id to resume from, when resume= gives another request to continue with, when the "
            "request carries an Idempotency-Key header, or with Reconnect(allow_replay=True)",
            request=request,
        )

    def _within_max_elapsed(self, wait: float, elapsed: float) -> float:
        """No wait runs past what ``max_elapsed`` leaves after ``elapsed`` seconds of failing,
        whatever asked for it (a server's ``Retry-After`` of an hour, an ``on_error`` hook):
        the next attempt then comes at the deadline, and gives up if it fails too."""
        assert self.policy is not None
        if self.policy.max_elapsed is None:
            return wait
        return max(0.0, min(wait, self.policy.max_elapsed - elapsed))

    def wait_for(self, failure: StreamFailure, chosen: object) -> float:
        """The wait before reconnecting: the policy's, or what ``on_error`` returned."""
        if chosen is None:
            wait = failure.delay
        elif isinstance(chosen, (int, float)) and not isinstance(chosen, bool) and chosen >= 0:
            wait = self._within_max_elapsed(clamp_wait(chosen), failure.elapsed)
        else:
            raise TypeError(f"on_error must return None or a number of seconds to wait, not {chosen!r}")
        self.reconnects += 1
        resume = f", Last-Event-ID: {failure.last_event_id}" if failure.last_event_id else ""
        # A drop after a connection that made progress is the stream working as meant; a
        # connection that keeps failing (a typo'd port, a server down) must not be silent.
        level = logging.INFO if failure.attempt == 1 and self.opened else logging.WARNING
        logger.log(level, "reconnecting in %.3fs (attempt %d%s): %s", wait, failure.attempt, resume, failure.reason)
        return wait

    def base_delay(self, server_retry_ms: Optional[int]) -> Optional[float]:
        """The wait before a first reconnect: the server's ``retry``, else the policy's."""
        if self.policy is None:
            return seconds(server_retry_ms)
        return self.policy.delay(1, server_retry=seconds(server_retry_ms), random_fraction=0.0)
