"""The docs stay true: every ``cfcookies …`` command they show parses with the real CLI, and
every relative link points at a file that exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from cfcookies.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(
    [
        ROOT / "README.md",
        ROOT / "SECURITY.md",
        ROOT / "BENCHMARKS.md",
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "examples").rglob("README.md"),
    ]
)
INLINE = re.compile(r"`(cfcookies [a-z][^`]*)`")


def shell_blocks(text: str) -> list[str]:
    """The fenced blocks that hold shell commands (no language, or a shell one)."""
    blocks: list[str] = []
    language: str | None = None
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()  # fences may be indented inside list items
        if line.startswith("```"):
            if language is None:
                language, lines = line[3:].strip(), []
            else:
                if language in ("", "console", "sh", "shell", "bash", "text"):
                    blocks.append("\n".join(lines))
                language = None
        elif language is not None:
            lines.append(line)
    return blocks


def shown_commands(page: Path) -> list[str]:
    """``cfcookies …`` command lines in the page's shell blocks, continuations joined."""
    commands: list[str] = []
    for block in shell_blocks(page.read_text()):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.strip().removeprefix("$ ")
            line = line.split("  #", 1)[0].strip()
            if line.startswith("cfcookies "):
                commands.append(line)
    return commands


def named_commands(page: Path) -> list[str]:
    """``cfcookies …`` named inline in the prose (often without their required arguments)."""
    return [s for s in INLINE.findall(page.read_text()) if not s.startswith("cfcookies import")]


CASES = [
    pytest.param(page, command, id=f"{page.relative_to(ROOT)}:{command[:60]}")
    for page in PAGES
    if page.exists()
    for command in shown_commands(page)
]


NAMED = [
    pytest.param(page, span, id=f"{page.relative_to(ROOT)}:{span[:60]}")
    for page in PAGES
    if page.exists()
    for span in named_commands(page)
]


def test_the_docs_show_commands() -> None:
    assert len(CASES) >= 4
    assert len(NAMED) >= 15


@pytest.mark.parametrize(("page", "span"), NAMED)
def test_a_command_named_in_the_prose_exists_with_its_options(page: Path, span: str) -> None:
    words = [w for w in shlex.split(span.replace("…", ""))[1:] if w != "--help"]
    path = [w for w in words if not w.startswith("-")]
    options = [w.split("=", 1)[0] for w in words if w.startswith("--")]
    # Walk down the sub-commands as far as the words name them.
    parser = build_parser()
    walked = 0
    for word in path:
        choices = next((a.choices for a in parser._actions if isinstance(a.choices, dict)), None)
        if not choices or word not in choices:
            break
        parser = choices[word]
        walked += 1
    assert walked >= min(1, len(path)), f"{page.name}: `{span}`: no command {path[0]!r}"
    known = {o for a in parser._actions for o in a.option_strings}
    missing = [o for o in options if o not in known]
    assert not missing, f"{page.name}: `{span}`: unknown option(s) {missing}"


@pytest.mark.parametrize(("page", "command"), CASES)
def test_a_command_shown_in_the_docs_parses(page: Path, command: str) -> None:
    words = shlex.split(command.replace("…", "x").replace("$", ""))[1:]
    if words and words[-1] == "--help":
        words = words[:-1]
    parser = build_parser()
    try:
        parser.parse_args(words)
    except SystemExit as exc:  # argparse's way of saying "no"
        pytest.fail(f"{page.name}: `{command}` does not parse (exit {exc.code})")


@pytest.mark.parametrize("page", [p for p in PAGES if p.exists()], ids=lambda p: p.name)
def test_relative_links_point_at_files_that_exist(page: Path) -> None:
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_every_test_security_md_cites_exists() -> None:
    """Each claim in SECURITY.md points at a test: the test must be there."""
    text = (ROOT / "SECURITY.md").read_text()
    cited = re.findall(r"(tests/[\w/]+\.py)::(\w+)", text)
    assert len(cited) >= 10
    for path, name in cited:
        source = (ROOT / path).read_text()
        assert re.search(rf"def {name}\b", source), f"SECURITY.md cites missing {path}::{name}"
