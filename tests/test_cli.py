"""The httpx-sse command, run as a subprocess against real loopback servers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import pytest

from httpx_sse import __compiled__, __version__

COMMAND = [sys.executable, "-m", "httpx_sse"]


def run(*args: str, timeout: float = 30, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr


def test_human_output(server: str) -> None:
    result = run(f"{server}/numbers?count=3", "--no-reconnect")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["number id=1: 1", "number id=2: 2", "number id=3: 3"]
    assert "\x1b[" not in result.stdout  # not a terminal: no colour


def test_terminal_escapes_from_the_server_are_shown_escaped(server: str) -> None:
    result = run(f"{server}/hostile", "--max-events", "2")
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "ti\\x1b]0;pwned\\x07ck id=7\\x1b[2J: a\\x1b[1Ab\\x9bc\\u202ed"
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\u202e" not in result.stdout


def interruptible(command: list[str]) -> subprocess.Popen[str]:
    """The command, with Ctrl-C's default action: a shell's background job (or a test
    worker) may have been started with SIGINT ignored, which its children would inherit."""
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_a_huge_retry_does_not_crash_the_command(server: str) -> None:
    # The stream ends after two events: with --reconnect the next wait is the server's (capped) retry.
    process = interruptible([*COMMAND, f"{server}/hostile", "--reconnect"])
    assert process.stderr is not None
    waiting = ""
    while "reconnecting in" not in waiting:  # it is waiting (however slow the machine is today)
        line = process.stderr.readline()
        assert line, "the command ended before it waited to reconnect"
        waiting += line
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=10)
    stderr = waiting + stderr
    assert "Traceback" not in stderr and "OverflowError" not in stderr, stderr
    assert stdout.splitlines()[1] == "message id=8 retry=" + "9" * 400 + ": huge retry"
    assert "reconnecting in 86400.000s" in stderr


def test_json_lines(server: str) -> None:
    result = run(f"{server}/numbers?count=2", "--jsonl", "--no-reconnect")
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"event": "number", "data": "1", "id": "1", "retry": None},
        {"event": "number", "data": "2", "id": "2", "retry": None},
    ]


def test_data_only(server: str) -> None:
    result = run(f"{server}/numbers?count=3", "--data-only", "--no-reconnect")
    assert result.stdout == "1\n2\n3\n"


def test_max_events(server: str) -> None:
    result = run(f"{server}/slow", "--max-events", "3", "--data-only")
    assert result.returncode == 0
    assert result.stdout == "tick 1\ntick 2\ntick 3\n"


def test_method_headers_body_and_last_event_id(server: str, tmp_path: Path) -> None:
    result = run(
        f"{server}/echo",
        "-X",
        "POST",
        "-H",
        "X-One: 1",
        "-H",
        "X-Two:  two ",
        "-H",
        "X-Three: café",
        "-d",
        "hello",
        "--data-only",
        "--max-events",
        "1",
    )
    seen = json.loads(result.stdout)
    assert (seen["method"], seen["body"], seen["x-one"], seen["x-two"]) == ("POST", "hello", "1", "two")
    assert seen["x-three"].encode("latin-1").decode() == "café"  # sent as UTF-8 bytes
    assert seen["accept"] == "text/event-stream"
    body = tmp_path / "body.json"
    body.write_bytes(b'{"from": "file"}')
    result = run(f"{server}/echo", "-d", f"@{body}", "--last-event-id", "41", "--data-only", "--max-events", "1")
    seen = json.loads(result.stdout)
    assert (seen["method"], seen["body"], seen["last-event-id"]) == ("POST", '{"from": "file"}', "41")


def test_version() -> None:
    result = run("--version")
    build = "compiled decoder" if __compiled__ else "pure-Python decoder"
    assert result.stdout.strip() == f"httpx-sse {__version__} ({build})"


def test_demo_runs_to_a_clean_end() -> None:
    started = time.monotonic()
    result = run("--demo", "--jsonl")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["id"] for e in events] == [str(n) for n in range(1, 11)]
    assert [e["event"] for e in events][:4] == ["greeting", "message", "price", "token"]
    assert events[0]["retry"] == 300
    assert "\n" in events[1]["data"] and json.loads(events[2]["data"])["symbol"] == "SSE"
    assert "Last-Event-ID: 7" in result.stderr  # the drop, and the resume from it
    assert time.monotonic() - started < 15
    assert_no_traceback(result)


def test_demo_without_reconnect_stops_at_the_drop() -> None:
    result = run("--demo", "--no-reconnect", "--data-only")
    assert result.returncode == 56
    assert len(result.stdout.splitlines()) == 9  # 7 events, one of three lines
    assert "RemoteProtocolError" in result.stderr
    assert_no_traceback(result)


@pytest.mark.parametrize(
    ("path", "args", "code", "expected"),
    [
        ("/status/401", [], 22, r"HTTP 401 Unauthorized .*application/json.*body starts: '\{\"error\":\"nope\""),
        ("/html", [], 22, r"expected Content-Type 'text/event-stream', got 'text/html"),
        ("/drop", ["--no-reconnect"], 56, r"connection to .* failed: RemoteProtocolError"),
        ("/silent", ["--no-reconnect", "--timeout", "0.3"], 28, r"timed out reading .*ReadTimeout"),
    ],
)
def test_errors_are_one_clear_line(server: str, path: str, args: List[str], code: int, expected: str) -> None:
    import re

    result = run(f"{server}{path}", *args)
    assert result.returncode == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("httpx-sse: "), result.stderr
    assert re.search(expected, lines[0]), lines[0]


def test_a_url_without_a_scheme_is_http_as_in_curl(server: str) -> None:
    result = run(server.replace("http://", "") + "/numbers?count=2", "--data-only", "--no-reconnect")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "2"]


def test_the_demo_says_why_it_ended() -> None:
    result = run("--demo", "--data-only")
    assert result.returncode == 0, result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .endswith("the server ended the stream (--reconnect resumes it after id '10')")
    )


def test_a_decompression_bomb_is_one_clear_line(server: str) -> None:
    result = run(f"{server}/bomb", "--max-event-size", "1000000", "--data-only")
    assert result.returncode == 63, result.stderr
    assert result.stdout.split() == ["before"]
    assert "max_event_size=1000000" in result.stderr
    assert_no_traceback(result)


def test_connection_refused() -> None:
    from .servers import bound_socket

    sock = bound_socket()
    try:
        result = run(f"http://127.0.0.1:{sock.getsockname()[1]}/")
    finally:
        sock.close()
    assert result.returncode == 7
    assert result.stderr.strip().startswith("httpx-sse: cannot connect to http://127.0.0.1:")
    assert "Connection refused" in result.stderr
    assert_no_traceback(result)


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["http://x/", "-H", "no colon here"], 2, "bad header 'no colon here'"),
        (["http://x/", "-H", "Bad Name: v"], 2, "bad header name 'Bad Name'"),
        (["http://x/", "-H", "X-Ünï: v"], 2, "bad header name 'X-Ünï'"),
        (["http://x/", "-H", "X-A: a\x01b"], 2, "no control characters"),
        (["http://x/", "--max-events", "0"], 2, "--max-events takes a whole number"),
        (["http://x/", "--timeout", "nan"], 2, "--timeout takes a number of seconds"),
        (["http://x/", "--timeout", "-1"], 2, "--timeout takes a number of seconds"),
        (["http://x/", "--max-time", "inf"], 2, "--max-time takes a number of seconds"),
        (["http://x/", "-u", "alice"], 2, "-u takes USER:PASSWORD"),
        (["http://x/", "-d", "@/nonexistent/body"], 26, "cannot read '/nonexistent/body'"),
        (["http://x/", "-b", "/nonexistent/cookies"], 26, "cannot read the cookie file"),
        (["http://x/", "--json", "{}", "-d", "a=1"], 2, "--json cannot be combined"),
        (["--jsonl", "--data-only", "http://x/"], 2, "not allowed with argument"),
        (["--reconnect", "--no-reconnect", "http://x/"], 2, "not allowed with argument"),
        ([], 2, "give a URL to tail, or --demo"),
        (["not a url at all"], 3, "bad URL 'not a url at all': it holds a space"),
        (["http://"], 3, "bad URL 'http://'"),
        (["https://"], 3, "bad URL 'https://'"),
        (["http://exa mple.com/"], 3, "it holds a space"),
        (["http://x/\x01"], 3, "control character"),
        (["http://[::1"], 3, "bad URL 'http://[::1': Invalid port"),
        (["::::"], 3, "bad URL"),
        (["ftp://x/"], 1, "unsupported protocol"),
    ],
)
def test_bad_options(args: List[str], code: int, expected: str) -> None:
    result = run(*args)
    assert result.returncode == code, result.stderr
    assert expected in result.stderr
    assert_no_traceback(result)


def test_http2_without_h2_says_what_to_install(server: str) -> None:
    code = "import sys; sys.modules['h2'] = None; from httpx_sse._cli import main; sys.exit(main())"
    result = subprocess.run(
        [sys.executable, "-c", code, f"{server}/numbers", "--http2"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "pip install 'httpx-sse[http2]'" in result.stderr


def test_http2_with_h2(server: str) -> None:
    pytest.importorskip("h2")
    result = run(f"{server}/numbers?count=2", "--http2", "--data-only", "--no-reconnect")
    assert result.returncode == 0 and result.stdout == "1\n2\n"


def test_ctrl_c_exits_130_quietly(server: str) -> None:
    process = interruptible([*COMMAND, f"{server}/slow"])
    assert process.stdout is not None
    process.stdout.readline()  # it is streaming
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 130
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr


def test_closed_stdout_exits_quietly(server: str) -> None:
    process = subprocess.Popen([*COMMAND, f"{server}/slow"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # like `| head -1`
    process.wait(timeout=10)
    assert process.returncode == 0
    assert process.stderr.read() == ""


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    import io

    from httpx_sse import ServerSentEvent
    from httpx_sse._terminal import Printer, wants_colour

    class FakeTTY(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = FakeTTY()
    Printer(tty, "text", wants_colour(tty))(ServerSentEvent(event="tick", data="a\nb", id="7"))
    assert tty.getvalue() == "\x1b[1;36mtick\x1b[0m \x1b[2mid=7\x1b[0m\x1b[2m:\x1b[0m a\\nb\n"
    os.environ["NO_COLOR"] = "1"
    try:
        assert not wants_colour(tty)
    finally:
        del os.environ["NO_COLOR"]
