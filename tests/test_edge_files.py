"""cfcookies.edge.files under attack: symlinks inside the root are never followed.

S3 has no symlinks, so the edge follows none. A symlinked file, or a path through a symlinked
folder, is answered as a missing object once the signature passed (S3's ``403 AccessDenied``,
what the template's bucket policy gives, and ``x-cfcookies-decision: missing_object``),
wherever the link points: into another course's folder, inside its own folder, or out of root.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cfcookies.edge import EdgeApp
from cfcookies.keys import PublicKey
from cfcookies.signing import Signer
from tests.support import FakeClock

from .edge_support import LOGO, OUTSIDE, OUTSIDE_BYTES, PUBLIC, SECRET_BYTES, SEGMENT_BYTES, call
from .verification_cases import MEDIA_URL, SEGMENT

needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")


# --- symlinks ---------------------------------------------------------------------------------


def _get(edge: EdgeApp, cookie: str, path: str) -> tuple[int, dict[str, str], bytes]:
    return call(edge, path, [(b"cookie", cookie.encode())])


@needs_symlinks
def test_normal_file_is_still_served(edge: EdgeApp, cookie: str) -> None:
    """A regular file under regular folders is served as before."""
    status, headers, body = _get(edge, cookie, SEGMENT)
    assert (status, headers["x-cfcookies-decision"], body) == (200, "allowed", SEGMENT_BYTES)


@needs_symlinks
def test_file_symlink_into_another_folder_is_not_followed(
    edge: EdgeApp, root: Path, cookie: str
) -> None:
    """course-1/link.ts -> ../course-2/secret.ts: a course-1 grant does not read course-2."""
    (root / "videos" / "course-1" / "link.ts").symlink_to(Path("..") / "course-2" / "secret.ts")
    assert (root / "videos" / "course-1" / "link.ts").read_bytes() == SECRET_BYTES  # a real link
    status, headers, body = _get(edge, cookie, "/videos/course-1/link.ts")
    assert (status, headers["x-cfcookies-decision"]) == (403, "missing_object")
    assert "<Code>AccessDenied</Code>" in body.decode()
    assert SECRET_BYTES not in body


@needs_symlinks
def test_absolute_file_symlink_is_not_followed(edge: EdgeApp, root: Path, cookie: str) -> None:
    """An absolute symlink to another folder's file is refused the same way."""
    target = (root / "videos" / "course-2" / "secret.ts").resolve()
    (root / "videos" / "course-1" / "abs.ts").symlink_to(target)
    status, _, body = _get(edge, cookie, "/videos/course-1/abs.ts")
    assert status == 403
    assert SECRET_BYTES not in body


@needs_symlinks
def test_directory_symlink_is_not_followed(edge: EdgeApp, root: Path, cookie: str) -> None:
    """course-1/other -> ../course-2: a path through a symlinked folder is a missing object."""
    (root / "videos" / "course-1" / "other").symlink_to(Path("..") / "course-2")
    assert (root / "videos" / "course-1" / "other" / "secret.ts").read_bytes() == SECRET_BYTES
    status, headers, body = _get(edge, cookie, "/videos/course-1/other/secret.ts")
    assert (status, headers["x-cfcookies-decision"]) == (403, "missing_object")
    assert SECRET_BYTES not in body


@needs_symlinks
def test_symlinked_top_folder_is_not_followed(
    root: Path, keys: dict[str, PublicKey], clock: FakeClock, signer: Signer
) -> None:
    """A symlinked folder high up the path (root/alias -> videos) is refused too."""
    (root / "alias").symlink_to("videos")
    cookies = signer.cookies_for(f"{MEDIA_URL}/alias/course-1/*", date_less_than=3_000_000_000)
    header = "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()
    app = EdgeApp(root, public_keys=keys, public_url=MEDIA_URL, clock=clock)
    status, headers, body = call(app, "/alias/course-1/seg-0001.ts", [(b"cookie", header)])
    assert (status, headers["x-cfcookies-decision"]) == (403, "missing_object")
    assert SEGMENT_BYTES not in body


@needs_symlinks
def test_symlink_inside_the_same_folder_is_not_followed(
    edge: EdgeApp, root: Path, cookie: str
) -> None:
    """Even a link to a file of the same folder is refused: S3 has no symlinks."""
    (root / "videos" / "course-1" / "alias.ts").symlink_to("seg-0001.ts")
    status, _, body = _get(edge, cookie, "/videos/course-1/alias.ts")
    assert status == 403
    assert SEGMENT_BYTES not in body


@needs_symlinks
def test_symlink_out_of_root_is_not_followed(edge: EdgeApp, root: Path, cookie: str) -> None:
    """A link out of root is refused as before."""
    (root / "videos" / "course-1" / "out.ts").symlink_to(root.parent / OUTSIDE)
    status, _, body = _get(edge, cookie, "/videos/course-1/out.ts")
    assert status == 403
    assert OUTSIDE_BYTES not in body


@needs_symlinks
def test_symlink_under_an_unprotected_prefix_is_not_followed(edge: EdgeApp, root: Path) -> None:
    """public/leak.ts -> ../videos/course-2/secret.ts does not open a course to everyone."""
    (root / "public" / "leak.ts").symlink_to(Path("..") / "videos" / "course-2" / "secret.ts")
    status, headers, body = call(edge, "/public/leak.ts")
    assert (status, headers["x-cfcookies-decision"]) == (403, "missing_object")
    assert SECRET_BYTES not in body
    assert call(edge, PUBLIC)[2] == LOGO


@needs_symlinks
def test_dangling_and_looping_symlinks_are_missing(edge: EdgeApp, root: Path, cookie: str) -> None:
    """A dangling link and a link loop are missing objects, not errors."""
    folder = root / "videos" / "course-1"
    (folder / "dangling.ts").symlink_to("nowhere.ts")
    (folder / "loop-a").symlink_to("loop-b")
    (folder / "loop-b").symlink_to("loop-a")
    for path in ("dangling.ts", "loop-a", "loop-a/x.ts"):
        status, headers, _ = _get(edge, cookie, f"/videos/course-1/{path}")
        assert (status, headers["x-cfcookies-decision"]) == (403, "missing_object")


def test_special_files_and_long_names_are_missing(edge: EdgeApp, root: Path, cookie: str) -> None:
    """A FIFO is not a file (opening it would block); a too-long name is missing, not a 500."""
    paths = ["/videos/course-1/" + "a" * 5000 + ".ts", "/videos/course-1/seg-0001.ts/more"]
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "videos" / "course-1" / "pipe.ts")
        paths.append("/videos/course-1/pipe.ts")
    for path in paths:
        status, headers, _ = _get(edge, cookie, path)
        assert (status, headers["x-cfcookies-decision"]) == (403, "missing_object")
