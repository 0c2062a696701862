"""cfcookies.revocation.writer: logout entries reach a failing, slow or restarted store, off the
request.

Stores are real where they can be: ``LocalDenyList`` files made unwritable by a directory in
their place, and ``LocalDenyList`` subclasses that raise, block or count.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cfcookies.exceptions import AWSError, ConfigurationError
from cfcookies.policy import TimeInput
from cfcookies.revocation import (
    DenyEntry,
    DenyWriteFailure,
    DenyWriter,
    FileOutbox,
    LocalDenyList,
    MemoryOutbox,
)
from tests.revocation_support import entry, events
from tests.support import FakeClock

REPO = Path(__file__).resolve().parent.parent


def is_denied(deny_list: LocalDenyList, item: DenyEntry, clock: FakeClock) -> bool:
    return deny_list.is_revoked(item.session_id, None, issued_at=clock.epoch, now=clock.epoch)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="cfcookies")
    return caplog


#: Fast retries for tests: every wait is a few hundredths of a second.
FAST: dict[str, Any] = {"timeout": 1.0, "retry_initial": 0.01, "retry_max": 0.02}


class FlakyDenyList(LocalDenyList):
    """A LocalDenyList whose first ``failures`` writes raise, as a KeyValueStore that is down."""

    def __init__(self, *, failures: int, clock: FakeClock) -> None:
        super().__init__(clock=clock)
        self.failures = failures
        self.calls = 0
        self._calls_lock = threading.Lock()

    def revoke_session(self, session_id: str, *, until: TimeInput) -> None:
        with self._calls_lock:
            self.calls += 1
            failing = self.calls <= self.failures
        if failing:
            raise AWSError("UpdateKeys failed: ServiceUnavailable")
        super().revoke_session(session_id, until=until)


class CountingDenyList(LocalDenyList):
    """A LocalDenyList that counts the writes of each session and signals each one."""

    def __init__(self, *, clock: FakeClock) -> None:
        super().__init__(clock=clock)
        self.writes: Counter[tuple[str, int]] = Counter()
        self.wrote = threading.Event()
        self._calls_lock = threading.Lock()

    def revoke_session(self, session_id: str, *, until: TimeInput) -> None:
        super().revoke_session(session_id, until=until)
        with self._calls_lock:
            assert isinstance(until, int)
            self.writes[(session_id, until)] += 1
        self.wrote.set()


class HungDenyList(LocalDenyList):
    """A LocalDenyList whose writes block until ``gate`` opens; it records how many overlap."""

    def __init__(self, *, clock: FakeClock) -> None:
        super().__init__(clock=clock)
        self.gate = threading.Event()
        self.calls = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self._calls_lock = threading.Lock()

    def revoke_session(self, session_id: str, *, until: TimeInput) -> None:
        with self._calls_lock:
            self.calls += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if not self.gate.wait(5):
                raise TimeoutError("the test never opened the gate")
            super().revoke_session(session_id, until=until)
        finally:
            with self._calls_lock:
                self.in_flight -= 1


class Failures:
    """An ``on_failure`` hook that records what it is given (and raises, if told to)."""

    def __init__(self, *, raises: bool = False) -> None:
        self.seen: list[DenyWriteFailure] = []
        self.raises = raises
        self._cond = threading.Condition()

    def __call__(self, failure: DenyWriteFailure) -> None:
        with self._cond:
            self.seen.append(failure)
            self._cond.notify_all()
        if self.raises:
            raise RuntimeError("the app's alerting is down")

    def wait_for(self, count: int, timeout: float = 2.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.seen) >= count, timeout)


@pytest.fixture
def writers() -> Iterator[Callable[..., DenyWriter]]:
    """Make writers with fast retries; every one is closed after the test."""
    made: list[DenyWriter] = []

    def make(deny_list: LocalDenyList, **options: Any) -> DenyWriter:
        writer = DenyWriter(deny_list, **{**FAST, **options})
        made.append(writer)
        return writer

    yield make
    for writer in made:
        writer.close(timeout=2)


# --- a store that fails, then recovers ------------------------------------------------------------


def test_a_failing_store_is_retried_until_the_entry_is_written(
    clock: FakeClock, writers: Callable[..., DenyWriter], logs: pytest.LogCaptureFixture
) -> None:
    """Each failure is logged with the session and user and reported; recovery writes it."""
    deny = FlakyDenyList(failures=3, clock=clock)
    hook = Failures()
    writer = writers(deny, on_failure=hook, clock=clock)
    item = entry(clock)

    writer.submit([item])

    assert writer.flush(2)
    assert is_denied(deny, item, clock)
    assert deny.calls == 4
    assert [(f.entry, f.error, f.attempt, f.final) for f in hook.seen] == [
        (item, "AWSError", n, False) for n in (1, 2, 3)
    ]
    assert hook.seen[0].message == "UpdateKeys failed: ServiceUnavailable"
    failed = events(logs, "cfcookies.deny_list.write_failed")
    assert [r.levelname for r in failed] == ["ERROR"] * 3
    for n, record in enumerate(failed, start=1):
        assert record.__dict__["session_id"] == "session-0"
        assert record.__dict__["user_id"] == "alice"
        assert record.__dict__["until"] == item.until
        assert record.__dict__["error"] == "AWSError"
        assert record.__dict__["attempt"] == n
        message = record.getMessage()
        assert "session-0" in message
        assert "alice" in message
        assert "retried" in message
    [recovered] = events(logs, "cfcookies.deny_list.write_recovered")
    assert recovered.levelname == "WARNING"
    assert "after 4 attempts" in recovered.getMessage()
    assert writer.pending_count == 0
    assert writer.outbox.pending() == []
    counts = writer.metrics.snapshot()
    assert (counts["deny_list_write_failures"], counts["deny_list_writes"]) == (3, 1)
    assert counts["deny_list_entries_lapsed"] == 0


def test_a_deny_list_file_that_cannot_be_written_is_retried_once_it_can(
    tmp_path: Path, clock: FakeClock, writers: Callable[..., DenyWriter]
) -> None:
    """A LocalDenyList file with a directory in its place fails for real, then recovers."""
    path = tmp_path / "deny.json"
    path.mkdir()  # the store's file cannot be read or replaced while this is here
    deny = LocalDenyList(path=path, clock=clock)
    hook = Failures()
    writer = writers(deny, on_failure=hook, clock=clock)
    item = entry(clock)

    writer.submit([item])
    assert hook.wait_for(2)
    assert not writer.flush(0.05)
    assert writer.pending_count == 1
    assert {f.error for f in hook.seen} == {"ConfigurationError"}
    path.rmdir()

    assert writer.flush(2)
    assert is_denied(LocalDenyList(path=path, clock=clock), item, clock)
    assert writer.pending_count == 0


# --- a slow store ---------------------------------------------------------------------------------


def test_a_hung_store_costs_submit_nothing_and_is_written_once_it_answers(
    clock: FakeClock, writers: Callable[..., DenyWriter], logs: pytest.LogCaptureFixture
) -> None:
    """The write times out and is reported, no second write starts, and it lands after all."""
    deny = HungDenyList(clock=clock)
    hook = Failures()
    writer = writers(deny, on_failure=hook, clock=clock, timeout=0.05)
    first, second = entry(clock, 1), entry(clock, 2)
    try:
        started = time.monotonic()
        writer.submit([first])
        writer.submit([second])
        assert time.monotonic() - started < 0.1

        assert hook.wait_for(1)
        [timed_out] = hook.seen
        assert (timed_out.entry, timed_out.error, timed_out.attempt) == (first, "TimeoutError", 1)
        assert "0.05 s" in timed_out.message
        [record] = events(logs, "cfcookies.deny_list.write_failed")
        assert record.__dict__["error"] == "TimeoutError"
        time.sleep(0.15)  # several retry periods: still only the one call in flight
        assert deny.calls == 1
        assert len(hook.seen) == 1
        stuck = [t for t in threading.enumerate() if t.name == "cfcookies-deny-write"]
        assert len(stuck) == 1
    finally:
        deny.gate.set()

    assert writer.flush(2)
    assert is_denied(deny, first, clock)
    assert is_denied(deny, second, clock)
    assert deny.calls == 2  # the timed-out call did land, so it was not repeated
    assert deny.most_in_flight == 1
    [recovered] = events(logs, "cfcookies.deny_list.write_recovered")
    assert recovered.__dict__["session_id"] == "session-1"


# --- durability -----------------------------------------------------------------------------------


def test_the_file_outbox_carries_an_entry_to_the_next_process(
    tmp_path: Path, clock: FakeClock, writers: Callable[..., DenyWriter]
) -> None:
    """A writer stopped while the store is down leaves the entry; a new one writes it at start."""
    outbox_path = tmp_path / "deny-outbox.json"
    broken = tmp_path / "broken.json"
    broken.mkdir()
    hook = Failures()
    first = writers(
        LocalDenyList(path=broken, clock=clock),
        outbox=FileOutbox(outbox_path),
        on_failure=hook,
        clock=clock,
    )
    item = entry(clock, user="")
    first.submit([item])
    assert hook.wait_for(1)
    assert first.close()

    assert FileOutbox(outbox_path).pending() == [item]
    assert stat.S_IMODE(outbox_path.stat().st_mode) == 0o600
    document = json.loads(outbox_path.read_text("utf-8"))
    assert document == {
        "cfcookies_deny_outbox": 1,
        "entries": [{"session_id": "session-0", "user_id": "", "until": item.until}],
    }

    working = LocalDenyList(path=tmp_path / "deny.json", clock=clock)
    second = writers(working, outbox=FileOutbox(outbox_path), clock=clock)  # no submit

    assert second.flush(2)
    assert is_denied(working, item, clock)
    assert FileOutbox(outbox_path).pending() == []


def test_submit_after_close_leaves_the_entry_in_the_outbox(
    tmp_path: Path, clock: FakeClock, writers: Callable[..., DenyWriter]
) -> None:
    """A closed writer writes nothing, but the entry waits in the outbox for the next one."""
    deny = CountingDenyList(clock=clock)
    writer = writers(deny, outbox=FileOutbox(tmp_path / "outbox.json"), clock=clock)
    writer.close()
    item = entry(clock)

    writer.submit([item])

    assert writer.pending_count == 1
    assert not deny.writes
    assert FileOutbox(tmp_path / "outbox.json").pending() == [item]


# --- lapses ---------------------------------------------------------------------------------------


def test_an_entry_that_lapses_while_the_store_is_down_is_dropped_and_reported(
    clock: FakeClock, writers: Callable[..., DenyWriter], logs: pytest.LogCaptureFixture
) -> None:
    """Once its until has passed the entry is never written: a WARNING and a final hook call."""
    deny = FlakyDenyList(failures=10**9, clock=clock)
    hook = Failures()
    writer = writers(deny, on_failure=hook, clock=clock)
    item = entry(clock, ttl=60)

    writer.submit([item])
    assert hook.wait_for(1)
    clock.advance(61)

    assert writer.flush(2)
    final = hook.seen[-1]
    assert final.final
    assert final.entry == item
    assert final.error == "AWSError"
    assert final.attempt == len(hook.seen) - 1
    assert "lapsed" in final.message
    assert not any(f.final for f in hook.seen[:-1])
    [lapsed] = events(logs, "cfcookies.deny_list.entry_lapsed")
    assert lapsed.levelname == "WARNING"
    assert lapsed.__dict__["session_id"] == "session-0"
    assert lapsed.__dict__["user_id"] == "alice"
    assert "session-0" in lapsed.getMessage()
    calls = deny.calls
    time.sleep(0.05)
    assert deny.calls == calls
    assert deny.entries() == {}
    assert writer.pending_count == 0
    counts = writer.metrics.snapshot()
    assert counts["deny_list_entries_lapsed"] == 1
    assert counts["deny_list_write_failures"] == len(hook.seen) - 1
    assert counts["deny_list_writes"] == 0


def test_an_entry_submitted_already_lapsed_is_never_tried(
    clock: FakeClock, writers: Callable[..., DenyWriter]
) -> None:
    """Its final report says it was never tried."""
    deny = CountingDenyList(clock=clock)
    hook = Failures()
    writer = writers(deny, on_failure=hook, clock=clock)

    writer.submit([DenyEntry("gone", "bob", clock.epoch)])

    assert writer.flush(2)
    [failure] = hook.seen
    assert (failure.error, failure.attempt, failure.final) == ("EntryLapsed", 0, True)
    assert not deny.writes


# --- the hook -------------------------------------------------------------------------------------


def test_a_hook_that_raises_does_not_stop_the_worker(
    clock: FakeClock, writers: Callable[..., DenyWriter], logs: pytest.LogCaptureFixture
) -> None:
    """The hook's exception is logged and the entries are written all the same."""
    deny = FlakyDenyList(failures=2, clock=clock)
    hook = Failures(raises=True)
    writer = writers(deny, on_failure=hook, clock=clock)
    first, second = entry(clock, 1), entry(clock, 2)

    writer.submit([first])
    assert writer.flush(2)
    writer.submit([second])
    assert writer.flush(2)

    assert is_denied(deny, first, clock)
    assert is_denied(deny, second, clock)
    hook_errors = events(logs, "cfcookies.deny_list.hook_failed")
    assert len(hook_errors) == 2
    assert all(r.exc_info is not None and r.__dict__["session_id"] for r in hook_errors)


