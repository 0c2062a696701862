"""The demo's media library on disk: per course an HLS playlist, its segments and a poster.

:func:`write_media_library` writes the folder tree the local edge serves (``videos/<course>/``),
one folder per course so that each is one cookie path and one grant. The files are generated
(:mod:`cfcookies.demo.png`, :mod:`cfcookies.demo.h264`, :mod:`cfcookies.demo.mpegts`), so the
package ships no media and the demo needs no network.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .catalog import COURSES, SEGMENT_SECONDS, SEGMENTS, VIDEOS, DemoCourse
from .h264 import VIDEO_FPS, video_frames
from .mpegts import make_ts_segment
from .png import poster_png


def segment_name(index: int) -> str:
    """The file name of a course's segment number ``index`` (from 0)."""
    return f"seg-{index:03d}.ts"


def _playlist(segments: Sequence[str], seconds: int) -> str:
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{seconds}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
    ]
    for name in segments:
        lines += [f"#EXTINF:{seconds:.3f},", name]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def write_media_library(root: Path, courses: Sequence[DemoCourse] = COURSES) -> Path:
    """Write every course (``index.m3u8``, ``seg-NNN.ts``, ``poster.png``) under ``root/videos``.

    The segments are real H.264 video in MPEG-TS (a few seconds of a tiny clip), so a player
    that knows HLS, such as Chromium's or Safari's ``<video>``, plays the playlist.
    """
    per_segment = VIDEO_FPS * SEGMENT_SECONDS
    total = per_segment * SEGMENTS
    for course in courses:
        folder = root / VIDEOS.strip("/") / course.slug
        folder.mkdir(parents=True, exist_ok=True)
        number = course.slug.rsplit("-", 1)[-1]
        frames = list(video_frames(f"course {number}", course.color, count=total, total=total))
        names = [segment_name(i) for i in range(SEGMENTS)]
        for i, name in enumerate(names):
            chunk = frames[i * per_segment : (i + 1) * per_segment]
            (folder / name).write_bytes(make_ts_segment(chunk, first_frame=i * per_segment))
        (folder / "index.m3u8").write_text(_playlist(names, SEGMENT_SECONDS), encoding="utf-8")
        (folder / "poster.png").write_bytes(poster_png(f"course {number}", course.color))
    return root
