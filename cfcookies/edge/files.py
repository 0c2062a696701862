"""Finding and opening a file under the edge's root as S3 would: regular files only, no symlinks.

S3 has no symlinks, and the edge follows none: a symlinked file, or a path through a symlinked
folder, names no file (the app answers it as a missing object), wherever the link points.
:func:`resolve` checks a request path once with ``lstat`` on every component; :func:`open_regular`
opens the file without following a symlink even if one was swapped in since (``openat`` with
``O_NOFOLLOW`` where the OS has it).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

__all__ = ["open_regular", "regular_file", "resolve"]

_O_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY: int = getattr(os, "O_DIRECTORY", 0)
_O_NONBLOCK: int = getattr(os, "O_NONBLOCK", 0)
_O_CLOEXEC: int = getattr(os, "O_CLOEXEC", 0)
_O_BINARY: int = getattr(os, "O_BINARY", 0)
#: Whether folders can be walked by file descriptor (openat), so that no symlink is followed
#: even if one appears between the check and the open.
_WALK_BY_FD = os.open in os.supports_dir_fd and bool(_O_NOFOLLOW and _O_DIRECTORY)


def regular_file(root: Path, segments: Sequence[str]) -> Path | None:
    """``root/segments…`` if it is a regular file reached through real folders, else None.

    Every component is read with ``lstat``: a symlink anywhere (file or folder), a missing
    component, a FIFO or device, or a name the file system refuses gives None.
    """
    current = root
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        current = current / segment
        try:
            mode = os.lstat(current).st_mode
        except (OSError, ValueError):
            return None
        if not (stat.S_ISREG(mode) if index == last else stat.S_ISDIR(mode)):
            return None  # S_ISLNK is neither
    return current


def open_regular(root: Path, parts: Sequence[str]) -> int:
    """Open ``root/parts…`` for reading without following any symlink; its file descriptor.

    Where the OS can, the folders are walked with ``openat`` and ``O_NOFOLLOW``, so a symlink
    swapped in after :func:`regular_file` looked is refused too. Raises :class:`OSError` when
    a component is a symlink, is missing, or the file is not a regular file.
    """
    if not parts:
        raise IsADirectoryError(str(root))
    if _WALK_BY_FD:
        folder = os.open(root, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
        try:
            for part in parts[:-1]:
                inner = os.open(
                    part, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=folder
                )
                os.close(folder)
                folder = inner
            fd = os.open(
                parts[-1], os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_CLOEXEC, dir_fd=folder
            )
        finally:
            os.close(folder)
    else:
        if regular_file(root, parts) is None:
            raise FileNotFoundError(str(root.joinpath(*parts)))
        flags = os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_BINARY | _O_CLOEXEC
        fd = os.open(root.joinpath(*parts), flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO opens at once with O_NONBLOCK
            raise FileNotFoundError(str(root.joinpath(*parts)))
        if _O_NONBLOCK:
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def resolve(root: Path, raw_path: object, path: str) -> tuple[bool, Path | None]:
    """Whether ``path`` is a safe name under ``root``, and the regular file it names if any.

    ``raw_path`` is the ASGI scope's ``raw_path`` (bytes, or None when the server gives none).
    Encoded slashes, backslashes and NULs, ``.``/``..`` and empty segments are unsafe. No
    symlink is followed (S3 has none): when the file, or any folder on the way to it, is a
    symlink, the path names no file, as if it did not exist, wherever the link points. So
    do FIFOs, devices and names the file system refuses (too long ...).
    """
    if isinstance(raw_path, bytes) and any(
        bad in raw_path.split(b"?", 1)[0].lower() for bad in (b"%2f", b"%5c", b"%00")
    ):
        return False, None
    if not path.startswith("/"):
        return False, None
    if path.endswith("/"):
        return True, None
    segments = path[1:].split("/")
    if any(s in ("", ".", "..") or "\\" in s or "\x00" in s for s in segments):
        return False, None
    return True, regular_file(root, segments)
