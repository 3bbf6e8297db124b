"""A small HTTP/1.1 server on 127.0.0.1 for `check_transport`: each path is a behaviour an
event stream meets in the wild, and the server notes what it saw (requests, when each event
was sent, when the client went away). Standard library only; one thread per connection."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional
from urllib.parse import parse_qs, urlsplit

__all__ = ["LoopbackServer", "Seen"]


@dataclass
class Seen:
    path: str
    headers: Dict[str, str]


@dataclass
class _Log:
    requests: List[Seen] = field(default_factory=list)
    sent_at: Dict[str, float] = field(default_factory=dict)  # event id -> when it was written
    gone_at: Optional[float] = None  # when writing to a client that left failed


class LoopbackServer:
    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(32)
        self._sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.log = _Log()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: List[threading.Thread] = []
        self._routes: Dict[str, Callable[[socket.socket, Seen, Dict[str, str]], None]] = {
            "/paced": self._paced,
            "/silent": self._silent,
            "/endless": self._endless,
            "/start": self._start,
            "/stream": self._cookie_stream,
            "/resume": self._resume,
        }

    def __enter__(self) -> LoopbackServer:
        thread = threading.Thread(target=self._serve, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._sock.close()

    def reset_log(self) -> None:
        with self._lock:
            self.log = _Log()

    # -- the plumbing ---------------------------------------------------------------------

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    piece = conn.recv(65536)
                    if not piece:
                        return
                    data += piece
            except OSError:
                return
            head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            target = head[0].split(" ")[1] if len(head[0].split(" ")) > 1 else "/"
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            parts = urlsplit(target)
            query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            seen = Seen(parts.path, headers)
            with self._lock:
                self.log.requests.append(seen)
            route = self._routes.get(parts.path)
            try:
                if route is None:
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                else:
                    route(conn, seen, query)
            except OSError:
                with self._lock:
                    if self.log.gone_at is None:
                        self.log.gone_at = time.monotonic()

    @staticmethod
    def _head(conn: socket.socket, extra: str = "") -> None:
        conn.sendall(
            (
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
                f"Transfer-Encoding: chunked\r\nConnection: close\r\n{extra}\r\n"
            ).encode()
        )

    def _event(self, conn: socket.socket, event_id: str, data: str = "tick") -> None:
        body = f"id: {event_id}\ndata: {data}\n\n".encode()
        with self._lock:
            self.log.sent_at[event_id] = time.monotonic()
        conn.sendall(b"%x\r\n%s\r\n" % (len(body), body))

    @staticmethod
    def _end(conn: socket.socket) -> None:
        conn.sendall(b"0\r\n\r\n")

    # -- the behaviours -------------------------------------------------------------------

    def _paced(self, conn: socket.socket, seen: Seen, query: Dict[str, str]) -> None:
        """``count`` events, ``gap`` seconds apart, then the end."""
        self._head(conn)
        count, gap = int(query.get("count", "3")), float(query.get("gap", "0.3"))
        for n in range(1, count + 1):
            if n > 1:
                time.sleep(gap)
            self._event(conn, str(n))
        self._end(conn)

    def _silent(self, conn: socket.socket, seen: Seen, query: Dict[str, str]) -> None:
        """Headers, then nothing until the client leaves (or a bound passes)."""
        self._head(conn)
        self._stop.wait(float(query.get("for", "10")))

    def _endless(self, conn: socket.socket, seen: Seen, query: Dict[str, str]) -> None:
        """An event every 50 ms, until writing fails: when the client closed its end."""
        self._head(conn)
        n = 0
        deadline = time.monotonic() + 10
        while not self._stop.is_set() and time.monotonic() < deadline:
            n += 1
            self._event(conn, str(n))
            time.sleep(0.05)

    def _start(self, conn: socket.socket, seen: Seen, query: Dict[str, str]) -> None:
        """A redirect to the stream, setting the cookie the stream asks for."""
        conn.sendall(
            b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /stream\r\nSet-Cookie: session=fit; Path=/\r\n"
            b"Content-Length: 0\r\nConnection: close\r\n\r\n"
        )

    def _cookie_stream(self, conn: socket.socket, seen: Seen, query: Dict[str, str]) -> None:
        """Refused without the cookie; event 1 then a drop, or after Last-Event-ID 1 event 2 and 204s."""
        if "session=fit" not in seen.headers.get("cookie", ""):
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        after = seen.headers.get("last-event-id", "")
        if after == "2":
            conn.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
            return
        self._head(conn)
        if after == "1":
            self._event(conn, "2")
            self._end(conn)
            return
        self._event(conn, "1")
        conn.sendall(b"ff\r\nid: 2\ndata: cut")  # a drop in the middle of a chunk

    def _resume(self, conn: socket.socket, seen: Seen, query: Dict[str, str]) -> None:
        """Events 1-9, three a connection, each connection dropped mid-event; then 204."""
        start = int(seen.headers.get("last-event-id", "0") or "0") + 1
        if start > 9:
            conn.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
            return
        self._head(conn, "")
        for n in range(start, min(start + 3, 10)):
            self._event(conn, str(n))
        if start + 3 <= 9:
            conn.sendall(b"20\r\nid: x\ndata: cut")
        else:
            self._end(conn)
