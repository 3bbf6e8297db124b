"""The two loops that read an `EventSource`: one sync, one async.

They perform what the source and its `Lifecycle` decide, and differ only where I/O
does: how they send, read, sleep and call hooks. Keep them line for line alike.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, AsyncGenerator, AsyncIterator, Generator, Optional

import anyio  # httpx's own dependency: one sleep for asyncio and trio alike
import httpx

from ._body import aclose, async_chunks, pieces, sync_chunks
from ._exceptions import SSEError
from ._hooks import call_async, call_sync, caused_by
from ._lifecycle import StreamFailure
from ._models import ServerSentEvent, SSEComment
from ._reconnect import RETRYABLE_ERRORS
from ._response import Verdict, aread_body_start, read_body_start

if TYPE_CHECKING:
    from ._source import EventSource

# Looked up at call time, so tests can wait without waiting.
_sleep = time.sleep
_async_sleep = anyio.sleep

# -- sync ---------------------------------------------------------------------------


def connect(source: EventSource) -> None:
    """Send the request; when reconnecting, keep a failure for the loop to wait on."""
    plan = source._plan
    assert plan is not None and isinstance(plan.client, httpx.Client)
    request = source._request()
    try:
        source._response = source._latest = plan.client.send(request, stream=True, **plan.send_options)
    except RETRYABLE_ERRORS as error:
        source._pending_failure = source._failed(error, request)
    except SSEError as error:
        source._pending_failure = source._refused_error(error)


def iterate(source: EventSource) -> Generator[ServerSentEvent, None, None]:
    life = source._life
    decoder = source._decoder
    hooks = source._hooks
    until = hooks.until
    while not life.finished:
        failure, source._pending_failure = source._pending_failure, None
        response = source._response
        if failure is None:
            if response is None:
                connect(source)
                continue
            last_before = source._last
            try:
                verdict = life.response_verdict(response)
                if verdict is Verdict.NO_CONTENT:
                    return
                if verdict is Verdict.STREAM:
                    if hooks.on_open is not None:
                        call_sync(hooks.on_open, response)
                    source._opened(response)
                    watching = hooks.watching
                    for chunk in sync_chunks(response):
                        for piece in pieces(chunk):
                            items = source._decode_watched(piece, response) if watching else decoder.feed(piece)
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
                    failure = source._ended(response, last_before)
                    if failure is None:
                        return
                else:
                    failure = source._refused(response, read_body_start(response.iter_bytes()))
            except RETRYABLE_ERRORS as error:
                failure = source._read_failure(error, response, last_before)
            except SSEError as error:
                source._with_request(error, response)
                raise
            finally:
                source._mid_chunk = False
                if source._release():
                    response.close()
        _sleep(source._wait(failure, _on_error(source, failure)))


def _on_error(source: EventSource, failure: StreamFailure) -> object:
    on_error = source._hooks.on_error
    if on_error is None:
        return None
    try:
        return call_sync(on_error, failure)
    except BaseException as error:
        raise caused_by(error, failure)  # noqa: B904  (the cause is the failure's)


# -- async --------------------------------------------------------------------------


async def aconnect(source: EventSource) -> None:
    plan = source._plan
    assert plan is not None and isinstance(plan.client, httpx.AsyncClient)
    request = source._request()
    try:
        source._response = source._latest = await plan.client.send(request, stream=True, **plan.send_options)
    except RETRYABLE_ERRORS as error:
        source._pending_failure = source._failed(error, request)
    except SSEError as error:
        source._pending_failure = source._refused_error(error)


async def aiterate(source: EventSource) -> AsyncGenerator[ServerSentEvent, None]:
    life = source._life
    decoder = source._decoder
    hooks = source._hooks
    until = hooks.until
    while not life.finished:
        failure, source._pending_failure = source._pending_failure, None
        response = source._response
        if failure is None:
            if response is None:
                await aconnect(source)
                continue
            last_before = source._last
            chunks: Optional[AsyncIterator[bytes]] = None
            try:
                verdict = life.response_verdict(response)
                if verdict is Verdict.NO_CONTENT:
                    return
                if verdict is Verdict.STREAM:
                    if hooks.on_open is not None:
                        await call_async(hooks.on_open, response)
                    source._opened(response)
                    watching = hooks.watching
                    chunks = async_chunks(response)
                    async for chunk in chunks:
                        for piece in pieces(chunk):
                            items = source._decode_watched(piece, response) if watching else decoder.feed(piece)
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
                    failure = source._ended(response, last_before)
                    if failure is None:
                        return
                else:
                    failure = source._refused(response, await aread_body_start(response.aiter_bytes()))
            except RETRYABLE_ERRORS as error:
                failure = source._read_failure(error, response, last_before)
            except SSEError as error:
                source._with_request(error, response)
                raise
            finally:
                source._mid_chunk = False
                if source._release():
                    await aclose(response, chunks)
        await _async_sleep(source._wait(failure, await _aon_error(source, failure)))


async def _aon_error(source: EventSource, failure: StreamFailure) -> object:
    on_error = source._hooks.on_error
    if on_error is None:
        return None
    try:
        return await call_async(on_error, failure)
    except BaseException as error:
        raise caused_by(error, failure)  # noqa: B904  (the cause is the failure's)
