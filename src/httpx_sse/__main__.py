"""``python -m httpx_sse``: the same as the ``httpx-sse`` command."""

import sys

from ._cli import main

sys.exit(main())
