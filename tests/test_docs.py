"""Keeps the README and the guides under docs/ honest: every relative link leads to a file (and a heading)
that exists, the README links every guide, every setting is in the configuration guide and every command
with its options in the command-line guide."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from minhu.cli import app
from minhu.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", flags=re.M | re.S)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", flags=re.M)


def _prose(text: str) -> str:
    """The text without code blocks and code spans, where brackets are not links."""
    return _CODE.sub("", _FENCE.sub("", text))


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").lower()
    kept = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LMN")
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text("utf-8"))):
        slug = _slug(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def links(page: Path) -> Iterator[str]:
    for target in _LINK.findall(_prose(page.read_text("utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, flags=re.I) or target.startswith("//"):
            continue  # an address on the web, not a file of the project
        yield target


def test_slugs_are_githubs() -> None:
    assert _slug("Callbacks and online rating (回访、网上直评)") == "callbacks-and-online-rating-回访网上直评"
    assert _slug("Routing: what it is, how hard, who acts") == "routing-what-it-is-how-hard-who-acts"
    assert _slug("The `minhu` command") == "the-minhu-command"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_somewhere(page: Path) -> None:
    broken = []
    for target in links(page):
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.relative_to(ROOT)}")
    assert broken == []


def test_the_readme_links_every_guide() -> None:
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in links(ROOT / "README.md")}
    assert [p.name for p in sorted(DOCS.glob("*.md")) if p.resolve() not in linked] == []


def test_the_readme_stays_a_front_page() -> None:
    assert len((ROOT / "README.md").read_text("utf-8").splitlines()) <= 250


def test_every_setting_is_in_the_configuration_guide() -> None:
    guide = (DOCS / "configuration.md").read_text("utf-8")
    missing = [f"MINHU_{name.upper()}" for name in Settings.model_fields if f"`MINHU_{name.upper()}`" not in guide]
    assert missing == []


def _commands(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in subcommands.items():
            if not getattr(sub, "hidden", False):
                yield from _commands(sub, [*path, name])
    else:
        yield " ".join(path), command


def test_every_command_and_option_is_in_the_command_line_guide() -> None:
    rows = [line for line in (DOCS / "cli.md").read_text("utf-8").splitlines() if line.startswith("| `minhu ")]
    missing = []
    for name, command in _commands(typer.main.get_command(app), ["minhu"]):
        row = " ".join(r for r in rows if re.search(rf"`{re.escape(name)}[ `]", r))
        if not row:
            missing.append(name)
            continue
        for param in command.params:
            options = [*param.opts, *getattr(param, "secondary_opts", [])]
            if options[0].startswith("-") and not any(re.search(rf"{re.escape(o)}(?![\w-])", row) for o in options):
                missing.append(f"{name} {options[0]}")
    assert missing == []
