"""The loops that read an `EventSource`: one plan of steps, two drivers.

`steps` is the whole life of a stream as a generator of commands (send this request,
read this body, call this hook, sleep so long, let this response go), with no I/O of
its own: a driver performs each command and sends back its result, or throws in its
error. The sync and the async driver differ only where I/O does: how they send,
read, sleep and call hooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Optional, Union

import anyio  # httpx's own dependency: one sleep for asyncio and trio alike
import httpx

from ._body import aclose, async_chunks, sync_chunks
from ._exceptions import SSEError
from ._gate import InBand
from ._hooks import call_async, call_sync, caused_by
from ._lifecycle import StreamFailure
from ._models import ServerSentEvent, SSEComment
from ._response import Verdict, aread_body_start, read_body_start
from ._stream import StreamState

# Looked up at call time, so tests can wait without waiting. None: the sync loop waits on
# the stream's stop event, which close() from another thread sets.
_sleep: Optional[Callable[[float], None]] = None
_async_sleep = anyio.sleep


@dataclass(frozen=True)
class Send:
    request: httpx.Request


@dataclass(frozen=True)
class Stream:
    """Read the body, handing out its events, until it ends or the terminal event."""

    response: httpx.Response


@dataclass(frozen=True)
class BodyStart:
    """Read the start of a refused response's body, to quote it in the error."""

    response: httpx.Response


@dataclass(frozen=True)
class Hook:
    hook: Callable[[Any], Any]
    argument: object


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Release:
    """A connection is done with: close it if it is the stream's to close."""

    response: httpx.Response


Command = Union[Send, Stream, BodyStart, Hook, Sleep, Release]


def connect(state: StreamState) -> Generator[Command, Any, None]:
    """Send the request; when reconnecting, keep a failure for the loop to wait on."""
    request = state.request()
    try:
        state.response = state.latest = yield Send(request)
        state.telemetry.answered(state.response)
    except state.lib.retryable as error:
        state.pending_failure = state.send_failed(error, request)
    except SSEError as error:
        state.pending_failure = state.refused_error(error)


def steps(state: StreamState) -> Generator[Command, Any, None]:
    """The whole stream: connections, reads, waits and hooks, until it is done."""
    try:
        yield from _steps(state)
    except Exception as error:
        state.finish(error)
        raise
    finally:
        state.finish()  # returned, or closed (GeneratorExit: the iteration was closed or collected)


def _steps(state: StreamState) -> Generator[Command, Any, None]:
    life = state.life
    hooks = state.hooks
    while not life.finished:
        failure, state.pending_failure = state.pending_failure, None
        response = state.response
        if failure is None:
            if response is None:
                yield from connect(state)
                continue
            failure = yield from read(state, response)
            if failure is None:
                return
        chosen = None
        if hooks.on_error is not None:
            try:
                chosen = yield Hook(hooks.on_error, failure)
            except Exception as error:
                raise caused_by(error, failure)  # noqa: B904  (the cause is the failure's)
        yield Sleep(state.wait(failure, chosen))
        if state.resumption.wanted():
            assert hooks.resume is not None
            try:
                request = yield Hook(hooks.resume, failure)
            except SSEError as error:  # the factory says the stream cannot go on (a preset's rule)
                raise caused_by(state.lib.adopt(error), failure)  # noqa: B904  (the cause is the failure's)
            state.resume_with(request, failure)


def read(state: StreamState, response: httpx.Response) -> Generator[Command, Any, Optional[StreamFailure]]:
    """One response, read to its end: the failure that follows it, or ``None`` when the stream is done."""
    life = state.life
    failure: Optional[StreamFailure] = None
    in_band: Optional[BaseException] = None
    try:
        verdict = life.response_verdict(response)
        if verdict is Verdict.NO_CONTENT:
            state.tally.ended("no_content")
        elif verdict is Verdict.STREAM:
            if state.hooks.on_open is not None:
                yield Hook(state.hooks.on_open, response)
            state.opened(response)
            yield Stream(response)
            failure = None if life.finished else state.ended(response)
        else:
            failure = state.refused(response, (yield BodyStart(response)))
    except InBand as raised:
        in_band = raised.error
    except state.lib.retryable as error:
        failure = state.read_failure(error, response)
    except SSEError as error:
        state.with_request(error, response)
        yield Release(response)
        raise
    except Exception:
        yield Release(response)  # a hook raised: no connection is left open
        raise
    if in_band is not None:
        if not state.retries_in_band(in_band, response):
            yield Release(response)
            raise in_band
        failure = state.read_failure(in_band, response, served=False)
    yield Release(response)
    return failure


def _stop(state: StreamState, plan: Generator[Command, Any, None]) -> Optional[httpx.Response]:
    """The stream was closed from elsewhere: end the plan (what the close interrupted is no
    failure); the connection to close, if it is the stream's to close."""
    plan.close()
    response = state.response
    return response if response is not None and state.release() else None


# -- sync ---------------------------------------------------------------------------


