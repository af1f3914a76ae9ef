"""Every relative link and image in README.md opens a file committed in the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# [text](target) and ![alt](target), without the optional "title"
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _relative_targets(markdown: str) -> list[str]:
    targets = [m.group(1).split("#", 1)[0] for m in LINK.finditer(markdown)]
    return [t for t in targets if t and not re.match(r"[a-z]+:", t)]


def test_the_pattern_finds_links_and_images() -> None:
    sample = '[a](docs/x.md) ![b](p.png) [c](https://example.org) [d](#top) [e](y.md "t")'
    assert _relative_targets(sample) == ["docs/x.md", "p.png", "y.md"]


def test_every_relative_link_in_the_readme_is_a_committed_file() -> None:
    committed = set(
        subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.splitlines()
    )
    targets = _relative_targets((ROOT / "README.md").read_text())
    assert targets, "README.md links nothing"
    missing = [t for t in targets if t not in committed]
    assert not missing, f"links to files not committed: {missing}"
