from __future__ import annotations

import gc
import importlib
import importlib.util
import logging
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterator, List, Tuple

import pytest

from httpx_sse import _decoder, testing

from .servers import run_uvicorn

ROOT = Path(__file__).resolve().parent.parent

HAS_HTTPX2 = importlib.util.find_spec("httpx2") is not None
NEEDS_HTTPX2 = pytest.mark.skipif(not HAS_HTTPX2, reason="httpx2 is not installed (it needs Python 3.11 or newer)")
BASE_MODES = ["sync", "asyncio", "trio"]
LIBS = ["httpx", pytest.param("httpx2", marks=NEEDS_HTTPX2)]


def split_mode(mode: str) -> Tuple[str, ModuleType]:
    """``"trio+httpx2"`` -> ("trio", the httpx2 module); a bare mode reads through httpx."""
    backend, _, library = mode.partition("+")
    return backend, importlib.import_module(library or "httpx")


@pytest.fixture(params=LIBS)
def lib(request: pytest.FixtureRequest) -> ModuleType:
    """The client library a test reads through: httpx, then httpx2 where installed."""
    return importlib.import_module(str(request.param))


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """The tests' Starlette app on a free loopback port."""
    from .app import app

    with run_uvicorn(app) as url:
        yield url


@pytest.fixture(scope="session")
def example_server() -> Iterator[str]:
    """The README's example server (examples/server.py), quick between events."""
    os.environ["NUMBERS_DELAY"] = "0.01"
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import server as example  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    with run_uvicorn(example.app) as url:
        yield url


@pytest.fixture
def no_waiting() -> Iterator[List[float]]:
    """Record the waits the loops ask for instead of sleeping them (the testing kit's own)."""
    with testing.no_waiting() as waits:
        yield waits


@pytest.fixture(scope="module", params=["pure-python", "compiled"])
def decoder_build(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run a module's tests on the pure-Python decoder, then on the compiled one."""
    compiled = _decoder._compiled_core
    if request.param == "compiled" and compiled is None:
        pytest.skip("the compiled decoder is not built here (no C compiler, or HTTPX_SSE_NO_EXTENSIONS=1)")
    _decoder._compiled_core = compiled if request.param == "compiled" else None
    try:
        yield str(request.param)
    finally:
        _decoder._compiled_core = compiled


def memory_blocks_kept(one_round: Callable[[], None], *, rounds: int, warm_up: int = 1) -> int:
    """How many more memory blocks are allocated after ``rounds`` more rounds than after the warm-up.

    A reference never released (in Python or in the compiled decoder) grows with each round.
    The package's log records are kept by pytest's log capture, not by us: the logger is
    quiet while this measures.
    """
    logger = logging.getLogger("httpx_sse")
    was_disabled, logger.disabled = logger.disabled, True
    try:
        for _ in range(warm_up):
            one_round()
        gc.collect()
        before = sys.getallocatedblocks()
        for _ in range(rounds):
            one_round()
        gc.collect()
        return sys.getallocatedblocks() - before
    finally:
        logger.disabled = was_disabled