def test_an_unexpected_error_in_the_worker_is_logged_and_the_worker_carries_on(
    clock: FakeClock, writers: Callable[..., DenyWriter], logs: pytest.LogCaptureFixture
) -> None:
    """A clock that once returns a naive datetime fails one pass, not the writer."""
    deny = CountingDenyList(clock=clock)
    readings: list[datetime] = [clock.now.replace(tzinfo=None)]

    def flaky_clock() -> datetime:
        return readings.pop() if readings else clock.now

    writer = writers(deny, clock=flaky_clock)
    item = entry(clock)

    writer.submit([item])

    assert writer.flush(2)
    assert deny.writes == Counter({(item.session_id, item.until): 1})
    [record] = events(logs, "cfcookies.deny_list.writer_failed")
    assert record.levelname == "ERROR"
    assert record.exc_info is not None


def test_a_long_store_error_is_cut_short_in_reports(
    clock: FakeClock, writers: Callable[..., DenyWriter]
) -> None:
    """Messages reach the hook on one line, at most 300 characters."""

    class Verbose(LocalDenyList):
        def revoke_session(self, session_id: str, *, until: TimeInput) -> None:
            raise OSError("line\n" + "x" * 1000)

    hook = Failures()
    with DenyWriter(Verbose(clock=clock), on_failure=hook, clock=clock, **FAST) as writer:
        assert "LocalDenyList('memory')" in repr(writer)
        writer.submit([entry(clock)])
        assert hook.wait_for(1)
    [failure, *_] = hook.seen
    assert failure.error == "OSError"
    assert len(failure.message) == 300
    assert failure.message.startswith("line xxx")
    assert failure.message.endswith("...")


