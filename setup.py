"""The optional C accelerator for the decoder; everything else is in pyproject.toml.

A failed compile (no C compiler, no Python headers, ``CC=false``) is not a failed
install: the extension is optional, and the pure-Python decoder is used instead.
``HTTPX_SSE_NO_EXTENSIONS=1`` skips building it (and, at import, using it).
"""

import os
import platform

from setuptools import Extension, setup

build_it = not os.environ.get("HTTPX_SSE_NO_EXTENSIONS") and platform.python_implementation() == "CPython"
extensions = [Extension("httpx_sse._speedups", ["src/httpx_sse/_speedups.c"], optional=True)] if build_it else []

setup(ext_modules=extensions)
