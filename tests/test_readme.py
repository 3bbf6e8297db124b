"""Every Python example in README.md runs as written, against the servers it names."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List

import pytest

from .servers import run_uvicorn

ROOT = Path(__file__).resolve().parent.parent
BLOCKS: List[str] = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


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


def run_example(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index: int, example_server: str, resumable_server: str) -> None:
    code = BLOCKS[index]
    code = code.replace("http://localhost:8000", example_server).replace("http://localhost:8001", resumable_server)
    output = run_example(code).splitlines()
    if "localhost:8000" in BLOCKS[index]:
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
