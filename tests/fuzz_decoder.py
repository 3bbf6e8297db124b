"""Coverage-guided fuzzing (atheris) of the compiled decoder against the pure-Python reference.

Each input becomes a stream, the places it is cut into chunks, a bound, whether comments
are wanted and a starting id; ``feed``/``feed_with_comments`` then ``close`` run on both
cores, which must agree after every call (what it returned or raised, ``last_event_id``,
``retry``). The pure decoder's code is instrumented, so inputs that reach new branches of
the spec's steps are kept and mutated further.

    python -m tests.fuzz_decoder -runs=20000          # CI's short run
    python -m tests.fuzz_decoder -max_total_time=3600 # a longer campaign

Not collected by pytest (the name does not start with ``test_``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List

import atheris

with atheris.instrument_imports(include=["httpx_sse"]):
    from httpx_sse import _decoder

from .test_decoder_builds import steps

STARTING_IDS = ["", "5", "é"]
TOKENS = Path(__file__).with_name("fuzz_decoder.dict")


def one_input(data: bytes) -> None:
    given = atheris.FuzzedDataProvider(data)
    limit = given.ConsumeIntInRange(1, 400) if given.ConsumeBool() else sys.maxsize
    comments = given.ConsumeBool()
    last_id = STARTING_IDS[given.ConsumeIntInRange(0, len(STARTING_IDS) - 1)]
    cut_count = given.ConsumeIntInRange(0, 12)
    cut_points = [given.ConsumeIntInRange(0, 4096) for _ in range(cut_count)]
    stream = given.ConsumeBytes(given.remaining_bytes())
    cuts: List[int] = sorted(cut for cut in cut_points if cut <= len(stream))
    expected = steps(_decoder._PythonCore, stream, cuts, limit, comments, last_id)
    compiled = steps(_decoder._compiled_core, stream, cuts, limit, comments, last_id)
    if compiled != expected:
        raise AssertionError(f"the builds disagree on {stream!r} cut at {cuts} (limit {limit}, comments {comments})")


def main() -> None:
    if _decoder._compiled_core is None:
        sys.exit("the compiled decoder is not built here: nothing to compare")
    arguments = sys.argv if any(a.startswith("-dict=") for a in sys.argv) else [*sys.argv, f"-dict={TOKENS}"]
    atheris.Setup(arguments, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
