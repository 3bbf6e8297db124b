"""Real servers on 127.0.0.1 for the tests: uvicorn for ASGI apps, and a raw-socket
server whose every connection follows a script (events, then a clean close, a TCP
reset, silence or an HTTP error), for what an ASGI app cannot do to a socket."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, TypeVar

import uvicorn


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.contextmanager
def run_uvicorn(app: Any, *, certificate: Optional[str] = None) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yield its base URL.

    ``certificate``: a PEM file with the key and its chain, to serve HTTPS.
    """
    sock = bound_socket()
    port = sock.getsockname()[1]
    tls: Dict[str, Any] = {"ssl_certfile": certificate, "ssl_keyfile": certificate} if certificate else {}
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1, **tls)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"{'https' if certificate else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


# -- the scripted raw server ------------------------------------------------------------


@dataclass
class Reply:
    """What one connection gets. ``then`` is how it ends after ``body``:
    "close" (clean end), "reset" (TCP RST), "silent" (hang until the client leaves)."""

    body: bytes = b""
    status: int = 200
    headers: Dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/event-stream"})
    then: str = "close"
    pause: float = 0.0  # between writing the body's blocks, to make many TCP segments


@dataclass
class Seen:
    method: str
    path: str
    headers: Dict[str, str]
    body: bytes


class LoopbackListener:
    """A listening socket on loopback whose accept loop runs in a thread; each connection
    is handed to ``_accepted`` (in the accept thread), which starts its worker."""

    def __init__(self) -> None:
        self._sock = bound_socket()
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._workers: List[threading.Thread] = []

    def __enter__(self: _Listener) -> _Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for worker in self._workers:
            worker.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self._accepted(conn)

    def _accepted(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        worker = threading.Thread(target=target, args=args, daemon=True)
        self._workers.append(worker)
        worker.start()


_Listener = TypeVar("_Listener", bound=LoopbackListener)


class ScriptedServer(LoopbackListener):
    """Each connection is answered by ``script(n, request)`` for the n-th connection (0-based)."""

    def __init__(self, script: Callable[[int, Seen], Reply]) -> None:
        super().__init__()
        self.script = script
        self.requests: List[Seen] = []

    @property
    def last_event_ids(self) -> List[Optional[str]]:
        return [seen.headers.get("last-event-id") for seen in self.requests]

    def _accepted(self, conn: socket.socket) -> None:
        index = len(self.requests)
        self.requests.append(Seen("", "", {}, b""))  # reserve the slot in arrival order
        self._spawn(self._handle, conn, index)

    def _handle(self, conn: socket.socket, index: int) -> None:
        try:
            seen = _read_request(conn)
            if seen is None:
                return
            self.requests[index] = seen
            reply = self.script(index, seen)
            head = [f"HTTP/1.1 {reply.status} X"]
            head += [f"{name}: {value}" for name, value in reply.headers.items()]
            if reply.then == "close" and reply.status != 204:
                head.append("Connection: close")
            conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            if reply.pause:
                for block in reply.body.split(b"\n\n"):
                    conn.sendall(block + b"\n\n")
                    time.sleep(reply.pause)
            elif reply.body:
                conn.sendall(reply.body)
            if reply.then == "reset":
                time.sleep(0.05)  # let the client read what was sent before the RST
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif reply.then == "silent":
                while not self._stop.is_set() and _peer_open(conn):
                    time.sleep(0.05)
        except OSError:
            pass
        finally:
            conn.close()


def _peer_open(conn: socket.socket) -> bool:
    conn.setblocking(False)
    try:
        return conn.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        conn.setblocking(True)


def _read_request(conn: socket.socket) -> Optional[Seen]:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, path, _ = request_line.split(" ", 2)
    headers: Dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return Seen(method, path, headers, body)


def events_body(numbers: range, *, retry: Optional[int] = None) -> bytes:
    """Blocks ``id: n / data: event n`` for each n, with a ``retry`` first if given."""
    out = b"" if retry is None else f"retry: {retry}\n\n".encode()
    for n in numbers:
        out += f"id: {n}\ndata: event {n}\n\n".encode()
    return out


def parse_ids(events: List[Any]) -> List[int]:
    return [int(e.id) for e in events]


class ForwardProxy(LoopbackListener):
    """A plain-HTTP forward proxy on loopback: it relays each request to the host its
    absolute URL names, and records those URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: List[str] = []

    def _accepted(self, conn: socket.socket) -> None:
        self._spawn(self._relay, conn)

    def _relay(self, conn: socket.socket) -> None:
        from urllib.parse import urlsplit

        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            request_line, rest = head.split(b"\r\n", 1)
            method, target, version = request_line.decode("latin-1").split(" ", 2)
            self.seen.append(target)
            parts = urlsplit(target)
            upstream = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=10)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            upstream.sendall(f"{method} {path or '/'} {version}\r\n".encode("latin-1") + rest)
            upstream.settimeout(None)
            conn.settimeout(None)
            while not self._stop.is_set():
                data = upstream.recv(65536)
                if not data:
                    break
                conn.sendall(data)
            upstream.close()
        except OSError:
            pass
        finally:
            conn.close()
