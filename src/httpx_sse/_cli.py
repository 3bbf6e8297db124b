"""The ``httpx-sse`` command: tail a Server-Sent Events endpoint, one line per event.

A caller of the library like any other: it parses options, opens `connect_sse` and
prints what comes. Standard library and httpx only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import re
import signal
import sys
from pathlib import Path
from typing import IO, Callable, Iterator, List, Optional, Sequence

import httpx

from ._api import connect_sse
from ._exceptions import SSEError
from ._models import ServerSentEvent
from ._reconnect import Reconnect
from ._version import __version__

PROG = "httpx-sse"
DEFAULT_READ_TIMEOUT = 60.0  # servers that keep streams alive ping well within this


class UsageError(Exception):
    """A bad option value: reported like argparse's own errors, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Tail a Server-Sent Events stream: one line per event, as it arrives.",
        epilog="Try it: httpx-sse --demo",
    )
    parser.add_argument("url", nargs="?", help="the event stream's URL")
    parser.add_argument("--demo", action="store_true", help="start the built-in demo stream on 127.0.0.1 and tail it")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="write JSON Lines: event, data, id, retry")
    output.add_argument("--data-only", action="store_true", help="write each event's data alone")
    parser.add_argument("-X", "--method", default=None, help="HTTP method (default GET, or POST with --data)")
    parser.add_argument(
        "-H", "--header", action="append", default=[], metavar="'NAME: VALUE'", help="add a request header (repeatable)"
    )
    parser.add_argument("-d", "--data", metavar="BODY", help="request body; @FILE reads it from a file")
    parser.add_argument("--last-event-id", metavar="ID", help="resume after this event ID (sends Last-Event-ID)")
    parser.add_argument("--max-events", type=int, metavar="N", help="exit after N events")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_READ_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on a silent stream after this long, then reconnect (default {DEFAULT_READ_TIMEOUT:g}; 0: never)",
    )
    parser.add_argument("--http2", action="store_true", help="use HTTP/2 (needs: pip install 'httpx-sse[http2]')")
    parser.add_argument("--no-reconnect", action="store_true", help="exit when the connection drops")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    return parser


# What a server could use to drive the terminal: C0 and C1 controls (ESC, BEL, CSI,
# OSC...), DEL, line and paragraph separators, and the bidirectional overrides.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\\\\]")
_NAMED = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape(text: str) -> str:
    """Text safe to show on a terminal: control characters written as escapes, as less does."""
    return _UNSAFE.sub(_escape_one, text)


_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 "token"


def parse_headers(values: Sequence[str]) -> List[tuple[str, bytes]]:
    headers = []
    for value in values:
        name, colon, content = value.partition(":")
        name = name.strip()
        if not colon or not name:
            raise UsageError(f"bad header {value!r}: write it as 'Name: value'")
        if not _HEADER_NAME.fullmatch(name):
            raise UsageError(f"bad header name {name!r}: letters, digits and !#$%&'*+-.^_`|~ only")
        if any((ord(c) < 0x20 and c != "\t") or c == "\x7f" for c in content):
            raise UsageError(f"bad header value in {value!r}: no control characters")
        headers.append((name, content.strip().encode()))  # sent as UTF-8, as curl sends what it is given
    return headers


def read_body(data: Optional[str]) -> Optional[bytes]:
    if data is None:
        return None
    if data.startswith("@"):
        path = Path(data[1:])
        try:
            return path.read_bytes()
        except OSError as error:
            raise UsageError(f"cannot read the request body from {str(path)!r}: {error.strerror}") from error
    return data.encode()


class Printer:
    """Formats events for the terminal, for jq, or as bare data."""

    def __init__(self, stream: IO[str], mode: str, colour: bool) -> None:
        self.stream = stream
        self.write: Callable[[ServerSentEvent], str] = getattr(self, f"_{mode}")
        self.colour = colour

    def __call__(self, event: ServerSentEvent) -> None:
        self.stream.write(self.write(event) + "\n")
        self.stream.flush()

    def _paint(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def _human(self, event: ServerSentEvent) -> str:
        parts = [self._paint("1;36", escape(event.event))]
        if event.id:
            parts.append(self._paint("2", f"id={escape(event.id)}"))
        if event.retry is not None:
            parts.append(self._paint("2", f"retry={event.retry}"))
        return " ".join(parts) + self._paint("2", ":") + " " + escape(event.data)

    def _json(self, event: ServerSentEvent) -> str:
        return json.dumps({"event": event.event, "data": event.data, "id": event.id, "retry": event.retry})

    def _data(self, event: ServerSentEvent) -> str:
        return event.data


def wants_colour(stream: IO[str]) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


class StderrNotices(logging.Handler):
    """Shows the library's reconnect notices as the command's own lines."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(f"{PROG}: {escape(record.getMessage())}\n")
        sys.stderr.flush()


@contextlib.contextmanager
def reconnect_notices() -> Iterator[None]:
    logger = logging.getLogger("httpx_sse")
    handler = StderrNotices()
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def tail(args: argparse.Namespace, url: str, out: IO[str]) -> int:
    if args.max_events is not None and args.max_events < 1:
        raise UsageError("--max-events takes a whole number of at least 1")
    if not math.isfinite(args.timeout) or args.timeout < 0:
        raise UsageError("--timeout takes a number of seconds, 0 for none")
    headers = parse_headers(args.header)
    body = read_body(args.data)
    method = args.method or ("POST" if body is not None else "GET")
    read_timeout = args.timeout or None
    timeout = httpx.Timeout(10.0, read=read_timeout)
    if args.http2:
        try:
            import h2  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
        except ImportError:
            raise UsageError("--http2 needs the http2 extra: pip install 'httpx-sse[http2]'") from None
    # A stream that cannot be reached at all is an error, not something to wait out.
    reconnect = False if args.no_reconnect else Reconnect(fail_fast=True)
    mode = "json" if args.json else "data" if args.data_only else "human"
    printer = Printer(out, mode, wants_colour(out))
    count = 0
    with httpx.Client(http2=args.http2, timeout=timeout, follow_redirects=True) as client, reconnect_notices():
        with connect_sse(
            client,
            method,
            url,
            reconnect=reconnect,
            last_event_id=args.last_event_id,
            headers=headers,
            content=body,
        ) as source:
            for event in source:
                printer(event)
                count += 1
                if args.max_events is not None and count >= args.max_events:
                    break
    return 0


def describe(error: BaseException, url: str) -> str:
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect to {url}: {error or type(error).__name__}"
    if isinstance(error, httpx.TimeoutException):
        return f"timed out reading {url} ({type(error).__name__}); a longer --timeout may help"
    if isinstance(error, SSEError):
        return str(error)
    if isinstance(error, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return f"bad URL {url!r}: {error}"
    if isinstance(error, httpx.HTTPError):
        return f"connection to {url} failed: {type(error).__name__}: {error}"
    return f"{type(error).__name__}: {error}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.demo == bool(args.url):
        parser.error("give a URL to tail, or --demo")
    try:
        if args.demo:
            from ._demo import DemoServer

            with DemoServer() as demo:
                sys.stderr.write(f"{PROG}: demo stream on {demo.url}\n")
                return tail(args, demo.url, sys.stdout)
        return tail(args, args.url, sys.stdout)
    except UsageError as error:
        parser.error(str(error))
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except BrokenPipeError:
        # The reader went away (``| head``): say nothing, and let no flush at exit fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as error:
        sys.stderr.write(f"{PROG}: {escape(describe(error, args.url or 'the demo stream'))}\n")
        return 1
