"""The loops that read an `EventSource`: one plan of steps, two drivers.

`steps` is the whole life of a stream as a generator of commands (send this request,
read this body, call this hook, sleep so long, let this response go), with no I/O of
its own: a driver performs each command and sends back its result, or throws in its
error. The sync and the async driver differ only where I/O does: how they send,
read, sleep and call hooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Optional, Union

import anyio  # httpx's own dependency: one sleep for asyncio and trio alike
import httpx

from ._body import aclose, async_chunks, sync_chunks
from ._exceptions import SSEError
from ._hooks import call_async, call_sync, caused_by
from ._models import ServerSentEvent, SSEComment
from ._response import Verdict, aread_body_start, read_body_start

if TYPE_CHECKING:
    from ._source import EventSource

# Looked up at call time, so tests can wait without waiting. None: the sync loop waits on
# the source's stop event, which close() from another thread sets.
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
    """A connection is done with: close it if it is the source's to close."""

    response: httpx.Response


Command = Union[Send, Stream, BodyStart, Hook, Sleep, Release]


def connect(source: EventSource[Any]) -> Generator[Command, Any, None]:
    """Send the request; when reconnecting, keep a failure for the loop to wait on."""
    request = source._request()
    try:
        source._response = source._latest = yield Send(request)
    except source._lib.retryable as error:
        source._pending_failure = source._failed(error, request)
    except SSEError as error:
        source._pending_failure = source._refused_error(error)


def steps(source: EventSource[Any]) -> Generator[Command, Any, None]:
    life = source._life
    hooks = source._hooks
    while not life.finished:
        failure, source._pending_failure = source._pending_failure, None
        response = source._response
        if failure is None:
            if response is None:
                yield from connect(source)
                continue
            last_before = source._last
            try:
                verdict = life.response_verdict(response)
                if verdict is Verdict.NO_CONTENT:
                    yield Release(response)
                    return
                if verdict is Verdict.STREAM:
                    if hooks.on_open is not None:
                        yield Hook(hooks.on_open, response)
                    source._opened(response)
                    yield Stream(response)
                    failure = None if life.finished else source._ended(response, last_before)
                else:
                    failure = source._refused(response, (yield BodyStart(response)))
            except source._lib.retryable as error:
                failure = source._read_failure(error, response, last_before)
            except SSEError as error:
                source._with_request(error, response)
                yield Release(response)
                raise
            except Exception:
                yield Release(response)  # a hook raised: no connection is left open
                raise
            yield Release(response)
            if failure is None:
                return
        chosen = None
        if hooks.on_error is not None:
            try:
                chosen = yield Hook(hooks.on_error, failure)
            except Exception as error:
                raise caused_by(error, failure)  # noqa: B904  (the cause is the failure's)
        yield Sleep(source._wait(failure, chosen))


def _stop(source: EventSource[Any], plan: Generator[Command, Any, None]) -> Optional[httpx.Response]:
    """The source was closed from elsewhere: end the plan (what the close interrupted is no
    failure); the connection to close, if it is the source's to close."""
    plan.close()
    response = source._response
    return response if response is not None and source._release() else None


# -- sync ---------------------------------------------------------------------------


def perform(source: EventSource[Any], plan: Generator[Command, Any, None]) -> Generator[ServerSentEvent, None, None]:
    """Drive ``plan`` with blocking I/O, handing out the events it streams."""
    result: Any = None
    error: Optional[BaseException] = None
    while True:
        if source._stopping.is_set():
            response = _stop(source, plan)
            if response is not None:
                response.close()
            return
        try:
            command = plan.send(result) if error is None else plan.throw(error)
        except StopIteration:
            return
        result = error = None
        try:
            if isinstance(command, Stream):
                chunks = sync_chunks(command.response, source._lib)
                if source._hooks.item_by_item:
                    yield from _stream_watched(source, command.response, chunks)
                    continue
                # The usual stream, read here rather than in a generator of its own:
                # one frame fewer to resume for each event.
                feed = source._decoder.feed
                for chunk in chunks:
                    events = feed(chunk)
                    if events:
                        # A chunk's events go out in one delegation, not one loop turn
                        # each; the iterator tells how far the consumer got.
                        batch = iter(events)
                        source._handing = events, batch
                        yield from batch
                        source._last = events[-1]
                        source._handing = None
            elif isinstance(command, Send):
                client: Any = source._client()
                result = client.send(command.request, stream=True, **source._send_options())
            elif isinstance(command, Hook):
                result = call_sync(command.hook, command.argument)
            elif isinstance(command, Sleep):
                if _sleep is None:
                    source._stopping.wait(command.seconds)
                else:
                    _sleep(command.seconds)
            elif isinstance(command, BodyStart):
                result = read_body_start(command.response.iter_bytes())
            elif source._release():
                command.response.close()
        except Exception as failed:
            error = failed
        except BaseException:  # closed mid-stream (GeneratorExit), interrupted, cancelled
            if isinstance(command, Stream) and source._release():
                command.response.close()
            raise


