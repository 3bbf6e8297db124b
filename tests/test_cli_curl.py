"""The command as a curl user drives it: each curl flag against loopback servers
(an echo endpoint, a forward proxy, a self-signed TLS server), and curl's exit codes."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

from .servers import ForwardProxy, Reply, ScriptedServer, bound_socket, run_uvicorn
from .test_cli import assert_no_traceback, run


def echo(server: str, *args: str) -> Dict[str, Any]:
    result = run(f"{server}/echo", "--data-only", *args)
    assert result.returncode == 0, result.stderr
    seen: Dict[str, Any] = json.loads(result.stdout)
    return seen


# -- a stream that ends is the end, as with curl -N ---------------------------------------


def test_the_quickstart_server_ends_the_command(example_server: str) -> None:
    result = run(f"{example_server}/sse", "--data-only")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1\n2\n3\n4\n5\n"  # once: no id was set, so there is nothing to resume


def test_reconnect_forces_a_reconnect_after_a_clean_end(example_server: str) -> None:
    result = run(f"{example_server}/sse", "--data-only", "--reconnect", "--max-events", "7")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1\n2\n3\n4\n5\n1\n2\n"


def test_a_stream_with_ids_that_ends_cleanly_ends_the_command() -> None:
    # A server that ignores Last-Event-ID would otherwise send the same events forever.
    ids_then_end = Reply(body=b"retry: 1\nid: 1\ndata: a\n\nid: 2\ndata: b\n\n")
    with ScriptedServer(lambda index, seen: ids_then_end) as server:
        result = run(server.url, "--data-only")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "a\nb\n" and server.last_event_ids == [None]


def test_reconnect_resumes_a_stream_with_ids_after_its_end() -> None:
    def script(index: int, seen: Any) -> Reply:
        if index == 0:
            return Reply(body=b"retry: 1\nid: 1\ndata: a\n\n")
        return Reply(status=204, headers={})

    with ScriptedServer(script) as server:
        result = run(server.url, "--data-only", "--reconnect")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "a\n" and server.last_event_ids == [None, "1"]


def test_a_drop_is_still_resumed_from_the_last_id() -> None:
    def script(index: int, seen: Any) -> Reply:
        if index == 0:
            return Reply(body=b"retry: 1\nid: 1\ndata: a\n\n", then="reset")
        return Reply(body=b"id: 2\ndata: b\n\n")

    with ScriptedServer(script) as server:
        result = run(server.url, "--data-only")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "a\nb\n" and server.last_event_ids == [None, "1"]


def test_until_ends_the_command_at_the_terminal_event() -> None:
    answer = b'data: {"delta": "Hel"}\n\ndata: {"delta": "lo"}\n\ndata: [DONE]\n\n'
    with ScriptedServer(lambda index, seen: Reply(body=answer, then="silent")) as server:
        started = time.monotonic()
        result = run(server.url, "--data-only", "--until", "[DONE]", "--json", "{}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[DONE]" and len(result.stdout.splitlines()) == 3
    assert time.monotonic() - started < 10  # not the 60 s read timeout
    assert len(server.requests) == 1


def test_until_a_stream_that_ends_before_the_terminal_event_is_cut_short() -> None:
    with ScriptedServer(lambda index, seen: Reply(body=b"data: partial\n\n")) as server:
        result = run(server.url, "--data-only", "--until", "[DONE]")
    assert result.returncode == 18, result.stderr
    assert "cut short" in result.stderr and result.stdout == "partial\n"
    assert_no_traceback(result)


def test_a_post_that_got_a_200_and_dropped_before_any_event_is_not_sent_again() -> None:
    def script(index: int, seen: Any) -> Reply:
        return Reply(body=b": accepted\n\n", then="reset") if index == 0 else Reply(body=b"data: again\n\n")

    with ScriptedServer(script) as server:
        result = run(server.url, "--data-only", "--json", '{"prompt": "hi"}')
    assert result.returncode != 0 and "not sending the POST again" in result.stderr, result.stderr
    assert len(server.requests) == 1
    assert_no_traceback(result)


# -- the request -----------------------------------------------------------------------


def test_d_posts_form_data_as_curl_does(server: str, tmp_path: Path) -> None:
    seen = echo(server, "-d", "a=1", "-d", "b=2")
    assert (seen["method"], seen["body"], seen["content-type"]) == (
        "POST",
        "a=1&b=2",
        "application/x-www-form-urlencoded",
    )
    body = tmp_path / "body.txt"
    body.write_bytes(b"line one\r\nline two\n")
    assert echo(server, "-d", f"@{body}")["body"] == "line oneline two"  # -d @FILE drops line ends
    assert echo(server, "--data-binary", f"@{body}")["body"] == "line one\r\nline two\n"
    assert echo(server, "--data-raw", "@not-a-file")["body"] == "@not-a-file"


def test_json_posts_json(server: str, tmp_path: Path) -> None:
    seen = echo(server, "--json", '{"q": 1}')
    assert (seen["method"], seen["body"], seen["content-type"]) == ("POST", '{"q": 1}', "application/json")
    assert seen["accept"] == "text/event-stream"
    request = tmp_path / "request.json"
    request.write_text('{"messages": []}')
    assert echo(server, "--json", f"@{request}")["body"] == '{"messages": []}'


def test_a_content_type_header_wins(server: str) -> None:
    assert echo(server, "-d", "x", "-H", "Content-Type: text/plain")["content-type"] == "text/plain"


def test_x_sets_the_method(server: str) -> None:
    assert echo(server, "-X", "POST")["method"] == "POST"


def test_u_sends_basic_auth(server: str) -> None:
    expected = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert echo(server, "-u", "alice:s3cret")["authorization"] == expected


def test_b_sends_cookies_from_a_string_or_a_file(server: str, tmp_path: Path) -> None:
    assert echo(server, "-b", "a=1; b=2")["cookie"] == "a=1; b=2"
    jar = tmp_path / "cookies.txt"
    jar.write_text("# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc\n")
    assert echo(server, "-b", str(jar))["cookie"] == "session=abc"


def test_compression_only_when_asked(server: str) -> None:
    assert echo(server)["accept-encoding"] == "identity"
    assert "gzip" in echo(server, "--compressed")["accept-encoding"]


def test_n_is_accepted(server: str) -> None:
    assert echo(server, "-N")["method"] == "GET"


def test_l_follows_redirects_only_when_asked(server: str) -> None:
    result = run(f"{server}/redirect", "--data-only")
    assert result.returncode == 22 and "HTTP 302" in result.stderr
    result = run(f"{server}/redirect", "--data-only", "-L", "--max-events", "2")
    assert result.returncode == 0 and result.stdout == "1\n2\n"


# -- what it shows ---------------------------------------------------------------------


def test_i_shows_status_and_headers_on_stderr(server: str) -> None:
    result = run(f"{server}/numbers?count=1", "-i", "--data-only", "--max-events", "1")
    assert result.stdout == "1\n"
    lines = result.stderr.splitlines()
    assert lines[0] == "HTTP/1.1 200 OK"
    assert "content-type: text/event-stream; charset=utf-8" in lines


def test_v_shows_the_request_and_the_response(server: str) -> None:
    result = run(f"{server}/numbers?count=1", "-v", "--data-only", "-H", "X-Trace: 1", "--max-events", "1")
    assert result.stdout == "1\n"
    assert "> GET /numbers?count=1 HTTP/1.1" in result.stderr
    assert "> X-Trace: 1" in result.stderr and "< HTTP/1.1 200 OK" in result.stderr


def test_s_silences_notices_and_errors_and_capital_s_shows_errors(server: str) -> None:
    result = run(f"{server}/status/500", "-s")
    assert result.returncode == 22 and result.stderr == ""
    result = run(f"{server}/status/500", "-sS")
    assert result.returncode == 22 and "HTTP 500" in result.stderr


# -- time and retries ------------------------------------------------------------------


def test_max_time_bounds_the_run(server: str) -> None:
    started = time.monotonic()
    result = run(f"{server}/slow", "--data-only", "-m", "0.5")
    assert result.returncode == 28 and "--max-time" in result.stderr
    assert 0.4 < time.monotonic() - started < 5
    assert result.stdout.startswith("tick 1\n")


def test_retry_bounds_failed_attempts() -> None:
    with ScriptedServer(lambda index, seen: Reply(status=503, headers={"Retry-After": "0"})) as server:
        result = run(server.url, "--retry", "2")
    assert result.returncode == 22, result.stderr
    assert "gave up reconnecting after 2 attempt(s)" in result.stderr
    assert len(server.requests) == 3


def test_without_retry_a_first_failure_is_an_error_at_once() -> None:
    with ScriptedServer(lambda index, seen: Reply(status=503)) as server:
        result = run(server.url)
    assert result.returncode == 22 and len(server.requests) == 1


# -- proxies and TLS -------------------------------------------------------------------


def test_x_goes_through_the_proxy(server: str) -> None:
    with ForwardProxy() as proxy:
        result = run(f"{server}/numbers?count=2", "-x", proxy.url, "--data-only", "--max-events", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1\n2\n"
    assert proxy.seen == [f"{server}/numbers?count=2"]


def test_a_dead_proxy_is_named_as_the_proxy(server: str) -> None:
    sock = bound_socket()  # bound, never listening
    dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        result = run(f"{server}/numbers", "-x", dead)
    finally:
        sock.close()
    assert result.returncode == 7
    assert f"proxy {dead}" in result.stderr and server not in result.stderr
    assert_no_traceback(result)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    trustme = pytest.importorskip("trustme")
    from .app import app

    pem = tmp_path_factory.mktemp("tls") / "server.pem"
    trustme.CA().issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(pem))
    with run_uvicorn(app, certificate=str(pem)) as url:
        yield url


def test_k_accepts_a_self_signed_certificate(tls_server: str) -> None:
    result = run(f"{tls_server}/numbers?count=2", "--data-only")
    assert result.returncode == 60 and "-k skips the check" in result.stderr
    result = run(f"{tls_server}/numbers?count=2", "--data-only", "-k", "--max-events", "2")
    assert result.returncode == 0 and result.stdout == "1\n2\n"


# -- exit codes ------------------------------------------------------------------------


def test_exit_codes_are_documented_in_help() -> None:
    result = run("--help")
    for code in ("6 ", "7 ", "22 ", "28 ", "56 ", "60 "):
        assert f"\n  {code}" in result.stdout


def test_unresolvable_host_is_6() -> None:
    result = run("http://nonexistent.invalid/")
    assert result.returncode == 6 and "could not resolve" in result.stderr


def test_an_oversize_event_is_63(server: str) -> None:
    result = run(f"{server}/big?size=5000", "--max-event-size", "1000", "--data-only")
    assert result.returncode == 63 and result.stdout == "before\n"


def test_a_stream_ended_before_the_end_with_no_reconnect_is_56(server: str) -> None:
    result = run(f"{server}/drop", "--no-reconnect")
    assert result.returncode == 56
