"""The documentation site: its pages take their examples from README.md, where they run in the
tests, and every snippet they include exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").glob("*.md"))
README = (ROOT / "README.md").read_text()


def test_there_are_pages() -> None:
    assert len(PAGES) >= 10


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_pages_hold_no_untested_python(page: Path) -> None:
    assert "```python" not in page.read_text(), "put the example in README.md (tested) and include it"


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_each_included_section_exists(page: Path) -> None:
    for source, section in re.findall(r'--8<-- "([^":]+)(?::([\w-]+))?"', page.read_text()):
        text = (ROOT / source).read_text()
        if section:
            assert f"[start:{section}]" in text and f"[end:{section}]" in text, (source, section)


def test_every_public_name_has_a_docstring_with_an_example() -> None:
    import httpx_sse
    from httpx_sse import testing

    missing = []
    for name in [*httpx_sse.__all__, *(f"testing.{n}" for n in testing.__all__)]:
        obj = getattr(testing, name[8:]) if name.startswith("testing.") else getattr(httpx_sse, name)
        if name in ("__version__", "__compiled__", "DEFAULT_MAX_EVENT_SIZE"):
            continue
        doc = obj.__doc__ or ""
        if ">>>" not in doc:
            missing.append(name)
    assert missing == []
