"""``cfcookies keygen`` (cfcookies/cli/keys.py): key files, modes, --force, passphrases."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from cfcookies.exceptions import EncryptedKeyError
from cfcookies.keys import load_private_key, public_key_pem
from tests.support import PASSPHRASE


@pytest.mark.parametrize(
    ("flags", "kind", "size"),
    [
        pytest.param([], "RSA", 2048, id="rsa"),
        pytest.param(["--ecdsa"], "EC", 256, id="ecdsa"),
    ],
)
def test_keygen_writes_private_0600_and_public_pem(
    run: Any, tmp_path: Path, flags: list[str], kind: str, size: int
) -> None:
    """keygen writes private_key.pem with mode 0600 and the matching public_key.pem."""
    out = tmp_path / "keys"
    result = run("keygen", "--out", str(out), *flags)
    assert result.code == 0, result.err
    private = out / "private_key.pem"
    public = out / "public_key.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    key = load_private_key(private)
    assert key.key_size == size
    assert kind in type(key).__name__.upper()
    assert public.read_text() == public_key_pem(key)
    assert "next:" in result.out
    assert "upload" in result.out
    assert "BEGIN" not in result.out


def test_keygen_refuses_to_overwrite_without_force(run: Any, tmp_path: Path) -> None:
    """A second keygen into the same folder fails and keeps the key, unless --force."""
    assert run("keygen", "--out", str(tmp_path)).code == 0
    before = (tmp_path / "private_key.pem").read_bytes()
    refused = run("keygen", "--out", str(tmp_path))
    assert refused.code == 1
    assert "--force" in refused.err
    assert "Traceback" not in refused.err
    assert (tmp_path / "private_key.pem").read_bytes() == before
    forced = run("keygen", "--out", str(tmp_path), "--force")
    assert forced.code == 0
    assert (tmp_path / "private_key.pem").read_bytes() != before
    assert stat.S_IMODE((tmp_path / "private_key.pem").stat().st_mode) == 0o600


def test_keygen_refuses_when_only_the_public_key_exists(run: Any, tmp_path: Path) -> None:
    """An existing public_key.pem alone is enough to refuse without --force."""
    (tmp_path / "public_key.pem").write_text("keep me")
    assert run("keygen", "--out", str(tmp_path)).code == 1
    assert not (tmp_path / "private_key.pem").exists()


def test_keygen_encrypts_with_passphrase_env(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--passphrase-env encrypts the private key with that variable's value."""
    monkeypatch.setenv("CF_PASS", PASSPHRASE)
    assert run("keygen", "--out", str(tmp_path), "--passphrase-env", "CF_PASS").code == 0
    private = tmp_path / "private_key.pem"
    assert b"ENCRYPTED" in private.read_bytes()
    with pytest.raises(EncryptedKeyError):
        load_private_key(private)
    assert load_private_key(private, passphrase=PASSPHRASE).key_size == 2048


def test_keygen_missing_passphrase_variable(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A --passphrase-env naming an unset variable fails before writing anything."""
    monkeypatch.delenv("CF_PASS", raising=False)
    result = run("keygen", "--out", str(tmp_path), "--passphrase-env", "CF_PASS")
    assert result.code == 1
    assert "CF_PASS" in result.err
    assert not (tmp_path / "private_key.pem").exists()


def test_keygen_into_a_file_path_is_a_clean_error(run: Any, tmp_path: Path) -> None:
    """An --out that is a file gives an error line, not a traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("keygen", "--out", str(blocker))
    assert result.code == 1
    assert result.err.startswith("cfcookies keygen: error:")
    assert "Traceback" not in result.err


def test_keygen_creates_only_the_last_folder(run: Any, tmp_path: Path) -> None:
    """--out whose parent folder is missing is refused, naming it; nothing is created."""
    out = tmp_path / "no-such-parent" / "keys"
    result = run("keygen", "--out", str(out))
    assert result.code == 1
    assert result.err.startswith("cfcookies keygen: error: --out ")
    assert f"the folder {str(out.parent)!r} does not exist; create it first" in result.err
    assert not out.parent.exists()


def test_keygen_creates_a_missing_out_folder(run: Any, tmp_path: Path) -> None:
    """--out naming a new folder inside an existing one creates it."""
    result = run("keygen", "--out", str(tmp_path / "keys"))
    assert result.code == 0, result.err
    assert (tmp_path / "keys" / "private_key.pem").exists()


def _refuse_writes_under(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Make creating a folder or a file under ``root`` fail with EACCES, as for a user without
    write permission (the tests may run as root, which chmod does not stop)."""
    real_open, real_mkdir = os.open, Path.mkdir

    def refusing_open(path: Any, flags: int, mode: int = 0o777) -> int:
        if Path(path).is_relative_to(root) and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, mode)

    def refusing_mkdir(self: Path, *args: Any, **kwargs: Any) -> None:
        if self.is_relative_to(root):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    monkeypatch.setattr(Path, "mkdir", refusing_mkdir)


@pytest.mark.parametrize(
    ("folder", "fragment"),
    [
        pytest.param("existing", "cannot write the keys into", id="unwritable-folder"),
        pytest.param("new", "cannot create the folder", id="unwritable-parent"),
    ],
)
def test_keygen_into_an_unwritable_place_says_so(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str, fragment: str
) -> None:
    """A folder keygen may not write to, or create, is one plain line: permission denied."""
    (tmp_path / "existing").mkdir()
    _refuse_writes_under(monkeypatch, tmp_path)
    out = tmp_path / folder
    result = run("keygen", "--out", str(out))
    assert result.code == 1
    assert result.err == f"cfcookies keygen: error: {fragment} {str(out)!r}: permission denied\n"
    assert result.out == ""


def test_keygen_into_a_file_path_names_it(run: Any, tmp_path: Path) -> None:
    """An --out that is a file says it is a file, not a folder."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("keygen", "--out", str(blocker))
    assert (
        result.err == f"cfcookies keygen: error: --out {str(blocker)!r} is a file, not a folder\n"
    )
