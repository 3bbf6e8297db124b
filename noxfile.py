"""The test matrix: every Python this machine has, and the oldest httpx we claim.

``nox`` runs it all; an interpreter that is not installed is skipped with a message.
The default CI run is still the README's test command (``pytest``); ``.ci/run`` runs
this matrix after it.
"""

from __future__ import annotations

import nox

nox.options.error_on_missing_interpreters = False
nox.options.reuse_existing_virtualenvs = False

PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole suite on one Python (httpx2 rows too, where httpx2 installs: 3.11+)."""
    session.install("-e", ".[test,aiohttp]")
    session.run("pytest", "-q", "-x", *session.posargs)


@nox.session(python="3.9")
def oldest_httpx(session: nox.Session) -> None:
    """The oldest httpx we claim (0.25), on the oldest Python (without httpx-aiohttp, which needs 0.27)."""
    session.install("-e", ".[test]", "httpx==0.25.*")
    session.run("python", "-c", "import httpx; assert httpx.__version__.startswith('0.25'), httpx.__version__")
    session.run("pytest", "-q", "-x", *session.posargs)
