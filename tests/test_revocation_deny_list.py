"""cfcookies.revocation.deny_list: LocalDenyList, in memory and shared through a file."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cfcookies import revocation
from cfcookies.exceptions import ConfigurationError, NaiveDatetimeError, PolicyTimeError
from cfcookies.revocation import LocalDenyList
from tests.revocation_support import NOW, FakeClock


def test_local_revoked_session_is_denied_until_its_end() -> None:
    """A revoked session is denied until `until`, then the entry no longer applies."""
    clock = FakeClock()
    deny = LocalDenyList(clock=clock)
    deny.revoke_session("sess-1", until=timedelta(minutes=10))
    assert deny.is_revoked("sess-1", None, issued_at=NOW - 5, now=NOW)
    assert not deny.is_revoked("sess-2", None, issued_at=NOW - 5, now=NOW)
    assert not deny.is_revoked("sess-1", None, issued_at=NOW - 5, now=NOW + 600)


def test_local_revoked_user_allows_sessions_issued_later() -> None:
    """Revoking a user denies sessions issued until now, and not the ones issued after."""
    clock = FakeClock()
    deny = LocalDenyList(clock=clock)
    deny.revoke_user("user_1", until=timedelta(hours=1))
    assert deny.is_revoked("any", "user_1", issued_at=NOW, now=NOW + 1)
    assert not deny.is_revoked("any", "user_1", issued_at=NOW + 1, now=NOW + 2)
    assert not deny.is_revoked("any", None, issued_at=NOW, now=NOW + 1)


def test_local_banned_user_is_denied_even_for_new_sessions() -> None:
    """With issued_before=until, even sessions issued later are denied until the end."""
    clock = FakeClock()
    deny = LocalDenyList(clock=clock)
    deny.revoke_user("user_1", until=NOW + 3600, issued_before=NOW + 3600)
    assert deny.is_revoked("s", "user_1", issued_at=NOW + 100, now=NOW + 100)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        pytest.param(
            lambda d: d.revoke_session("sess-1", until=NOW), PolicyTimeError, id="until-now"
        ),
        pytest.param(
            lambda d: d.revoke_session("sess-1", until=datetime(2031, 1, 1)),
            NaiveDatetimeError,
            id="naive-until",
        ),
        pytest.param(
            lambda d: d.revoke_user("u", until=NOW + 9, issued_before=NOW + 10),
            PolicyTimeError,
            id="cutoff-after-end",
        ),
        pytest.param(
            lambda d: d.revoke_session("a/b", until=NOW + 9), ConfigurationError, id="bad-id"
        ),
    ],
)
def test_local_revocation_rejects_bad_arguments(call: Any, error: type[Exception]) -> None:
    """Revocation refuses past or naive ends, a cutoff after the end and unsafe ids."""
    with pytest.raises(error):
        call(LocalDenyList(clock=FakeClock()))


def test_local_file_is_shared_between_instances(tmp_path: Path) -> None:
    """An entry written by one LocalDenyList is seen by another over the same file."""
    path = tmp_path / "deny.json"
    app = LocalDenyList(path=path, clock=FakeClock())
    edge = LocalDenyList(path=path, clock=FakeClock())
    assert not edge.is_revoked("sess-1", "user_1", issued_at=NOW, now=NOW)
    app.revoke_session("sess-1", until=NOW + 60)
    assert edge.is_revoked("sess-1", "user_1", issued_at=NOW, now=NOW)
    edge.revoke_user("user_9", until=NOW + 60)
    assert set(app.entries()) == {"revoked:sess-1", "revoked-user:user_9"}


def test_local_file_keeps_every_concurrent_write(tmp_path: Path) -> None:
    """Writers in several threads and instances never lose each other's entries."""
    path = tmp_path / "deny.json"
    lists = [LocalDenyList(path=path, clock=FakeClock()) for _ in range(4)]

    def work(index: int) -> None:
        for n in range(25):
            lists[index].revoke_session(f"s{index}-{n}", until=NOW + 60)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(LocalDenyList(path=path).entries()) == 100


def test_local_purge_deletes_only_stale_entries(tmp_path: Path) -> None:
    """purge_expired removes entries whose end has passed and keeps the others."""
    clock = FakeClock()
    deny = LocalDenyList(path=tmp_path / "d.json", clock=clock)
    deny.revoke_session("old", until=NOW + 10)
    deny.revoke_session("new", until=NOW + 100)
    clock.advance(10)
    assert deny.purge_expired() == 1
    assert list(deny.entries()) == ["revoked:new"]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("not json", id="not-json"),
        pytest.param('{"entries": [1]}', id="entries-not-object"),
        pytest.param('{"entries": {"k": 1}}', id="value-not-string"),
        pytest.param("[]", id="array"),
    ],
)
def test_local_corrupt_file_is_a_configuration_error(tmp_path: Path, content: str) -> None:
    """A deny-list file that is not one raises ConfigurationError naming the file."""
    path = tmp_path / "deny.json"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=r"deny\.json"):
        LocalDenyList(path=path).is_revoked("s", None, issued_at=NOW, now=NOW)


def test_local_deny_list_is_a_deny_list() -> None:
    """LocalDenyList satisfies the DenyList protocol."""
    assert isinstance(LocalDenyList(), revocation.DenyList)
