"""The built-in demo stream behind ``httpx-sse --demo``: a loopback server, standard
library only, that shows what an event stream can carry in a few seconds.

The first connection sends named events, ids, a ``retry``, comments, multi-line and
JSON data, then drops in the middle of an event. A client that resumes with
``Last-Event-ID`` gets the rest and a clean end of stream; the next reconnect is
answered ``204 No Content``, which tells a client to stop.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, List, Optional, Tuple

#: (id, event, data) of every event, in order; the connection drops after DROP_AFTER.
EVENTS: List[Tuple[str, str, str]] = [
    ("1", "greeting", "Hello from the httpx-sse demo stream!"),
    ("2", "message", "Data can span lines:\nthis is the second,\nand this the third."),
    ("3", "price", json.dumps({"symbol": "SSE", "price": 42.5, "currency": "EUR"})),
    ("4", "token", "Server"),
    ("5", "token", "-Sent"),
    ("6", "token", " Events"),
    ("7", "status", "The connection drops in the middle of the next event..."),
    ("8", "status", "...and the client resumed from Last-Event-ID: 7, losing nothing."),
    ("9", "price", json.dumps({"symbol": "SSE", "price": 43.0, "currency": "EUR"})),
    ("10", "goodbye", "The server ends the stream: done (a browser would reconnect and get 204 No Content)."),
]
DROP_AFTER = "7"
RETRY_MS = 300


def _block(event_id: str, event: str, data: str) -> bytes:
    lines = [f"id: {event_id}", f"event: {event}"] + [f"data: {line}" for line in data.split("\n")]
    return ("\n".join(lines) + "\n\n").encode()


def _first_connection() -> Iterator[bytes]:
    yield b": welcome to the httpx-sse demo stream (a comment: clients ignore it)\n\n"
    for event_id, event, data in EVENTS:
        # The first event also asks clients to wait RETRY_MS before reconnecting.
        yield (f"retry: {RETRY_MS}\n" if event_id == "1" else "").encode() + _block(event_id, event, data)
        if event_id == DROP_AFTER:
            yield b"id: 8\nevent: status\ndata: this event is cut off by the drop"
            return


def _resumed_connection(last_event_id: str) -> Iterator[bytes]:
    ids = [event_id for event_id, _, _ in EVENTS]
    start = ids.index(last_event_id) + 1 if last_event_id in ids else 0
    for event_id, event, data in EVENTS[start:]:
        if event_id == "9":
            yield b": keep-alive\n\n"
        yield _block(event_id, event, data)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    pause = 0.15

    def do_GET(self) -> None:
        last_event_id = self.headers.get("Last-Event-ID")
        if last_event_id == EVENTS[-1][0]:
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        first = last_event_id is None
        blocks = _first_connection() if first else _resumed_connection(last_event_id or "")
        for block in blocks:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
            self.wfile.flush()
            time.sleep(self.pause)
        if first:
            # Closing without the last chunk is a dropped connection to the client.
            self.close_connection = True
            return
        self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass  # the demo's output is the client's


class DemoServer:
    """The demo stream on 127.0.0.1, on a free port, in a background thread."""

    def __init__(self, pause: float = 0.15) -> None:
        handler = type("DemoHandler", (_Handler,), {"pause": pause})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def __enter__(self) -> DemoServer:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
