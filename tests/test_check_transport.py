"""``testing.check_transport``: fit stacks pass every property (httpx and httpx2, sync and
async, httpx-aiohttp), and each kind of unfit transport fails the property it breaks: one
that holds events back, one whose read timeout is a deadline for the whole stream, one that
never closes a stream it was told to leave."""

from __future__ import annotations

import time
from typing import Any, Iterator, List

import httpx
import pytest

from httpx_sse.testing import TransportReport, check_transport

from .conftest import HAS_HTTPX2


def verdicts(report: TransportReport) -> List[bool]:
    return [check.passed for check in report.checks]


@pytest.mark.parametrize("kind", ["Client", "AsyncClient"])
def test_httpx_default_transports_are_fit(kind: str) -> None:
    report = check_transport(getattr(httpx, kind))
    report.assert_fit()
    assert len(report.checks) == 6 and str(report).startswith(f"httpx.{kind} (")


@pytest.mark.skipif(not HAS_HTTPX2, reason="httpx2 is not installed (it needs Python 3.11 or newer)")
@pytest.mark.parametrize("kind", ["Client", "AsyncClient"])
def test_httpx2_is_fit(kind: str) -> None:
    import httpx2

    check_transport(getattr(httpx2, kind)).assert_fit()


def test_httpx_aiohttp_is_fit_on_trio_too_where_it_runs() -> None:
    httpx_aiohttp = pytest.importorskip("httpx_aiohttp")
    check_transport(httpx_aiohttp.HttpxAiohttpClient).assert_fit()


class Buffering(httpx.BaseTransport):
    """Reads the whole body before handing it over, as some sync transports do."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        body = b"".join(response.stream)  # type: ignore[union-attr]
        response.close()
        return httpx.Response(response.status_code, headers=response.headers, content=body, request=request)


class Deadline(httpx.BaseTransport):
    """Turns the read timeout into a deadline for the whole response."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        limit = time.monotonic() + 1.0  # past the 0.8 s paced stream, short of the 1.2 s slow one
        inner = response.stream

        class Stream(httpx.SyncByteStream):
            def __iter__(self) -> Iterator[bytes]:
                for chunk in inner:  # type: ignore[union-attr]
                    if time.monotonic() > limit:
                        raise httpx.ReadTimeout("deadline", request=request)
                    yield chunk

            def close(self) -> None:
                inner.close()  # type: ignore[union-attr]

        return httpx.Response(response.status_code, headers=response.headers, stream=Stream(), request=request)


KEPT: List[Any] = []


class NeverCloses(httpx.BaseTransport):
    """Ignores close(): the connection stays open after the caller left the stream."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        chunks = iter(response.stream)  # type: ignore[call-overload]
        KEPT.append(response)

        class Stream(httpx.SyncByteStream):
            def __iter__(self) -> Iterator[bytes]:
                while True:  # not `yield from`: leaving this loop leaves the body open
                    try:
                        yield next(chunks)
                    except StopIteration:
                        return

            def close(self) -> None:
                pass

        return httpx.Response(response.status_code, headers=response.headers, stream=Stream(), request=request)


def test_a_buffering_transport_fails_the_first_property() -> None:
    report = check_transport(lambda: httpx.Client(transport=Buffering()))
    assert not report.fit and verdicts(report)[0] is False
    assert "FAIL  events arrive as they are sent" in str(report) and "holds events back" in str(report)
    with pytest.raises(AssertionError, match="NOT fit for event streams"):
        report.assert_fit()


def test_a_deadline_for_the_whole_stream_fails_the_per_read_property() -> None:
    report = check_transport(lambda: httpx.Client(transport=Deadline()))
    assert verdicts(report)[1] is False and "was killed" in report.checks[1].detail
    assert verdicts(report)[0] is True  # it does not buffer


def test_a_transport_that_never_closes_fails_the_leaving_property() -> None:
    try:
        report = check_transport(lambda: httpx.Client(transport=NeverCloses()))
    finally:
        for response in KEPT:
            response.close()
        KEPT.clear()
    assert verdicts(report)[3] is False and "still writing" in report.checks[3].detail


def test_our_lifecycle_works_unchanged_over_httpx_aiohttp() -> None:
    import anyio

    from httpx_sse import Reconnect, StreamStalled, aconnect_sse

    from .servers import Reply, ScriptedServer, Seen

    httpx_aiohttp = pytest.importorskip("httpx_aiohttp")

    def script(index: int, seen: Seen) -> Reply:
        if index == 0:
            return Reply(body=b"id: 1\ndata: a\n\n", then="silent")  # stalls: idle_timeout reconnects
        if index == 1:
            return Reply(body=b"id: 2\ndata: b\n\n", then="reset")  # drops: resumed after id 2
        return Reply(body=b"id: 3\ndata: c\n\nid: 4\ndata: [DONE]\n\n", then="silent")  # until= ends it

    failures: List[Any] = []

    async def main(url: str) -> List[str]:
        async with httpx_aiohttp.HttpxAiohttpClient() as client:
            async with aconnect_sse(
                client,
                "GET",
                url,
                reconnect=Reconnect(initial_delay=0.01, jitter=0.0),
                idle_timeout=0.3,
                until=lambda sse: sse.data == "[DONE]",
                on_error=failures.append,
            ) as source:
                return [sse.data async for sse in source]

    with ScriptedServer(script) as server:
        events = anyio.run(main, server.url)
        assert server.last_event_ids == [None, "1", "2"]
    assert events == ["a", "b", "c", "[DONE]"]
    assert isinstance(failures[0].error, StreamStalled) and failures[1].last_event_id == "2"
