"""cfcookies.revocation.outbox: deny-list entries, and the file outbox shared by processes,
damaged, or unreadable (what the writer does with a failing outbox is in
test_revocation_writer.py)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from cfcookies.exceptions import ConfigurationError
from cfcookies.revocation import DenyEntry, FileOutbox
from tests.revocation_support import entry, events
from tests.support import FakeClock

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="cfcookies")
    return caplog


def test_processes_adding_to_one_file_outbox_at_once_lose_no_entry(tmp_path: Path) -> None:
    """Two real processes, each adding 15 entries one at a time under the file lock."""
    path = tmp_path / "outbox.json"
    script = textwrap.dedent(
        """
        import sys
        from cfcookies.revocation import DenyEntry, FileOutbox
        outbox = FileOutbox(sys.argv[1])
        for n in range(15):
            outbox.add([DenyEntry(f"{sys.argv[2]}-{n}", "", 2_000_000_000)])
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(path), name], env=env)
        for name in ("a", "b")
    ]
    assert [proc.wait(timeout=30) for proc in procs] == [0, 0]

    pending = FileOutbox(path).pending()
    assert sorted(e.session_id for e in pending) == sorted(
        f"{name}-{n}" for name in "ab" for n in range(15)
    )


def test_file_outbox_removes_only_the_given_entries_and_ignores_duplicates(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Entries added by another process meanwhile survive a remove."""
    mine, theirs = FileOutbox(tmp_path / "o.json"), FileOutbox(tmp_path / "o.json")
    a, b, c = entry(clock, 1), entry(clock, 2), entry(clock, 3)
    mine.add([a, b])
    theirs.add([b, c, c])

    mine.remove([a, b])

    assert theirs.pending() == [c]


def test_a_corrupt_outbox_file_is_moved_aside_and_reported(
    tmp_path: Path, clock: FakeClock, logs: pytest.LogCaptureFixture
) -> None:
    """Unparseable content is kept for a human under .corrupt-*, and the outbox works again."""
    path = tmp_path / "outbox.json"
    path.write_bytes(b'{"cfcookies_deny_outbox": 1, "entr')
    outbox = FileOutbox(path)

    assert outbox.pending() == []

    [record] = events(logs, "cfcookies.deny_list.outbox_corrupt")
    assert record.levelname == "ERROR"
    [aside] = tmp_path.glob("outbox.json.corrupt-*")
    assert aside.read_bytes() == b'{"cfcookies_deny_outbox": 1, "entr'
    assert record.__dict__["moved_to"] == str(aside)
    item = entry(clock)
    outbox.add([item])
    assert FileOutbox(path).pending() == [item]


def test_the_readable_entries_of_a_damaged_outbox_file_are_kept(
    tmp_path: Path, clock: FakeClock, logs: pytest.LogCaptureFixture
) -> None:
    """One bad entry does not cost the good ones; the original is kept beside."""
    path = tmp_path / "outbox.json"
    good = entry(clock)
    damaged = {
        "cfcookies_deny_outbox": 1,
        "entries": [
            {"session_id": good.session_id, "user_id": good.user_id, "until": good.until},
            {"session_id": "bad id!", "user_id": "", "until": good.until},
            {"session_id": "no-until"},
        ],
    }
    path.write_text(json.dumps(damaged), "utf-8")

    assert FileOutbox(path).pending() == [good]

    [record] = events(logs, "cfcookies.deny_list.outbox_corrupt")
    assert "2 unreadable entries" in record.getMessage()
    assert record.__dict__["salvaged"] == 1
    [aside] = tmp_path.glob("outbox.json.corrupt-*")
    assert json.loads(aside.read_text("utf-8")) == damaged
    assert FileOutbox(path).pending() == [good]
    assert len(events(logs, "cfcookies.deny_list.outbox_corrupt")) == 1


@pytest.mark.parametrize(
    "path_kind",
    [pytest.param("directory", id="a-directory"), pytest.param("no-parent", id="no-folder")],
)
def test_a_file_outbox_that_cannot_work_is_refused_at_start_up(
    tmp_path: Path, path_kind: str
) -> None:
    """The outbox path must be a file in an existing folder."""
    path = tmp_path if path_kind == "directory" else tmp_path / "missing" / "o.json"
    with pytest.raises(ConfigurationError, match="outbox"):
        FileOutbox(path)


@pytest.mark.parametrize(
    ("session_id", "user_id", "until"),
    [
        pytest.param("", "alice", 2_000_000_000, id="empty-session"),
        pytest.param("a.b", "alice", 2_000_000_000, id="dot-in-session"),
        pytest.param("s", "a" * 65, 2_000_000_000, id="long-user"),
        pytest.param("s", None, 2_000_000_000, id="user-none"),
        pytest.param("s", "", 2_000_000_000.0, id="float-until"),
        pytest.param("s", "", True, id="bool-until"),
        pytest.param("s", "", 2_000_000_000_000, id="millisecond-until"),
    ],
)
def test_a_malformed_entry_is_refused(session_id: Any, user_id: Any, until: Any) -> None:
    """Entries are checked when made, so the worker only ever sees valid ones."""
    with pytest.raises(ConfigurationError):
        DenyEntry(session_id, user_id, until)
