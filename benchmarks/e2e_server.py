"""A loopback SSE server for the end-to-end benchmark: every connection gets ``count``
small JSON events, each in its own HTTP chunk, as LLM servers send tokens.

Standard library only. Prints its URL on the first line, then serves until killed.
"""

from __future__ import annotations

import json
import socket
import sys
import threading

WORDS = ["The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", "."]


def body_chunks(count: int, frame: int = 0) -> bytes:
    """The chunked body: one HTTP chunk per event (``frame`` 0), or chunks of ``frame`` bytes."""
    events = [
        f"data: {json.dumps({'choices': [{'delta': {'content': WORDS[i % len(WORDS)]}}]})}\n\n".encode()
        for i in range(count)
    ]
    if frame:
        data = b"".join(events)
        events = [data[i : i + frame] for i in range(0, len(data), frame)]
    out = [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in events]
    out.append(b"0\r\n\r\n")
    return b"".join(out)


def serve(count: int, frame: int = 0) -> None:
    payload = body_chunks(count, frame)
    warm_up = body_chunks(200, frame)  # GET /warm-up: a short stream, read before the clock starts
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    print(f"http://127.0.0.1:{listener.getsockname()[1]}/", flush=True)

    def handle(conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                data = conn.recv(65536)
                if not data:
                    return
                request += data
            conn.sendall(head)
            view = memoryview(warm_up if request.startswith(b"GET /warm-up") else payload)
            step = 4096
            for i in range(0, len(view), step):
                conn.sendall(view[i : i + step])

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, int(sys.argv[2]) if len(sys.argv) > 2 else 0)
