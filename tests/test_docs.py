"""The documentation site: its pages' examples run in the tests (test_readme.py), every snippet
they include exists, and the built site renders what the pages and docstrings hold."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").rglob("*.md"))
README = (ROOT / "README.md").read_text()


def test_there_are_pages() -> None:
    assert len(PAGES) >= 10


def test_every_page_is_one_whose_examples_run() -> None:
    from .test_readme import TESTED_FILES

    assert set(PAGES) <= set(TESTED_FILES)


def test_the_readme_is_one_screen_to_the_first_example_and_short() -> None:
    lines = README.splitlines()
    assert len(lines) <= 250
    assert next(n for n, line in enumerate(lines) if line.startswith("```python")) < 70


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
        # A fenced block: the docs site renders it as code (a ">>>" session renders as nested quotes).
        if "```python" not in doc or ">>>" in doc or "doctest:" in doc:
            missing.append(name)
    assert missing == []


def lists_without_a_blank_line_before(text: str) -> list[str]:
    """List items that follow a paragraph line directly: GitHub renders them as a list, but
    Python-Markdown (the docs site) runs them into the paragraph as text."""
    found = []
    in_code = False
    previous = ""
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        elif (
            not in_code
            and re.match(r"(-|\*|\d+\.) ", line)
            and previous.strip()
            and not re.match(r"\s*(-|\*|\d+\.) |\s+\S|\|", previous)
        ):
            found.append(line)
        previous = line
    return found


@pytest.mark.parametrize("source", [ROOT / "README.md", *PAGES], ids=["README.md", *(page.name for page in PAGES)])
def test_every_list_starts_after_a_blank_line(source: Path) -> None:
    assert lists_without_a_blank_line_before(source.read_text()) == []


def build_site() -> Path:
    """The site, built as CI builds it (Zensical, strict: a broken link or anchor fails it)."""
    pytest.importorskip("zensical", reason="the docs extra is not installed")
    zensical = Path(sys.executable).parent / "zensical"
    build = subprocess.run([str(zensical), "build", "--strict"], cwd=ROOT, capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    return ROOT / "site"


def test_every_link_and_image_of_the_built_site_resolves() -> None:
    site = build_site()
    broken = []
    for html in site.rglob("*.html"):
        for target in re.findall(r'(?:href|src)="([^"#?]+)[^"]*"', html.read_text()):
            if re.match(r"[a-z][a-z0-9+.-]*:|//", target):  # another site: not ours to check here
                continue
            path = (site / target.lstrip("/")) if target.startswith("/") else (html.parent / target)
            if not (path.is_file() or (path / "index.html").is_file()):
                broken.append(f"{html.relative_to(site)}: {target}")
    assert broken == []


def test_the_built_site_renders_the_lists() -> None:
    tmp_path = build_site()
    page = (tmp_path / "migrating" / "index.html").read_text()
    assert "<li><code>ServerSentEvent</code> is an immutable tuple" in page
    for html in tmp_path.rglob("*.html"):
        text = html.read_text()
        assert not re.search(r"<p>[^<]*\n- ", text), f"{html}: a list rendered as text"
        # Docstring examples are code, never doctest sessions read as Markdown quotes.
        assert "doctest:" not in text, f"{html}: a doctest flag shows"
        assert not re.search(r"<blockquote>\s*<blockquote>", text), f"{html}: a >>> session rendered as quotes"
    api = (tmp_path / "api" / "index.html").read_text()
    assert api.count('<div class="highlight"><pre>') >= 20, "the API reference shows its examples as code"
