"""Every relative link in the pages a user reads (README, docs, the model cards, BENCHMARKS.md) leads somewhere:
to a file of the repository and, where it names a heading of a Markdown page, to that heading."""

import re
from pathlib import Path

from helpers import REPO

LINK = re.compile(r"\]\(([^)\s]+)\)")


def pages(root: Path) -> list[Path]:
    return [p for p in [root / "README.md", root / "BENCHMARKS.md", *sorted((root / "docs").rglob("*.md")),
                        *sorted((root / "pretrained").rglob("*.md"))] if p.is_file()]


def anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped but hyphens, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def broken_links(page: Path) -> list[str]:
    broken = []
    for link in LINK.findall(page.read_text()):
        if re.match(r"[a-z][a-z0-9+.-]*:", link):  # https:, mailto: ...: not ours to check
            continue
        path, _, name = link.partition("#")
        target = (page.parent / path) if path else page
        if not target.exists():
            broken.append(f"{link} (no such file)")
        elif name and target.suffix == ".md":
            headings = re.findall(r"^#+ (.*)$", target.read_text(), flags=re.M)
            if name not in {anchor(h) for h in headings}:
                broken.append(f"{link} (no such heading)")
    return broken


def test_every_relative_link_in_the_pages_resolves():
    found = pages(REPO)
    assert len(found) >= 10 and REPO / "README.md" in found
    broken = {str(p.relative_to(REPO)): b for p in found if (b := broken_links(p))}
    assert not broken, broken


def test_a_missing_file_or_heading_is_found(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A page\n\n## Noise shaping: pre-emphasis\n")
    (tmp_path / "README.md").write_text(
        "[ok](docs/a.md) [ok](docs/a.md#noise-shaping-pre-emphasis) [web](https://example.org/x)\n"
        "[gone](docs/b.md) [wrong](docs/a.md#noise) [self](#a-title)\n# A title\n")
    assert broken_links(tmp_path / "README.md") == ["docs/b.md (no such file)", "docs/a.md#noise (no such heading)"]
