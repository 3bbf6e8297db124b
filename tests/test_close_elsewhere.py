"""close() from another thread and aclose() from another task end a blocked reader promptly and cleanly."""

from __future__ import annotations

import threading
import time
from typing import List, Optional

import anyio
import httpx
import pytest

from httpx_sse import EventSource, Reconnect, aconnect_sse, connect_sse

from .servers import bound_socket

PROMPT = 5.0  # seconds: far under the server's 30 s of silence


class Reader(threading.Thread):
    """Iterates a source in a thread of its own, keeping what it received and what it raised."""

    def __init__(self, source: EventSource) -> None:
        super().__init__()
        self.source = source
        self.received: List[str] = []
        self.failure: List[BaseException] = []
        self.start()

    def run(self) -> None:
        try:
            for sse in self.source:
                self.received.append(sse.data)
        except BaseException as error:  # pragma: no cover - a failure to report
            self.failure.append(error)

    def close_and_join(self) -> None:
        """close() the source from this thread; the reader must be done promptly."""
        started = time.monotonic()
        self.source.close()
        self.join(PROMPT)
        assert not self.is_alive(), "the reader is still blocked after close()"
        assert time.monotonic() - started < PROMPT


@pytest.mark.parametrize("reconnect", [False, True])
def test_close_from_another_thread_ends_a_blocked_read(server: str, reconnect: bool) -> None:
    with httpx.Client(timeout=60) as client:
        with connect_sse(client, "GET", f"{server}/silent", reconnect=reconnect) as source:
            reader = Reader(source)
            while not reader.received:
                time.sleep(0.01)
            time.sleep(0.2)  # the reader is now blocked on the silent connection
            reader.close_and_join()
    assert reader.received == ["hello"]
    assert reader.failure == []  # ended cleanly, not with the error the close caused
    assert source.reconnects == 0


def test_close_from_another_thread_wakes_a_reconnect_wait() -> None:
    sock = bound_socket()  # nothing accepts: every connection fails, and the loop waits
    port = sock.getsockname()[1]
    sock.close()
    with httpx.Client() as client:
        with connect_sse(client, "GET", f"http://127.0.0.1:{port}/", reconnect=Reconnect(initial_delay=30)) as source:
            reader = Reader(source)
            time.sleep(0.3)  # the reader waits 30 s before reconnecting
            reader.close_and_join()
    assert reader.received == [] and reader.failure == []


def test_leaving_connect_sse_from_another_thread_is_clean(server: str) -> None:
    holder: List[object] = []
    errors: List[BaseException] = []
    with httpx.Client(timeout=60) as client:

        def read() -> None:
            try:
                with connect_sse(client, "GET", f"{server}/silent", reconnect=True) as source:
                    holder.append(source)
                    for _ in source:
                        pass
            except BaseException as error:  # pragma: no cover - a failure to report
                errors.append(error)

        reader = threading.Thread(target=read)
        reader.start()
        while not holder:
            time.sleep(0.01)
        time.sleep(0.2)
        holder[0].close()  # type: ignore[attr-defined]
        reader.join(PROMPT)
        assert not reader.is_alive()
    assert errors == []


@pytest.mark.anyio
@pytest.mark.parametrize("reconnect", [False, True])
async def test_aclose_from_another_task_ends_a_blocked_read(server: str, reconnect: bool) -> None:
    received: List[str] = []
    async with httpx.AsyncClient(timeout=60) as client:
        async with aconnect_sse(client, "GET", f"{server}/silent", reconnect=reconnect) as source:
            with anyio.fail_after(PROMPT):
                async with anyio.create_task_group() as tasks:

                    async def read() -> None:
                        async for sse in source:
                            received.append(sse.data)

                    tasks.start_soon(read)
                    while not received:
                        await anyio.sleep(0.01)
                    await anyio.sleep(0.2)
                    await source.aclose()
    assert received == ["hello"]
    assert source.reconnects == 0


@pytest.mark.anyio
async def test_aclose_from_another_task_wakes_a_reconnect_wait() -> None:
    sock = bound_socket()
    port = sock.getsockname()[1]
    sock.close()
    error: Optional[BaseException] = None
    async with httpx.AsyncClient() as client:
        async with aconnect_sse(
            client, "GET", f"http://127.0.0.1:{port}/", reconnect=Reconnect(initial_delay=30)
        ) as source:
            with anyio.fail_after(PROMPT):
                async with anyio.create_task_group() as tasks:

                    async def read() -> None:
                        async for _ in source:
                            pass  # pragma: no cover - nothing comes

                    tasks.start_soon(read)
                    await anyio.sleep(0.3)
                    await source.aclose()
    assert error is None