def perform(state: StreamState, plan: Generator[Command, Any, None]) -> Generator[ServerSentEvent, None, None]:
    """Drive ``plan`` with blocking I/O, handing out the events it streams."""
    result: Any = None
    error: Optional[BaseException] = None
    while True:
        if state.stopping.is_set():
            response = _stop(state, plan)
            if response is not None:
                response.close()
            return
        try:
            command = plan.send(result) if error is None else plan.throw(error)
        except StopIteration:
            return
        except BaseException:
            state.tally.ended("error")
            raise
        result = error = None
        try:
            if isinstance(command, Stream):
                chunks = sync_chunks(command.response, state.lib)
                if state.hooks.item_by_item:
                    yield from _stream_watched(state, command.response, chunks)
                    continue
                # The usual stream, read here rather than in a generator of its own:
                # one frame fewer to resume for each event.
                feed = state.decoder.feed
                tally, clock = state.tally, state.clock  # the stats: when events come (inline: per chunk)
                for chunk in chunks:
                    events = feed(chunk)
                    if events:
                        now = clock()
                        if now - tally.progress_at > tally.longest_gap:
                            tally.gap_until(now)
                        tally.progress_at = now
                        if len(events) == 1:  # an event a chunk, as LLM servers flush
                            state.last = event = events[0]
                            yield event
                            continue
                        # A chunk's events go out in one delegation, not one loop turn
                        # each; the iterator tells how far the consumer got.
                        batch = iter(events)
                        state.handing = events, batch
                        yield from batch
                        state.last = events[-1]
                        state.handing = None
            elif isinstance(command, Send):
                client: Any = state.client
                with state.telemetry.sending(command.request):
                    result = client.send(command.request, stream=True, **state.send_options)
            elif isinstance(command, Hook):
                result = call_sync(command.hook, command.argument)
            elif isinstance(command, Sleep):
                if _sleep is None:
                    state.stopping.wait(command.seconds)
                else:
                    _sleep(command.seconds)
            elif isinstance(command, BodyStart):
                result = read_body_start(command.response.iter_bytes())
            elif state.release():
                command.response.close()
        except Exception as failed:
            error = failed
        except BaseException:  # closed mid-stream (GeneratorExit), interrupted, cancelled
            if isinstance(command, Stream) and state.release():
                command.response.close()
            raise


def _stream_watched(
    state: StreamState, response: httpx.Response, chunks: Iterator[bytes]
) -> Generator[ServerSentEvent, None, None]:
    """A stream read with comments, the idle timer or a terminal event in play: item by item."""
    hooks = state.hooks
    until = hooks.until
    gate = state.gate
    for chunk in chunks:
        items = state.decode_watched(chunk, response)
        state.mid_chunk = True
        for item in items:
            if isinstance(item, SSEComment):
                call_sync(hooks.on_comment, item)  # type: ignore[arg-type]
                continue
            gate.admit(item)
            state.last = item
            yield item
            if until is not None and state.is_terminal(item):
                return
        state.mid_chunk = False


def connect_now(state: StreamState) -> None:
    """`connect`, performed at once (``connect_sse`` opens the stream on entry)."""
    for _ in perform(state, connect(state)):
        pass


# -- async --------------------------------------------------------------------------


async def aperform(state: StreamState, plan: Generator[Command, Any, None]) -> AsyncGenerator[ServerSentEvent, None]:
    """Drive ``plan`` with async I/O (asyncio or trio), handing out the events it streams."""
    result: Any = None
    error: Optional[BaseException] = None
    while True:
        if state.stopping.is_set():
            response = _stop(state, plan)
            if response is not None:
                with anyio.CancelScope(shield=True):
                    await aclose(response, state.chunks)
            return
        try:
            command = plan.send(result) if error is None else plan.throw(error)
        except StopIteration:
            return
        except BaseException:
            state.tally.ended("error")
            raise
        result = error = None
        watched: Optional[AsyncGenerator[ServerSentEvent, None]] = None
        try:
            if isinstance(command, Stream):
                state.chunks = chunks = async_chunks(command.response, state.lib)
                if state.hooks.item_by_item:
                    watched = _astream_watched(state, command.response, chunks)
                    async for event in watched:
                        yield event
                    continue
                feed = state.decoder.feed  # as in `perform`
                tally, clock = state.tally, state.clock
                async for chunk in chunks:
                    events = feed(chunk)
                    if events:
                        now = clock()
                        if now - tally.progress_at > tally.longest_gap:
                            tally.gap_until(now)
                        tally.progress_at = now
                        if len(events) == 1:
                            state.last = event = events[0]
                            yield event
                            continue
                        batch = iter(events)
                        state.handing = events, batch
                        for event in batch:
                            yield event
                        state.last = events[-1]
                        state.handing = None
            elif isinstance(command, Send):
                client = state.client
                with state.telemetry.sending(command.request):
                    result = await client.send(command.request, stream=True, **state.send_options)
            elif isinstance(command, Hook):
                result = await call_async(command.hook, command.argument)
            elif isinstance(command, Sleep):
                with anyio.CancelScope() as state.sleeping:  # aclose() from another task cancels it
                    await _async_sleep(command.seconds)
                state.sleeping = None
            elif isinstance(command, BodyStart):
                result = await aread_body_start(command.response.aiter_bytes())
            elif state.release():
                await aclose(command.response, state.chunks)
        except Exception as failed:
            error = failed
        except BaseException:  # closed mid-stream (GeneratorExit), interrupted, cancelled
            if isinstance(command, Stream):
                with anyio.CancelScope(shield=True):
                    if watched is not None:
                        await watched.aclose()
                    if state.release():
                        await aclose(command.response, state.chunks)
            raise


async def _astream_watched(
    state: StreamState, response: httpx.Response, chunks: AsyncIterator[bytes]
) -> AsyncGenerator[ServerSentEvent, None]:
    hooks = state.hooks
    until = hooks.until
    gate = state.gate
    async for chunk in chunks:
        items = state.decode_watched(chunk, response)
        state.mid_chunk = True
        for item in items:
            if isinstance(item, SSEComment):
                await call_async(hooks.on_comment, item)  # type: ignore[arg-type]
                continue
            gate.admit(item)
            state.last = item
            yield item
            if until is not None and state.is_terminal(item):
                return
        state.mid_chunk = False


async def aconnect_now(state: StreamState) -> None:
    async for _ in aperform(state, connect(state)):
        pass
