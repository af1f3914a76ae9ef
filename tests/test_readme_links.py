"""Every relative link and image in README.md and docs/*.md opens a committed file."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# [text](target) and ![alt](target), without the optional "title"
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _relative_targets(markdown: str) -> list[str]:
    targets = [m.group(1).split("#", 1)[0] for m in LINK.finditer(markdown)]
    return [t for t in targets if t and not re.match(r"[a-z]+:", t)]


def test_the_pattern_finds_links_and_images() -> None:
    sample = '[a](docs/x.md) ![b](p.png) [c](https://example.org) [d](#top) [e](y.md "t")'
    assert _relative_targets(sample) == ["docs/x.md", "p.png", "y.md"]


PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_of_a_page_is_a_committed_file(page: Path) -> None:
    committed = set(
        subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.splitlines()
    )
    targets = _relative_targets(page.read_text())
    assert targets, f"{page.name} links nothing"
    # a link is relative to the page's own folder
    resolved = [os.path.normpath((page.parent / t).relative_to(ROOT)) for t in targets]
    missing = [t for t in resolved if t not in committed]
    assert not missing, f"links to files not committed: {missing}"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = set(_relative_targets((ROOT / "README.md").read_text()))
    pages = {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")}
    assert pages <= linked, f"not linked from README.md: {pages - linked}"
