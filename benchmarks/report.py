"""Render the sections as BENCHMARKS.md: machine, command, goals table, then each benchmark."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from importlib import metadata

from ._harness import Section

LIBRARIES = (
    "cfcookies",
    "cryptography",
    "itsdangerous",
    "starlette",
    "anyio",
    "uvicorn",
    "botocore",
)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover
        pass
    return platform.processor() or "unknown"


def versions() -> str:
    found = []
    for name in LIBRARIES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:  # pragma: no cover
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def node_version() -> str:
    import shutil
    import subprocess

    if shutil.which("node") is None:
        return "not installed"
    done = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows)
    return lines


def render(
    sections: list[Section],
    *,
    command: str,
    quick: bool,
    misses: dict[str, str],
    profile: str = "",
) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Benchmarks",
        "",
        "Every figure below comes from one run of the current code; each is compared with a "
        "baseline measured in the same run (the machine is shared and noisy, so absolute "
        "times only give the order of magnitude). In-process times are the median of "
        "interleaved rounds, with the spread (fastest and slowest round) in brackets.",
        "",
        f"- Command: `{command}`"
        + (" (quick: tiny counts, figures not meaningful)" if quick else ""),
        f"- Date: {now}",
        f"- Machine: {os.cpu_count()} cores (nproc), {cpu_model()}, {platform.system()} "
        f"{platform.release()}",
        f"- Python {platform.python_version()} ({sys.implementation.name}), Node {node_version()}",
        f"- Libraries: {versions()}",
        "",
        "## Goals",
        "",
    ]
    checks = [check for section in sections for check in section.checks]
    out.extend(
        _table(
            ("figure", "goal", "measured", "met"),
            [(c.figure, c.goal, c.measured, "met" if c.met else "**missed**") for c in checks],
        )
    )
    missed = [c for c in checks if not c.met]
    if missed:
        out += ["", "### Why the missed goals are missed, and what would close them", ""]
        seen: set[str] = set()
        for check in missed:
            key = next((k for k in misses if check.figure.startswith(k)), "")
            if key in seen:
                continue
            seen.add(key)
            out.append(f"- **{check.figure}**: {misses.get(key, 'not analysed in this run.')}")
    if profile:
        out += ["", "## Profiling and fixes", "", profile.rstrip()]
    for section in sections:
        out += ["", *render_section(section)]
    out.append("")
    return "\n".join(out)


def render_section(section: Section) -> list[str]:
    """One benchmark's part of the report: title, method, table and notes (not its goals)."""
    out = [f"## {section.number}. {section.title}", "", section.method, ""]
    out.extend(_table(section.header, section.rows))
    if section.notes:
        out.append("")
        out.extend(f"- {note}" for note in section.notes)
    return out
