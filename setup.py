"""The optional C accelerator for the decoder; everything else is in pyproject.toml.

A failed compile (no C compiler, no Python headers, ``CC=false``) is not a failed
install: the extension is optional, and the pure-Python decoder is used instead.
``HTTPX_SSE_NO_EXTENSIONS=1`` skips building it (and, at import, using it).

A free-threaded CPython (3.13t) gets the pure-Python decoder: the C core does not yet
declare that it runs without the GIL, and importing it there would turn the GIL back on.
"""

import os
import platform
import sysconfig

from setuptools import Extension, setup

build_it = (
    not os.environ.get("HTTPX_SSE_NO_EXTENSIONS")
    and platform.python_implementation() == "CPython"
    and not sysconfig.get_config_var("Py_GIL_DISABLED")
)
extensions = [Extension("httpx_sse._speedups", ["src/httpx_sse/_speedups.c"], optional=True)] if build_it else []

setup(ext_modules=extensions)