# --- the outbox file ------------------------------------------------------------------------------


def test_two_writers_sharing_a_file_outbox_lose_no_entry(
    tmp_path: Path, clock: FakeClock, writers: Callable[..., DenyWriter]
) -> None:
    """A writer whose store is down leaves its entries; the other's next pass writes them."""
    path = tmp_path / "outbox.json"
    down = writers(FlakyDenyList(failures=10**9, clock=clock), outbox=FileOutbox(path), clock=clock)
    deny = CountingDenyList(clock=clock)
    up = writers(deny, outbox=FileOutbox(path), clock=clock)
    items = [entry(clock, n) for n in range(40)]

    def submit(writer: DenyWriter, chunk: list[DenyEntry]) -> None:
        for item in chunk:
            writer.submit([item])

    threads = [
        threading.Thread(target=submit, args=(down if n % 2 else up, items[n::4])) for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert down.close()
    last = entry(clock, 99)
    up.submit([last])  # the surviving process's next logout

    assert up.flush(2)
    assert {sid for sid, _ in deny.writes} == {i.session_id for i in [*items, last]}
    assert FileOutbox(path).pending() == []


def test_an_unreadable_outbox_is_not_overwritten_and_the_entry_is_still_written(
    tmp_path: Path,
    clock: FakeClock,
    writers: Callable[..., DenyWriter],
    logs: pytest.LogCaptureFixture,
) -> None:
    """submit logs the outbox failure, keeps the entry in memory and writes it to the store."""
    path = tmp_path / "outbox.json"
    outbox = FileOutbox(path)
    path.mkdir()  # from now on the outbox can be neither read nor replaced
    deny = CountingDenyList(clock=clock)
    writer = writers(deny, outbox=outbox, clock=clock)
    item = entry(clock)

    writer.submit([item])  # does not raise

    assert deny.wrote.wait(2)
    assert deny.writes == Counter({(item.session_id, item.until): 1})
    assert path.is_dir()
    failed = events(logs, "cfcookies.deny_list.outbox_failed")
    assert {r.levelname for r in failed} == {"ERROR"}
    [submitted] = [r for r in failed if "session_id" in r.__dict__]
    assert submitted.__dict__["session_id"] == "session-0"
    assert submitted.__dict__["user_id"] == "alice"
    assert submitted.__dict__["error"] == "IsADirectoryError"
    assert "session-0" in submitted.getMessage()
    assert not writer.flush(0.05)  # while the outbox is unreadable, it may hold more
    path.rmdir()
    assert writer.flush(2)
    assert deny.writes == Counter({(item.session_id, item.until): 1})


# --- ordering and concurrency ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", [pytest.param("memory"), pytest.param("file")])
def test_fifty_submits_from_ten_threads_are_each_written_exactly_once(
    tmp_path: Path, clock: FakeClock, writers: Callable[..., DenyWriter], kind: str
) -> None:
    """One writer with a healthy store and outbox writes each entry once (the guarantee across
    crashes and shared outboxes is at least once)."""
    deny = CountingDenyList(clock=clock)
    outbox = MemoryOutbox() if kind == "memory" else FileOutbox(tmp_path / "outbox.json")
    writer = writers(deny, outbox=outbox, clock=clock)
    items = [entry(clock, n) for n in range(50)]
    barrier = threading.Barrier(10)

    def submit(chunk: list[DenyEntry]) -> None:
        barrier.wait()
        for item in chunk:
            writer.submit([item])

    threads = [threading.Thread(target=submit, args=(items[n::10],)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert writer.flush(5)
    assert deny.writes == Counter({(i.session_id, i.until): 1 for i in items})
    assert outbox.pending() == []


def test_two_entries_for_one_session_are_written_as_the_later_one(
    clock: FakeClock, writers: Callable[..., DenyWriter]
) -> None:
    """The store keeps the last value written, so only the latest until is written."""
    deny = CountingDenyList(clock=clock)
    writer = writers(deny, clock=clock, start=False)
    later, earlier = entry(clock, ttl=7200), entry(clock, ttl=3600)
    writer.submit([later])
    writer.submit([earlier])
    assert not writer.flush(0.01)  # nothing runs before start()
    assert not deny.writes

    writer.start()

    assert writer.flush(2)
    assert deny.writes == Counter({("session-0", later.until): 1})
    assert deny.entries() == {"revoked:session-0": str(later.until)}
    assert writer.pending_count == 0


def test_a_writer_made_before_a_fork_writes_in_the_child(tmp_path: Path) -> None:
    """The child starts its own worker at its first submit (gunicorn --preload)."""
    path = tmp_path / "deny.json"
    script = textwrap.dedent(
        """
        import os, sys, time
        from cfcookies.revocation import DenyEntry, DenyWriter, LocalDenyList
        until = int(time.time()) + 3600
        writer = DenyWriter(LocalDenyList(path=sys.argv[1]), retry_initial=0.01, retry_max=0.02)
        writer.submit([DenyEntry("parent", "", until)])
        assert writer.flush(5)
        pid = os.fork()
        if pid == 0:
            writer.submit([DenyEntry("child", "", until)])
            os._exit(0 if writer.flush(5) else 1)
        _, status = os.waitpid(pid, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script, str(path)], env=env, timeout=30
    )

    assert done.returncode == 0
    now = int(time.time())
    deny = LocalDenyList(path=path)
    assert deny.is_revoked("parent", None, issued_at=now, now=now)
    assert deny.is_revoked("child", None, issued_at=now, now=now)


# --- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"timeout": 0}, id="zero-timeout"),
        pytest.param({"timeout": float("inf")}, id="infinite-timeout"),
        pytest.param({"retry_initial": -1}, id="negative-retry"),
        pytest.param({"retry_initial": 2.0, "retry_max": 1.0}, id="max-below-initial"),
        pytest.param({"on_failure": "alert"}, id="hook-not-callable"),
        pytest.param({"clock": "now"}, id="clock-not-callable"),
        pytest.param({"deny_list": object()}, id="not-a-deny-list"),
    ],
)
def test_settings_that_cannot_work_are_refused(clock: FakeClock, options: dict[str, Any]) -> None:
    """A typed error at start-up, not a worker that misbehaves later."""
    deny_list = options.pop("deny_list", LocalDenyList(clock=clock))
    with pytest.raises(ConfigurationError):
        DenyWriter(deny_list, **options)


def test_submit_refuses_what_is_not_an_entry(clock: FakeClock) -> None:
    """A programming error, raised before anything is queued."""
    writer = DenyWriter(LocalDenyList(clock=clock), start=False)
    with pytest.raises(TypeError, match="DenyEntry"):
        writer.submit([("session-0", "alice", clock.epoch + 60)])  # type: ignore[list-item]
    assert writer.pending_count == 0


# --- settle: what a logout waits for --------------------------------------------------------------


def test_settle_waits_for_its_own_entries_and_not_for_a_failing_store(
    clock: FakeClock, writers: Callable[..., DenyWriter]
) -> None:
    healthy = CountingDenyList(clock=clock)
    writer = writers(healthy, clock=clock)
    mine = entry(clock, 1)
    writer.submit([mine])
    assert writer.settle(2.0, [mine])
    assert is_denied(healthy, mine, clock)

    failing = FlakyDenyList(failures=1000, clock=clock)
    down = writers(failing, clock=clock, retry_initial=5.0, retry_max=5.0)
    first = entry(clock, 2)
    down.submit([first])
    assert not down.settle(0.5, [first])  # its own write failed: no longer than that
    second = entry(clock, 3)
    down.submit([second])
    started = time.monotonic()
    assert not down.settle(2.0, [second])  # the store is known to be failing: at once
    assert time.monotonic() - started < 0.5
