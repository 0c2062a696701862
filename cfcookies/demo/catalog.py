"""What the demo is made of: its courses, its users, and what a built demo tells its user.

Plain data, shared by the media generator (which writes each course's folder), the app (which
grants courses to users) and the runner (which prints the users and their passwords). Kept
apart so that :mod:`cfcookies.demo.media` depends on this data, not on the web app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: The path under which every course lives on the edge.
VIDEOS = "/videos"


@dataclass(frozen=True)
class DemoCourse:
    """One folder of the media library: an HLS playlist, its segments and a poster."""

    slug: str
    title: str
    color: tuple[int, int, int]

    @property
    def prefix(self) -> str:
        return f"{VIDEOS}/{self.slug}/"


COURSES: tuple[DemoCourse, ...] = (
    DemoCourse("course-1", "Signed cookies 101", (32, 96, 200)),
    DemoCourse("course-2", "Rotating keys without downtime", (190, 70, 40)),
    DemoCourse("course-3", "Cookie domains and paths", (40, 150, 90)),
)
SEGMENTS = 3
SEGMENT_SECONDS = 2

#: Who may read what: user name → course slugs.
DEFAULT_USERS: dict[str, tuple[str, ...]] = {
    "alice": ("course-1",),
    "bob": ("course-2", "course-3"),
}


@dataclass(frozen=True)
class DemoUser:
    """A demo login. Its ``repr`` hides the password."""

    name: str
    password: str = field(repr=False)
    courses: tuple[str, ...]


@dataclass(frozen=True)
class DemoInfo:
    """What a person (or a test) needs to know to use a built demo."""

    app_url: str
    media_url: str
    key_pair_id: str
    users: tuple[DemoUser, ...]
    courses: tuple[DemoCourse, ...]
    media_root: Path
    key_dir: Path
    cookie_domain: str | None
    secure: bool
    revocation: bool = True
    #: The hls.js file the player without cookies plays with (None: the browser's own HLS).
    hls_js: Path | None = None

    def user(self, name: str) -> DemoUser:
        return next(u for u in self.users if u.name == name)

    def media(self, course: str, name: str = "index.m3u8") -> str:
        """The edge URL of a file of a course."""
        return f"{self.media_url}{VIDEOS}/{course}/{name}"