def _stream_watched(
    source: EventSource[Any], response: httpx.Response, chunks: Iterator[bytes]
) -> Generator[ServerSentEvent, None, None]:
    """A stream read with comments, the idle timer or a terminal event in play: item by item."""
    hooks = source._hooks
    until = hooks.until
    for chunk in chunks:
        items = source._decode_watched(chunk, response)
        source._mid_chunk = True
        for item in items:
            if isinstance(item, SSEComment):
                call_sync(hooks.on_comment, item)  # type: ignore[arg-type]
                continue
            source._last = item
            yield item
            if until is not None and source._is_terminal(item):
                return
        source._mid_chunk = False


def connect_now(source: EventSource[Any]) -> None:
    """`connect`, performed at once (``connect_sse`` opens the stream on entry)."""
    for _ in perform(source, connect(source)):
        pass


# -- async --------------------------------------------------------------------------


async def aperform(
    source: EventSource[Any], plan: Generator[Command, Any, None]
) -> AsyncGenerator[ServerSentEvent, None]:
    """Drive ``plan`` with async I/O (asyncio or trio), handing out the events it streams."""
    result: Any = None
    error: Optional[BaseException] = None
    while True:
        if source._stopping.is_set():
            response = _stop(source, plan)
            if response is not None:
                with anyio.CancelScope(shield=True):
                    await aclose(response, source._chunks)
            return
        try:
            command = plan.send(result) if error is None else plan.throw(error)
        except StopIteration:
            return
        result = error = None
        watched: Optional[AsyncGenerator[ServerSentEvent, None]] = None
        try:
            if isinstance(command, Stream):
                source._chunks = chunks = async_chunks(command.response, source._lib)
                if source._hooks.item_by_item:
                    watched = _astream_watched(source, command.response, chunks)
                    async for event in watched:
                        yield event
                    continue
                feed = source._decoder.feed  # as in `perform`
                async for chunk in chunks:
                    events = feed(chunk)
                    if events:
                        batch = iter(events)
                        source._handing = events, batch
                        for event in batch:
                            yield event
                        source._last = events[-1]
                        source._handing = None
            elif isinstance(command, Send):
                client = source._client()
                result = await client.send(command.request, stream=True, **source._send_options())
            elif isinstance(command, Hook):
                result = await call_async(command.hook, command.argument)
            elif isinstance(command, Sleep):
                with anyio.CancelScope() as source._sleeping:  # aclose() from another task cancels it
                    await _async_sleep(command.seconds)
                source._sleeping = None
            elif isinstance(command, BodyStart):
                result = await aread_body_start(command.response.aiter_bytes())
            elif source._release():
                await aclose(command.response, source._chunks)
        except Exception as failed:
            error = failed
        except BaseException:  # closed mid-stream (GeneratorExit), interrupted, cancelled
            if isinstance(command, Stream):
                with anyio.CancelScope(shield=True):
                    if watched is not None:
                        await watched.aclose()
                    if source._release():
                        await aclose(command.response, source._chunks)
            raise


async def _astream_watched(
    source: EventSource[Any], response: httpx.Response, chunks: AsyncIterator[bytes]
) -> AsyncGenerator[ServerSentEvent, None]:
    hooks = source._hooks
    until = hooks.until
    async for chunk in chunks:
        items = source._decode_watched(chunk, response)
        source._mid_chunk = True
        for item in items:
            if isinstance(item, SSEComment):
                await call_async(hooks.on_comment, item)  # type: ignore[arg-type]
                continue
            source._last = item
            yield item
            if until is not None and source._is_terminal(item):
                return
        source._mid_chunk = False


async def aconnect_now(source: EventSource[Any]) -> None:
    async for _ in aperform(source, connect(source)):
        pass
