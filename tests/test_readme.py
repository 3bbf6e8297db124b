"""Every Python example in README.md and the docs pages runs as written, against the servers it names."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, List

import httpx
import pytest

from httpx_sse import iter_sse

from .conftest import HAS_HTTPX2
from .servers import run_uvicorn

ROOT = Path(__file__).resolve().parent.parent
# The README and the documentation pages: every example a user can copy runs here.
TESTED_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
TEXT = "\n".join(path.read_text() for path in TESTED_FILES)
BLOCKS: List[str] = re.findall(r"```python\n(.*?)```", TEXT, re.S)


@pytest.fixture(scope="module")
def resumable_server() -> Iterator[str]:
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import resumable_server as example  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    example.DELAY = 0.01
    with run_uvicorn(example.app) as url:
        yield url


@pytest.fixture(scope="module")
def llm_server() -> Iterator[str]:
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import llm_server as example  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    example.DELAY = 0.02
    with run_uvicorn(example.app) as url:
        yield url


def run_example(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(
    index: int, example_server: str, resumable_server: str, llm_server: str, tmp_path: Path
) -> None:
    code = BLOCKS[index]
    if "import httpx2" in code and not HAS_HTTPX2:
        pytest.skip("httpx2 is not installed (it needs Python 3.11 or newer)")
    if "import httpx_aiohttp" in code and importlib.util.find_spec("httpx_aiohttp") is None:
        pytest.skip("httpx-aiohttp is not installed (the aiohttp extra; it needs httpx 0.27 or newer)")
    code = code.replace("http://localhost:8000", example_server).replace("http://localhost:8001", resumable_server)
    code = code.replace("http://localhost:8002", llm_server)
    if "def test_" in code:  # a test, as a user would write it: run it with pytest
        path = tmp_path / f"test_readme_{index}.py"
        path.write_text(code)
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert " passed" in result.stdout and "failed" not in result.stdout
        return
    output = run_example(code).splitlines()
    if "localhost:8002/v1/chat" in BLOCKS[index]:
        assert output == ["You asked: hello"]  # and it returned, though the server keeps the connection open
    elif "localhost:8002/ticker" in BLOCKS[index]:
        assert output == [
            "1 tick 1",
            "2 tick 2",
            "3 tick 3",
            "reconnecting after: StreamStalled: no event for 1s (idle_timeout); comments do not count",
            "4 tick 4",
            "5 tick 5",
            "6 tick 6",
            "reconnecting after: the stream ended",  # then 204 No Content: the end
        ]
    elif "protocol=protocols.ANTHROPIC" in BLOCKS[index]:
        assert output == ["You asked: hello"]  # the preset retried the overloaded answer
    elif "localhost:8002/v1/messages" in BLOCKS[index]:
        assert output == ["You asked: hello", "reconnects: 1 end: terminal"]  # overloaded first, then retried
    elif "localhost:8002/v1/responses" in BLOCKS[index]:
        assert output == ["You asked: hello"]  # half from the POST, the rest from the resume request
    elif "localhost:8002/replaying" in BLOCKS[index]:
        assert output == [str([f"event {n}" for n in range(1, 6)])]  # each once, though sent again
    elif "protocols.Protocol(" in BLOCKS[index]:
        assert output == [
            "Protocol('anthropic': until, errors) Protocol('my-feed': until) "
            "['a2a', 'anthropic', 'gemini', 'graphql-sse', 'mcp', 'openai-chat', 'openai-responses', 'vercel-ui']"
        ]
    elif "HttpxAiohttpClient" in BLOCKS[index]:
        assert output == [str([5] * 10)]  # ten streams on one shared client, each read whole
    elif "check_transport(" in BLOCKS[index]:
        assert output[0] == "httpx.Client (HTTPTransport): fit for event streams" and len(output) == 7
    elif "SSEInstrumentor" in BLOCKS[index]:
        assert output == ["SSE GET 10 4 no_content", "['sse.reconnect']"]
    elif "localhost:8000" in BLOCKS[index]:
        # The original README's server: the numbers 1 to 5, as "message" events.
        assert [line.split()[:2] for line in output] == [["message", str(n)] for n in range(1, 6)]
    elif "localhost:8001" in BLOCKS[index]:
        # Ten events through three drops: each exactly once, in order.
        assert [line.split()[:2] for line in output] == [[str(n), str(n)] for n in range(1, 11)]
        if "reconnects so far" in BLOCKS[index]:
            assert output[-1].endswith("(reconnects so far: 3)")
    else:
        assert output == ["Hello ServerSentEvent(event='delta', data='{\"content\": \"Hello\"}', id='7')"]


def test_installed_command_runs_the_demo() -> None:
    command = Path(sys.executable).parent / "httpx-sse"
    result = subprocess.run([str(command), "--demo", "--data-only"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Hello from the httpx-sse demo stream!\n")


SHELL_BLOCKS: List[str] = re.findall(r"```sh\n(.*?)```", TEXT, re.S)
COMMAND_LINES = [line for block in SHELL_BLOCKS for line in block.splitlines() if line.startswith("httpx-sse ")]


def test_readme_has_command_examples() -> None:
    assert len(COMMAND_LINES) >= 3


@pytest.mark.parametrize("line", COMMAND_LINES)
def test_readme_command_runs(line: str) -> None:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(line, shell=True, capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "prints the events"
    if "--max-events 3" in line:
        assert len(result.stdout.splitlines()) == 3


@pytest.mark.parametrize("module", ["examples.server", "examples.resumable_server"])
def test_readme_uvicorn_commands_serve_the_examples(module: str) -> None:
    from .servers import bound_socket

    sock = bound_socket()
    port = sock.getsockname()[1]
    sock.close()
    command = [sys.executable, "-m", "uvicorn", f"{module}:app", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        path = "/sse" if module == "examples.server" else "/numbers"
        deadline = time.monotonic() + 20
        while True:
            try:
                with httpx.Client() as client, client.stream("GET", f"http://127.0.0.1:{port}{path}") as response:
                    first = next(iter_sse(response))
                break
            except httpx.ConnectError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert first.data == "1"
    finally:
        server.terminate()
        server.wait(timeout=10)
