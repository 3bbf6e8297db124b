"""The package version, in one place, and which decoder this installation runs."""

__version__ = "1.0.0.dev0"


def compiled_note() -> str:
    """Which decoder is in use, for ``httpx-sse --version``."""
    from ._decoder import COMPILED

    return "compiled decoder" if COMPILED else "pure-Python decoder"
