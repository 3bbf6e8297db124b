"""The ``httpx-sse`` command: tail a Server-Sent Events endpoint, one line per event.

A caller of the library like any other: it turns curl-style options into a client
and `connect_sse` arguments, prints what comes, and maps failures to curl's exit
codes. Standard library and httpx only.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import http.cookiejar
import inspect
import math
import os
import re
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import httpx

from ._api import connect_sse
from ._exceptions import SSEError, StreamError, StreamStalled
from ._lifecycle import IDEMPOTENT_METHODS, StreamFailure
from ._reconnect import Reconnect
from ._stats import StreamStats
from ._terminal import PROG, Printer, escape, library_notices, notice, wants_colour
from ._version import __version__, compiled_note
from .protocols import PRESETS

DEFAULT_READ_TIMEOUT = 60.0  # servers that keep streams alive ping well within this

EXIT_CODES = """exit codes (curl's where curl has one):
  0   the stream ended (or --max-events were read, or the --until or --protocol end came)
  1   unsupported protocol
  2   bad option
  3   malformed URL
  5   could not resolve the proxy
  6   could not resolve the host
  7   could not connect (to the host, or to the proxy)
  18  the stream was cut short (not reconnecting)
  22  the server answered with an error (or sent one inside the stream), or not with an event stream
  26  could not read a file given with @
  28  timed out (--connect-timeout, --timeout, --max-time)
  35  TLS handshake failed
  56  the connection failed while receiving
  60  the server's certificate could not be verified (-k skips the check)
  61  the body could not be decompressed (a bad Content-Encoding)
  63  an event was larger than --max-event-size
  130 interrupted (Ctrl-C)"""


class UsageError(Exception):
    """A bad option value: reported like argparse's own errors, exit status 2."""


class Failed(Exception):
    """A failure with its exit code and its one line for stderr."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class CleanEnd(Exception):
    """The stream ended cleanly with nothing to resume: the command is done."""


class MaxTime(Exception):
    """--max-time passed."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Tail a Server-Sent Events stream: one line per event, as it arrives. "
        "Where an option exists in curl, it means what it means in curl.",
        epilog=f"Try it: {PROG} --demo\n\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("url", nargs="?", help="the event stream's URL")
    add("--demo", action="store_true", help="start the built-in demo stream on 127.0.0.1 and tail it")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--jsonl", action="store_true", help="write JSON Lines: event, data, id, retry")
    output.add_argument("--data-only", action="store_true", help="write each event's data alone")
    add("-X", "--request", dest="method", metavar="METHOD", help="HTTP method (default GET, or POST with a body)")
    add("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'", help="add a request header")
    add("-d", "--data", action="append", default=[], metavar="DATA", help="POST form data; @FILE reads a file")
    add("--data-raw", action="append", default=[], metavar="DATA", help="like -d, with no @FILE")
    add("--data-binary", action="append", default=[], metavar="DATA", help="like -d, a @FILE sent byte for byte")
    add("--json", action="append", default=[], metavar="DATA", help="POST JSON (Content-Type: application/json)")
    add("-u", "--user", metavar="USER:PASSWORD", help="HTTP Basic authentication")
    add("-b", "--cookie", action="append", default=[], metavar="DATA|FILE", help="'NAME=VALUE; ...', or a cookie file")
    add("-k", "--insecure", action="store_true", help="do not verify the server's TLS certificate")
    add("-x", "--proxy", metavar="URL", help="use this proxy (HTTP_PROXY and friends also work)")
    add("-L", "--location", action="store_true", help="follow redirects")
    add("--compressed", action="store_true", help="ask for a compressed response (gzip, deflate)")
    add("-N", "--no-buffer", action="store_true", help="accepted for curl's sake: output is never buffered")
    add("-i", "--include", action="store_true", help="show each response's status line and headers (stderr)")
    add("-v", "--verbose", action="store_true", help="-i, and each request and reconnect (stderr)")
    add("-s", "--silent", action="store_true", help="no notices and no error messages")
    add("-S", "--show-error", action="store_true", help="with -s: still show error messages")
    add("--connect-timeout", type=float, metavar="SECONDS", help="give up connecting after this long")
    add("-m", "--max-time", type=float, metavar="SECONDS", help="stop after this long in all (exit 28)")
    add("--retry", type=int, metavar="N", help="give up after N failed attempts in a row (default: no bound)")
    add("--http2", action="store_true", help="use HTTP/2 (needs: pip install 'httpx-sse[http2]')")
    reconnect = parser.add_mutually_exclusive_group()
    reconnect.add_argument(
        "--reconnect", action="store_true", help="reconnect after a clean end too, even with no id to resume from"
    )
    reconnect.add_argument("--no-reconnect", action="store_true", help="exit when the connection ends or drops")
    add("--last-event-id", metavar="ID", help="resume after this event ID (sends Last-Event-ID)")
    add("--max-events", type=int, metavar="N", help="exit after N events")
    add("--until", metavar="DATA", help="exit after the event whose data is DATA (as [DONE] ends an LLM answer)")
    add(
        "--protocol",
        choices=sorted(PRESETS),
        metavar="NAME",
        help="read by a protocol's rules: its end, its pings, its in-band errors, how it resumes "
        f"({', '.join(sorted(PRESETS))})",
    )
    add("--max-event-size", type=int, metavar="BYTES", help="the most one event may hold (default 64 MiB)")
    add(
        "--timeout",
        type=float,
        default=DEFAULT_READ_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on a silent stream after this long, then reconnect (default {DEFAULT_READ_TIMEOUT:g}; 0: never)",
    )
    add("--version", action="version", version=f"{PROG} {__version__} ({compiled_note()})")
    return parser


_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 "token"


def parse_headers(values: Sequence[str]) -> List[Tuple[str, bytes]]:
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


def read_file(path: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as error:
        raise Failed(26, f"cannot read {path!r}: {error.strerror}") from error


@dataclass
class Body:
    content: Optional[bytes]
    content_type: Optional[str]


def read_body(args: argparse.Namespace) -> Body:
    """The request body as curl builds it from -d, --data-raw, --data-binary and --json."""
    if args.json:
        if args.data or args.data_raw or args.data_binary:
            raise UsageError("--json cannot be combined with -d, --data-raw or --data-binary")
        parts = [read_file(value[1:]) if value.startswith("@") else value.encode() for value in args.json]
        return Body(b"".join(parts), "application/json")
    parts = []
    # curl joins the pieces with "&", in the order given; -d @FILE drops CR and LF.
    for value in args.data:
        parts.append(
            read_file(value[1:]).replace(b"\r", b"").replace(b"\n", b"") if value[:1] == "@" else value.encode()
        )
    parts += [value.encode() for value in args.data_raw]
    parts += [read_file(value[1:]) if value[:1] == "@" else value.encode() for value in args.data_binary]
    if not parts:
        return Body(None, None)
    return Body(b"&".join(parts), "application/x-www-form-urlencoded")


def read_cookies(values: Sequence[str]) -> Tuple[List[str], Optional[http.cookiejar.CookieJar]]:
    """curl's -b: 'NAME=VALUE' pairs go in a Cookie header; anything else names a cookie file."""
    pairs: List[str] = []
    jar: Optional[http.cookiejar.MozillaCookieJar] = None
    for value in values:
        if "=" in value:
            pairs.append(value)
            continue
        jar = jar or http.cookiejar.MozillaCookieJar()
        try:
            jar.load(value, ignore_discard=True, ignore_expires=True)
        except OSError as error:
            raise Failed(26, f"cannot read the cookie file {value!r}: {error.strerror or error}") from error
        except http.cookiejar.LoadError as error:
            raise UsageError(f"{value!r} is not a cookie file (Netscape format): {error}") from error
    for cookie in jar or ():
        if cookie.expires == 0:  # curl writes session cookies with expiry 0
            cookie.expires = None
    return pairs, jar


def seconds(value: Optional[float], option: str, *, zero_is_none: bool = False) -> Optional[float]:
    if value is None:
        return None
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero_is_none):
        raise UsageError(f"{option} takes a number of seconds" + (", 0 for none" if zero_is_none else ""))
    return value or None


def client_options(args: argparse.Namespace) -> Dict[str, Any]:
    read = seconds(args.timeout, "--timeout", zero_is_none=True)
    connect = seconds(args.connect_timeout, "--connect-timeout") or 10.0
    options: Dict[str, Any] = {
        "timeout": httpx.Timeout(connect, read=read, write=connect, pool=connect),
        "follow_redirects": args.location,
        "verify": not args.insecure,
        "http2": args.http2,
    }
    if args.http2:
        try:
            import h2  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
        except ImportError:
            raise UsageError("--http2 needs the http2 extra: pip install 'httpx-sse[http2]'") from None
    if args.proxy:
        # httpx 0.26 renamed "proxies" to "proxy".
        key = "proxy" if "proxy" in inspect.signature(httpx.Client).parameters else "proxies"
        options[key] = args.proxy
    if args.user is not None:
        user, colon, password = args.user.partition(":")
        if not colon:
            raise UsageError("-u takes USER:PASSWORD (the command cannot prompt for a password)")
        options["auth"] = (user, password)
    return options


def request_headers(args: argparse.Namespace, body: Body, cookie_pairs: List[str]) -> List[Tuple[str, bytes]]:
    headers = parse_headers(args.header)
    given = {name.lower() for name, _ in headers}
    if body.content_type and "content-type" not in given:
        headers.append(("Content-Type", body.content_type.encode()))
    if not args.compressed and "accept-encoding" not in given:
        headers.append(("Accept-Encoding", b"identity"))  # as curl: no compression unless asked
    if cookie_pairs:
        headers.append(("Cookie", "; ".join(cookie_pairs).encode()))
    return headers


def show_response(response: httpx.Response, marker: str) -> None:
    notice_lines = [f"{marker}{response.http_version} {response.status_code} {response.reason_phrase}"]
    notice_lines += [
        f"{marker}{name.decode('latin-1')}: {value.decode('latin-1')}" for name, value in response.headers.raw
    ]
    for line in notice_lines:
        sys.stderr.write(escape(line) + "\n")
    sys.stderr.flush()


def show_request(request: httpx.Request) -> None:
    lines = [
        f"> {request.method} {request.url.raw_path.decode('ascii', 'replace')} HTTP/1.1",
        f"> Host: {request.url.netloc.decode()}",
    ]
    lines += [
        f"> {name.decode('latin-1')}: {value.decode('latin-1')}"
        for name, value in request.headers.raw
        if name.lower() != b"host"
    ]
    for line in lines:
        sys.stderr.write(escape(line) + "\n")
    sys.stderr.flush()


def tail(args: argparse.Namespace, url: str) -> int:
    if args.max_events is not None and args.max_events < 1:
        raise UsageError("--max-events takes a whole number of at least 1")
    if args.retry is not None and args.retry < 0:
        raise UsageError("--retry takes a whole number, 0 for no retries")
    if args.max_event_size is not None and args.max_event_size < 1:
        raise UsageError("--max-event-size takes a number of bytes of at least 1")
    seconds(args.max_time, "--max-time")
    body = read_body(args)
    cookie_pairs, jar = read_cookies(args.cookie)
    options = client_options(args)
    headers = request_headers(args, body, cookie_pairs)
    method = args.method or ("POST" if body.content is not None else "GET")
    printer = Printer(
        sys.stdout, "jsonl" if args.jsonl else "data" if args.data_only else "text", wants_colour(sys.stdout)
    )
    reconnect: Any = False
    if not args.no_reconnect:
        # Without --retry, a stream that cannot be reached at all is an error, not something to wait out.
        # Replays are the command's own call (below), made before the library's.
        reconnect = Reconnect(fail_fast=args.retry is None, max_attempts=args.retry, allow_replay=True)
    count = 0
    opened = False  # a response opened as a stream: a POST was taken (and maybe billed)
    safe_to_send_again = method.upper() in IDEMPOTENT_METHODS or any(
        name.lower() == "idempotency-key" for name, _ in headers
    )

    def on_open(response: httpx.Response) -> None:
        nonlocal opened
        opened = True
        if args.include or args.verbose:
            show_response(response, "< " if args.verbose else "")

    preset = None if args.protocol is None else PRESETS[args.protocol]
    if args.until is not None:
        awaited: Optional[str] = f"the event --until {args.until!r} waits for"
    elif preset is not None and preset.until is not None:
        awaited = f"its terminal event (--protocol {preset.name})"
    else:
        awaited = None

    def on_error(failure: StreamFailure) -> None:
        if failure.error is None and not args.reconnect:
            # A stream that ends cleanly is done, as curl is when a body ends, ids or not
            # (a server that ignores Last-Event-ID would send the same events forever);
            # unless the answer is not complete yet.
            if awaited is None:
                if failure.last_event_id and not args.silent:
                    notice(f"the server ended the stream (--reconnect resumes it after id {failure.last_event_id!r})")
                raise CleanEnd
            if not failure.last_event_id and (preset is None or preset.resume is None):
                raise SSEError(f"the stream ended before {awaited}: cut short")
        if isinstance(failure.error, StreamError) and failure.error.retryable:
            return  # the server said it did not serve the request (an overload): safe to send again
        if failure.last_event_id or args.reconnect or (preset is not None and preset.resume is not None):
            return  # something to resume (the preset's resume= decides how), or asked to reconnect anyway
        if opened and not safe_to_send_again:
            raise SSEError(
                f"not sending the {method} again after {failure.reason}: the server took it and the stream set "
                "no id to resume from (--reconnect sends it again)"
            )

    event_hooks = {"request": [show_request]} if args.verbose else {}
    with httpx.Client(cookies=jar, event_hooks=event_hooks, **options) as client:
        with library_notices(not args.silent), deadline(args.max_time):
            try:
                with connect_sse(
                    client,
                    method,
                    url,
                    reconnect=reconnect,
                    last_event_id=args.last_event_id,
                    headers=headers,
                    content=body.content,
                    on_error=on_error,
                    on_open=on_open,
                    until=None if args.until is None else (lambda event: event.data == args.until),
                    protocol=preset,
                    **({} if args.max_event_size is None else {"max_event_size": args.max_event_size}),
                ) as source:
                    why = None  # how the command, not the library, ended the stream
                    try:
                        for event in source:
                            printer(event)
                            count += 1
                            if args.max_events is not None and count >= args.max_events:
                                break
                        else:
                            if source.response.status_code == 204 and not args.silent:
                                notice("the server answered 204 No Content: the stream is over")
                    except CleanEnd:
                        why = "closed"  # the server ended it, and the command stops there
                        raise
                    finally:
                        if args.verbose:
                            summary = source.stats
                            if why is not None or summary.end is None:  # or stopped here: --max-events, Ctrl-C
                                summary = dataclasses.replace(summary, end=why or "stopped")
                            sys.stderr.write(f"* {summarize(summary)}\n")
            except CleanEnd:
                pass
    return 0


def summarize(stats: StreamStats) -> str:
    """-v's last line: what the stream did, and why it ended."""

    def plural(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    first = "no event" if stats.time_to_first_event is None else f"first after {stats.time_to_first_event:.3f}s"
    return (
        f"{plural(stats.events, 'event')}, {plural(stats.reconnects, 'reconnect')}, {first}, "
        f"longest gap {stats.longest_gap:.3f}s, ended: {stats.end}"
    )


@contextlib.contextmanager
def deadline(max_time: Optional[float]) -> Iterator[None]:
    """--max-time: SIGALRM interrupts a read that would wait past it (POSIX)."""
    if not max_time or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise MaxTime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max_time)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_RESOLVE = ("name or service not known", "nodename nor servname", "name resolution", "no address associated")


def classify(error: BaseException, url: str, proxy: Optional[str]) -> Failed:
    """A failure as curl would report it: its exit code and one line naming the right thing."""
    if isinstance(error, SSEError) and isinstance(error.__cause__, BaseException) and "gave up" in str(error):
        cause = classify(error.__cause__, url, proxy)
        return Failed(cause.code, f"{error}")
    text = str(error) or type(error).__name__
    lowered = text.lower()
    target = f"proxy {proxy}" if proxy else url
    if isinstance(error, MaxTime):
        return Failed(28, "--max-time reached")
    if isinstance(error, SSEError):
        if isinstance(error, StreamError):
            return Failed(22, f"the server sent an error inside the stream: {text}")
        if isinstance(error, StreamStalled):
            return Failed(28, text)
        if "max_event_size" in text:
            return Failed(63, f"{text} (--max-event-size)")
        if "cut short" in text:
            return Failed(18, text)
        if error.response is not None:
            return Failed(22, text)
        return Failed(56, text)
    if isinstance(error, httpx.DecodingError):
        return Failed(61, f"the body from {url} could not be decompressed: {text}")
    if isinstance(error, httpx.ProxyError):
        return Failed(5 if any(hint in lowered for hint in _RESOLVE) else 7, f"proxy {proxy} failed: {text}")
    if isinstance(error, httpx.TimeoutException):
        what = "connecting to" if isinstance(error, (httpx.ConnectTimeout, httpx.PoolTimeout)) else "reading"
        return Failed(28, f"timed out {what} {target} ({type(error).__name__})")
    if isinstance(error, httpx.ConnectError):
        if any(hint in lowered for hint in _RESOLVE):
            return Failed(5 if proxy else 6, f"could not resolve {'proxy ' + proxy if proxy else url}: {text}")
        if "certificate" in lowered:
            return Failed(60, f"the certificate of {url} could not be verified (-k skips the check): {text}")
        if "ssl" in lowered or "tls" in lowered:
            return Failed(35, f"TLS handshake with {url} failed: {text}")
        return Failed(7, f"cannot connect to {target}: {text}")
    if isinstance(error, httpx.UnsupportedProtocol):
        return Failed(1, f"unsupported protocol in {url!r}: {text}")
    if isinstance(error, (httpx.InvalidURL, httpx.LocalProtocolError)) and "url" in lowered:
        return Failed(3, f"bad URL {url!r}: {text}")
    if isinstance(error, httpx.InvalidURL):
        return Failed(3, f"bad URL {url!r}: {text}")
    if isinstance(error, httpx.HTTPError):
        return Failed(56, f"connection to {url} failed: {type(error).__name__}: {text}")
    return Failed(56, f"{type(error).__name__}: {text}")


def target_url(text: str) -> str:
    """The URL to tail, read as curl reads it: ``host:port/path`` means http, and a URL
    with a space or a control character in it, or with no host, is malformed (exit 3)."""
    if any(character <= " " or character == "\x7f" for character in text):
        raise Failed(3, f"bad URL {text!r}: it holds a space or a control character (write a space as %20)")
    if "://" not in text:
        text = f"http://{text}"  # curl's guess for a URL without a scheme
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as error:
        raise Failed(3, f"bad URL {text!r}: {error}") from error
    if url.scheme in ("http", "https") and not url.host:
        raise Failed(3, f"bad URL {text!r}: it names no host")
    return text


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.demo == bool(args.url):
        parser.error("give a URL to tail, or --demo")
    url = args.url or "the demo stream"
    try:
        try:
            if args.demo:
                from ._demo import DemoServer

                with DemoServer() as demo:
                    if not args.silent:
                        notice(f"demo stream on {demo.url}")
                    return tail(args, demo.url)
            url = target_url(args.url)
            return tail(args, url)
        except (httpx.HTTPError, httpx.InvalidURL, MaxTime) as error:
            raise classify(error, url, args.proxy) from error
        except MemoryError as error:
            raise Failed(56, "out of memory while reading the stream; a lower --max-event-size bounds it") from error
        except BrokenPipeError:
            raise
        except OSError as error:
            raise Failed(56, f"{type(error).__name__}: {error}") from error
    except Failed as failure:
        if not args.silent or args.show_error:
            notice(str(failure))
        return failure.code
    except UsageError as error:
        parser.error(str(error))
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except BrokenPipeError:
        # The reader went away (``| head``): say nothing, and let no flush at exit fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
