"""The one-command demo: an app that issues CloudFront cookies and a local edge that checks them.

``cfcookies demo`` (or ``python -m cfcookies demo``) makes a throwaway key pair and a small media
library in a temporary folder, then serves on loopback:

- the **app** (``http://localhost:8000``): a Starlette app with a login form, wrapped by
  :class:`~cfcookies.asgi.CloudFrontCookieMiddleware`. Each demo user may read some courses; the
  page after login shows which cookies the middleware issued, for which paths and until when,
  loads the courses' media from the edge, and lets you try a course you were not granted;
- the **edge** (``http://localhost:8001``): :class:`~cfcookies.edge.EdgeApp`, the local
  CloudFront stand-in, trusting the demo's public key and answering CORS for the app's origin.

Edge revocation (:mod:`cfcookies.revocation`) is on unless ``revocation=False``
(``--no-revocation``): the middleware also issues a signed ``CloudFront-Session`` cookie, logout
writes the session into an in-memory :class:`~cfcookies.revocation.LocalDenyList`, and the edge's
:class:`~cfcookies.revocation.SessionCheck` refuses that session from then on, although its
CloudFront cookies are still valid. To show it, the demo app keeps, in memory and for the demo
only, a copy of the cookies the middleware issued to each demo session (captured from its
``Set-Cookie`` headers, never shown): "Log out, keeping a copy of my cookies" and then "Replay the
copied cookies" asks the edge with that copy and shows the answer (``403 session_revoked``; with
revocation off, ``200``).

Every form of the app (login, logout, replay) is protected against cross-site request forgery,
with no dependency beyond the standard library: each browser gets a random value in a
``SameSite=Strict``, ``HttpOnly`` cookie (``__Host-demo_csrf`` over HTTPS, ``demo_csrf`` over
plain HTTP), and each form a hidden ``csrf_token`` field holding an HMAC of that value under a
secret of the app; a POST whose field does not match its cookie (``hmac.compare_digest``) is
refused with ``403``. Any request other than ``GET``/``HEAD``/``OPTIONS`` (the middleware's
keep-alive ``POST`` included) whose ``Origin`` header is present and is not the app's own origin
is refused with ``403`` before it reaches the app.

Ctrl-C (or SIGTERM) stops both servers and deletes the temporary folder.

Tests, and anyone who wants HTTPS or other host names, build the same pieces with
:func:`build_demo` and serve them as they like::

    app, edge, info = build_demo(
        tmp_path,
        app_origin="https://app.example.test:8443",
        media_origin="https://media.example.test:9443",
        cookie_domain="example.test",
    )

uvicorn (the ``demo`` extra) is imported only by :func:`run_demo`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import html
import json
import os
import re
import secrets
import signal
import socket
import string
import struct
import sys
import tempfile
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .asgi import CloudFrontCookieMiddleware
from .edge import EdgeApp
from .exceptions import ConfigurationError
from .keys import (
    KeyRing,
    PublicKey,
    generate_private_key,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_pem,
)
from .policy import Clock, system_clock
from .revocation import LocalDenyList, SessionCheck, SessionSecrets, generate_secret
from .session import CloudFrontCookies, State
from .signing import COOKIE_KEY_PAIR_ID, COOKIE_POLICY, COOKIE_SIGNATURE
from .verify import Decision, verify_request

__all__ = [
    "COURSES",
    "DemoCourse",
    "DemoInfo",
    "DemoUser",
    "build_demo",
    "make_png",
    "make_ts_segment",
    "run_demo",
    "write_media_library",
]

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

    def user(self, name: str) -> DemoUser:
        return next(u for u in self.users if u.name == name)

    def media(self, course: str, name: str = "index.m3u8") -> str:
        """The edge URL of a file of a course."""
        return f"{self.media_url}{VIDEOS}/{course}/{name}"


# --- the media library ---------------------------------------------------------------------------

# A 5x7 bitmap font (rows separated by '/'), just the glyphs the posters need.
_GLYPHS: dict[str, str] = {
    "C": ".###./#...#/#..../#..../#..../#...#/.###.",
    "O": ".###./#...#/#...#/#...#/#...#/#...#/.###.",
    "U": "#...#/#...#/#...#/#...#/#...#/#...#/.###.",
    "R": "####./#...#/#...#/####./#.#../#..#./#...#",
    "S": ".####/#..../#..../.###./....#/....#/####.",
    "E": "#####/#..../#..../####./#..../#..../#####",
    " ": "...../...../...../...../...../...../.....",
    "0": ".###./#...#/#..##/#.#.#/##..#/#...#/.###.",
    "1": "..#../.##../..#../..#../..#../..#../.###.",
    "2": ".###./#...#/....#/...#./..#../.#.../#####",
    "3": "####./....#/....#/.###./....#/....#/####.",
    "4": "...#./..##./.#.#./#..#./#####/...#./...#.",
    "5": "#####/#..../####./....#/....#/#...#/.###.",
    "6": ".###./#..../#..../####./#...#/#...#/.###.",
    "7": "#####/....#/...#./..#../.#.../.#.../.#...",
    "8": ".###./#...#/#...#/.###./#...#/#...#/.###.",
    "9": ".###./#...#/#...#/.####/....#/....#/.###.",
}


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def make_png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int]]) -> bytes:
    """An 8-bit RGB PNG of ``width`` x ``height`` whose colour at (x, y) is ``pixel(x, y)``."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            rows.extend(pixel(x, y))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def poster_png(
    label: str, color: tuple[int, int, int], width: int = 320, height: int = 180
) -> bytes:
    """A poster: a gradient in ``color`` with ``label`` (upper case) in large white letters."""
    text = label.upper()
    scale = max(1, min(width // (6 * len(text) + 2), height // 12))
    text_w = (6 * len(text) - 1) * scale
    left = (width - text_w) // 2
    top = (height - 7 * scale) // 2
    r0, g0, b0 = color

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        tx, ty = x - left, y - top
        if 0 <= tx < text_w and 0 <= ty < 7 * scale:
            cell, col = divmod(tx // scale, 6)
            glyph = _GLYPHS.get(text[cell], _GLYPHS[" "]).split("/")
            if col < 5 and glyph[ty // scale][col] == "#":
                return (255, 255, 255)
        shade = 0.55 + 0.45 * (1 - y / height) * (0.6 + 0.4 * x / width)
        return (int(r0 * shade), int(g0 * shade), int(b0 * shade))

    return make_png(width, height, pixel)


# --- video: H.264 with uncompressed (I_PCM) macroblocks, in MPEG-TS -----------------------------
#
# No encoder is needed: every macroblock of every frame is sent as raw samples (I_PCM), which
# any H.264 decoder must accept. The frames are tiny, so the segments stay small.

VIDEO_WIDTH = 128
VIDEO_HEIGHT = 64
VIDEO_FPS = 4
_MB = 16


class _Bits:
    """An H.264 RBSP bit writer (big-endian, Exp-Golomb codes)."""

    def __init__(self) -> None:
        self.out = bytearray()
        self._acc = 0
        self._n = 0

    def u(self, nbits: int, value: int) -> None:
        for i in range(nbits - 1, -1, -1):
            self._acc = (self._acc << 1) | ((value >> i) & 1)
            self._n += 1
            if self._n == 8:
                self.out.append(self._acc)
                self._acc = self._n = 0

    def ue(self, value: int) -> None:
        code = value + 1
        self.u(code.bit_length() - 1, 0)
        self.u(code.bit_length(), code)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align(self) -> None:
        while self._n:
            self.u(1, 0)

    def raw(self, data: bytes) -> None:
        self.out += data  # only when aligned

    def rbsp(self) -> bytes:
        self.u(1, 1)  # rbsp_stop_one_bit
        self.align()
        return bytes(self.out)


def _nal(ref_idc: int, kind: int, rbsp: bytes) -> bytes:
    """An Annex B NAL unit, with emulation prevention bytes inserted."""
    out = bytearray()
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return b"\x00\x00\x00\x01" + bytes([(ref_idc << 5) | kind]) + bytes(out)


def _sps(width_mbs: int, height_mbs: int) -> bytes:
    bits = _Bits()
    bits.u(8, 66)  # profile_idc: Baseline
    bits.u(8, 0xC0)  # constraint_set0 and set1: Constrained Baseline
    bits.u(8, 30)  # level 3.0
    bits.ue(0)  # seq_parameter_set_id
    bits.ue(0)  # log2_max_frame_num_minus4
    bits.ue(2)  # pic_order_cnt_type: output order is decoding order
    bits.ue(0)  # max_num_ref_frames: every frame is an IDR
    bits.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    bits.ue(width_mbs - 1)
    bits.ue(height_mbs - 1)
    bits.u(1, 1)  # frame_mbs_only_flag
    bits.u(1, 1)  # direct_8x8_inference_flag
    bits.u(1, 0)  # frame_cropping_flag
    bits.u(1, 0)  # vui_parameters_present_flag
    return _nal(3, 7, bits.rbsp())


def _pps() -> bytes:
    bits = _Bits()
    bits.ue(0)  # pic_parameter_set_id
    bits.ue(0)  # seq_parameter_set_id
    bits.u(1, 0)  # entropy_coding_mode_flag: CAVLC
    bits.u(1, 0)  # bottom_field_pic_order_in_frame_present_flag
    bits.ue(0)  # num_slice_groups_minus1
    bits.ue(0)  # num_ref_idx_l0_default_active_minus1
    bits.ue(0)  # num_ref_idx_l1_default_active_minus1
    bits.u(1, 0)  # weighted_pred_flag
    bits.u(2, 0)  # weighted_bipred_idc
    bits.se(0)  # pic_init_qp_minus26
    bits.se(0)  # pic_init_qs_minus26
    bits.se(0)  # chroma_qp_index_offset
    bits.u(1, 1)  # deblocking_filter_control_present_flag
    bits.u(1, 0)  # constrained_intra_pred_flag
    bits.u(1, 0)  # redundant_pic_cnt_present_flag
    return _nal(3, 8, bits.rbsp())


def _idr_slice(idr_pic_id: int, macroblocks: Sequence[bytes]) -> bytes:
    bits = _Bits()
    bits.ue(0)  # first_mb_in_slice
    bits.ue(7)  # slice_type: I, and so are all others in the picture
    bits.ue(0)  # pic_parameter_set_id
    bits.u(4, 0)  # frame_num
    bits.ue(idr_pic_id)
    bits.u(1, 0)  # no_output_of_prior_pics_flag
    bits.u(1, 0)  # long_term_reference_flag
    bits.se(0)  # slice_qp_delta
    bits.ue(1)  # disable_deblocking_filter_idc: off
    for samples in macroblocks:
        bits.ue(25)  # mb_type: I_PCM
        bits.align()  # pcm_alignment_zero_bit
        bits.raw(samples)
    return _nal(3, 5, bits.rbsp())


_AUD = _nal(0, 9, b"\xf0")  # access unit delimiter, primary_pic_type 7 (any)


def _yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """BT.601 studio-range Y, Cb, Cr; never 0 (kept out of start-code-like runs)."""
    r, g, b = rgb
    y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16
    cb = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128
    cr = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128
    return max(1, y), max(1, cb), max(1, cr)


def _macroblock(pixel: Callable[[int, int], tuple[int, int, int]], mx: int, my: int) -> bytes:
    """The I_PCM samples of one 16x16 macroblock: 256 luma, then 64 Cb and 64 Cr (4:2:0)."""
    yuv = [[_yuv(pixel(mx * _MB + i, my * _MB + j)) for i in range(_MB)] for j in range(_MB)]
    out = bytearray(row[i][0] for row in yuv for i in range(_MB))
    for plane in (1, 2):
        for j in range(0, _MB, 2):
            for i in range(0, _MB, 2):
                total = (
                    yuv[j][i][plane]
                    + yuv[j][i + 1][plane]
                    + yuv[j + 1][i][plane]
                    + yuv[j + 1][i + 1][plane]
                )
                out.append((total + 2) // 4)
    return bytes(out)


def video_frames(
    label: str, color: tuple[int, int, int], *, count: int, total: int
) -> Iterator[list[bytes]]:
    """``count`` frames (their macroblocks) of a course's clip: its label and a progress bar.

    ``total`` is the number of frames of the whole clip, which the bar fills up to. Only the
    bottom row of macroblocks changes from frame to frame, so the others are computed once.
    """
    width_mbs, height_mbs = VIDEO_WIDTH // _MB, VIDEO_HEIGHT // _MB
    text = label.upper()
    scale = 2
    text_w = (6 * len(text) - 1) * scale
    left, top = (VIDEO_WIDTH - text_w) // 2, 14
    r0, g0, b0 = color

    def background(x: int, y: int) -> tuple[int, int, int]:
        tx, ty = x - left, y - top
        if 0 <= tx < text_w and 0 <= ty < 7 * scale:
            cell, col = divmod(tx // scale, 6)
            glyph = _GLYPHS.get(text[cell], _GLYPHS[" "]).split("/")
            if col < 5 and glyph[ty // scale][col] == "#":
                return (255, 255, 255)
        shade = 0.5 + 0.5 * (1 - y / VIDEO_HEIGHT)
        return (int(r0 * shade), int(g0 * shade), int(b0 * shade))

    still = [
        _macroblock(background, mx, my) for my in range(height_mbs - 1) for mx in range(width_mbs)
    ]
    for frame in range(count):
        filled = round(VIDEO_WIDTH * (frame + 1) / total)

        def pixel(x: int, y: int, filled: int = filled) -> tuple[int, int, int]:
            if VIDEO_HEIGHT - 11 <= y < VIDEO_HEIGHT - 5 and 4 <= x < VIDEO_WIDTH - 4:
                return (255, 255, 255) if x < filled else (40, 44, 52)
            return background(x, y)

        bottom = [_macroblock(pixel, mx, height_mbs - 1) for mx in range(width_mbs)]
        yield still + bottom


def _crc32_mpeg2(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
            crc &= 0xFFFFFFFF
    return crc


_TS_PACKET = 188
_PMT_PID = 0x1000
_VIDEO_PID = 0x0100


def _ts_packets(
    pid: int, payload: bytes, *, counter: int = 0, psi: bool = False, pcr: int | None = None
) -> tuple[bytes, int]:
    """``payload`` cut into 188-byte transport packets; returns them and the next counter.

    PSI sections are padded with 0xFF; a PES is stuffed through an adaptation field, which in
    its first packet also carries the ``pcr`` (90 kHz units) and the random access flag.
    """
    out = bytearray()
    if psi:
        payload = b"\x00" + payload  # pointer_field
    first = True
    while first or payload:
        adaptation: bytes | None = None
        if first and pcr is not None:
            base = pcr & ((1 << 33) - 1)
            adaptation = b"\x50" + struct.pack(">IH", base >> 1, ((base & 1) << 15) | 0x7E00)
        room = _TS_PACKET - 4 - (1 + len(adaptation) if adaptation is not None else 0)
        if len(payload) < room and not psi:
            stuffing = room - len(payload)
            if adaptation is not None:
                adaptation += b"\xff" * stuffing
            else:  # a length byte alone stuffs one byte; flags and 0xFF stuff the rest
                adaptation = b"" if stuffing == 1 else b"\x00" + b"\xff" * (stuffing - 2)
            room = len(payload)
        chunk, payload = payload[:room], payload[room:]
        if psi and len(chunk) < room:
            chunk += b"\xff" * (room - len(chunk))
        control = 0x30 if adaptation is not None else 0x10
        out += struct.pack(">BHB", 0x47, (0x4000 if first else 0) | pid, control | (counter & 0x0F))
        if adaptation is not None:
            out += bytes([len(adaptation)]) + adaptation
        out += chunk
        counter += 1
        first = False
    return bytes(out), counter


def _psi_section(table_id: int, id_field: int, body: bytes) -> bytes:
    length = 5 + len(body) + 4
    section = struct.pack(">BHHBBB", table_id, 0xB000 | length, id_field, 0xC1, 0, 0) + body
    return section + struct.pack(">I", _crc32_mpeg2(section))


def _timestamp(prefix: int, ticks: int) -> bytes:
    ticks &= (1 << 33) - 1
    return bytes(
        [
            prefix | ((ticks >> 29) & 0x0E) | 1,
            (ticks >> 22) & 0xFF,
            ((ticks >> 14) & 0xFE) | 1,
            (ticks >> 7) & 0xFF,
            ((ticks << 1) & 0xFE) | 1,
        ]
    )


def make_ts_segment(
    frames: Sequence[Sequence[bytes]], *, first_frame: int = 0, fps: int = VIDEO_FPS
) -> bytes:
    """An MPEG transport stream of H.264 frames (their I_PCM macroblocks, in raster order).

    ``first_frame`` is the index of the first frame in the whole clip: it sets the timestamps
    (starting at one second, as encoders do) so that the segments of a playlist follow on.
    """
    pat = _psi_section(0x00, 1, struct.pack(">HH", 1, 0xE000 | _PMT_PID))
    pmt = _psi_section(
        0x02,
        1,
        struct.pack(">HH", 0xE000 | _VIDEO_PID, 0xF000)
        + struct.pack(">BHH", 0x1B, 0xE000 | _VIDEO_PID, 0xF000),  # stream_type 0x1B: H.264
    )
    out = bytearray(_ts_packets(0, pat, psi=True)[0] + _ts_packets(_PMT_PID, pmt, psi=True)[0])
    headers = _sps(VIDEO_WIDTH // _MB, VIDEO_HEIGHT // _MB) + _pps()
    counter = 0
    for offset, macroblocks in enumerate(frames):
        index = first_frame + offset
        pts = 90_000 + index * 90_000 // fps
        access_unit = _AUD + headers + _idr_slice(index % 2, macroblocks)
        pes_header = b"\x80\x80\x05" + _timestamp(0x20, pts)  # PTS only
        pes = b"\x00\x00\x01\xe0\x00\x00" + pes_header + access_unit  # length 0: unbounded
        packets, counter = _ts_packets(_VIDEO_PID, pes, counter=counter, pcr=pts - 9_000)
        out += packets
    return bytes(out)


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
        names = [f"seg-{i:03d}.ts" for i in range(SEGMENTS)]
        for i, name in enumerate(names):
            chunk = frames[i * per_segment : (i + 1) * per_segment]
            (folder / name).write_bytes(make_ts_segment(chunk, first_frame=i * per_segment))
        (folder / "index.m3u8").write_text(_playlist(names, SEGMENT_SECONDS), encoding="utf-8")
        (folder / "poster.png").write_bytes(poster_png(f"course {number}", course.color))
    return root


# --- keys ----------------------------------------------------------------------------------------


def _demo_key_pair_id() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "KDEMO" + "".join(secrets.choice(alphabet) for _ in range(9))


def _write_keys(key_dir: Path) -> tuple[Path, Path]:
    key_dir.mkdir(parents=True, exist_ok=True)
    key = generate_private_key("rsa")
    private_path = key_dir / "private_key.pem"
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, private_key_pem(key))
    finally:
        os.close(fd)
    public_path = key_dir / "public_key.pem"
    public_path.write_text(public_key_pem(key), encoding="ascii")
    return private_path, public_path


# --- the app -------------------------------------------------------------------------------------


def _origin(url: str, what: str) -> tuple[str, str, str]:
    """``scheme://host[:port]`` normalised, its scheme and its host:port."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ConfigurationError(f"{what} must be scheme://host[:port], got {url!r}")
    netloc = parts.netloc.lower()
    return f"{parts.scheme}://{netloc}", parts.scheme, netloc


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _json_for_script(value: object) -> str:
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_STYLE = """
:root { color-scheme: light; --ink:#1d2430; --muted:#5b6675; --line:#d9dee6; --ok:#11783a;
        --bad:#b3261e; --accent:#2d5bd3; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0; background: #f4f6f9; }
header { background: #18202c; color: #fff; padding: 14px 28px; display: flex;
         align-items: center; justify-content: space-between; }
header h1 { font-size: 18px; margin: 0; font-weight: 600; }
header form { margin: 0; }
main { max-width: 1040px; margin: 0 auto; padding: 20px 28px 40px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px;
          margin: 0 0 18px; }
h2 { font-size: 16px; margin: 0 0 10px; }
p { margin: 6px 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; }
code { font: 12.5px/1.3 ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
.cards { display: flex; flex-wrap: wrap; gap: 16px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px; width: 340px; }
.card img { display: block; width: 320px; height: 180px; background: #e7eaf0; border-radius: 4px; }
.card video { display: block; width: 320px; height: 160px; background: #000; border-radius: 4px;
              image-rendering: pixelated; margin-top: 8px; }
.card h3 { font-size: 14px; margin: 8px 0 6px; }
.log { font: 12px/1.5 ui-monospace, SFMono-Regular, Menlo, monospace; margin: 6px 0 0;
       padding: 0; list-style: none; }
.status { font-weight: 700; }
.ok { color: var(--ok); }
.bad { color: var(--bad); }
.muted { color: var(--muted); }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--accent);
         background: var(--accent); color: #fff; cursor: pointer; }
button.plain { background: #fff; color: var(--accent); }
input { font: inherit; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px;
        width: 220px; }
label { display: block; margin: 8px 0; }
.note { font-size: 13px; color: var(--muted); }
pre.xml { white-space: pre-wrap; word-break: break-all; font-size: 12px; background: #fbf1f0;
          border: 1px solid #f0c9c5; padding: 6px; border-radius: 4px; margin: 6px 0 0; }
"""

# The page's behaviour: fetch each granted course's playlist and segments from the edge with
# credentials (the browser attaches the CloudFront cookies), and try refused courses on demand.
_SCRIPT = """
const config = JSON.parse(document.getElementById('demo-config').textContent);
function line(list, text, ok, status) {
  const li = document.createElement('li');
  const badge = document.createElement('span');
  badge.className = 'status ' + (ok ? 'ok' : 'bad');
  badge.textContent = String(status);
  li.append(badge, ' ', text);
  list.append(li);
  return li;
}
async function get(url) {
  const response = await fetch(url, {credentials: 'include', cache: 'no-store'});
  return {response, body: await response.text()};
}
async function loadCourse(card) {
  const list = card.querySelector('.log');
  const playlistUrl = card.dataset.playlist;
  let result;
  try { result = await get(playlistUrl); } catch (error) {
    line(list, 'playlist: ' + error, false, 'ERR');
    card.dataset.result = 'error';
    return;
  }
  const decision = result.response.headers.get('x-cfcookies-decision') || '';
  line(list, 'index.m3u8 (' + decision + ')', result.response.ok, result.response.status)
    .dataset.name = 'index.m3u8';
  if (!result.response.ok) { card.dataset.result = 'refused'; return; }
  const segments = result.body.split('\\n').map(s => s.trim()).filter(s => s && !s.startsWith('#'));
  let allOk = true;
  for (const name of segments) {
    const url = new URL(name, playlistUrl).href;
    const response = await fetch(url, {credentials: 'include', cache: 'no-store'});
    const size = (await response.arrayBuffer()).byteLength;
    allOk = allOk && response.ok;
    line(list, name + ' — ' + size + ' bytes, ' + (response.headers.get('content-type') || ''),
         response.ok, response.status).dataset.name = name;
  }
  card.dataset.result = allOk ? 'loaded' : 'partial';
}
async function tryCourse(card) {
  const out = card.querySelector('.attempt');
  out.textContent = 'asking the edge…';
  try {
    const {response, body} = await get(card.dataset.playlist);
    const decision = response.headers.get('x-cfcookies-decision') || '(none)';
    out.innerHTML = '';
    const head = document.createElement('p');
    const badge = document.createElement('span');
    badge.className = 'status ' + (response.ok ? 'ok' : 'bad');
    badge.textContent = String(response.status);
    head.append(badge, ' x-cfcookies-decision: ', decision);
    const xml = document.createElement('pre');
    xml.className = 'xml';
    xml.textContent = body.slice(0, 400);
    out.append(head, xml);
    card.dataset.result = response.ok ? 'allowed' : 'refused';
    card.dataset.status = String(response.status);
    card.dataset.decision = decision;
  } catch (error) {
    out.textContent = 'network error: ' + error;
    card.dataset.result = 'error';
  }
}
function watchVideo(card) {
  const video = card.querySelector('video');
  const label = card.querySelector('.video');
  const show = (state, text, ok) => {
    card.dataset.video = state;
    label.textContent = 'video: ' + text;
    label.className = 'video ' + (ok ? 'ok' : 'bad');
  };
  if (!video.canPlayType('application/vnd.apple.mpegurl')) {
    show('unsupported', 'this browser has no native HLS player; the segments still load below',
         false);
    return;
  }
  video.addEventListener('playing', () => show('playing', 'playing the HLS playlist, ' +
    video.videoWidth + 'x' + video.videoHeight + ', from the edge', true));
  video.addEventListener('error', () => show('error', 'the player could not load it (' +
    (video.error ? video.error.code : '?') + ')', false));
}
for (const card of document.querySelectorAll('.card.granted')) {
  watchVideo(card);
  const img = card.querySelector('img');
  const mark = (ok) => { card.querySelector('.poster').textContent = ok ? 'poster.png loaded'
                                                                       : 'poster.png refused';
                         card.querySelector('.poster').className = 'poster ' + (ok ? 'ok':'bad'); };
  if (img.complete && img.naturalWidth) mark(true);
  img.addEventListener('load', () => mark(true));
  img.addEventListener('error', () => mark(false));
  loadCourse(card);
}
for (const card of document.querySelectorAll('.card.probe')) {
  const button = card.querySelector('button');
  if (button) button.addEventListener('click', () => tryCourse(card));
  if (card.dataset.auto === '1') tryCourse(card);
}
if (config.keepalive) {
  // Renew the CloudFront cookies while the page stays open (the middleware answers 204/401).
  setInterval(() => fetch(config.keepalive, {method: 'POST', credentials: 'same-origin'}),
              config.keepaliveSeconds * 1000);
}
"""

# --- demo only: a copy of the cookies issued to each demo session, and replaying it ---------------

_MAX_COPIES = 512


def _parse_set_cookie(value: str) -> tuple[str, str, str, bool] | None:
    """Name, value, Path and whether it deletes the cookie, of a ``Set-Cookie`` value."""
    first, _, rest = value.partition(";")
    name, eq, cookie = first.partition("=")
    if not eq or not name.strip():
        return None
    path, deletes = "/", False
    for attribute in rest.split(";"):
        key, _, arg = attribute.strip().partition("=")
        if key.lower() == "path":
            path = arg.strip() or "/"
        elif key.lower() == "max-age" and arg.strip() == "0":
            deletes = True
    return name.strip(), cookie.strip(), path, deletes


class _CookieCopies:
    """The CloudFront cookies the middleware issued to each demo session, as a browser holds them.

    Demo only, in memory, bounded: it stands for someone who copied a browser's cookie jar. Its
    ``repr`` counts sessions and never shows a value.
    """

    def __init__(self, limit: int = _MAX_COPIES) -> None:
        self._limit = limit
        self._jars: OrderedDict[str, dict[tuple[str, str], str]] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"_CookieCopies({len(self._jars)} sessions)"

    def record(self, demo_id: str, set_cookie: Sequence[str]) -> None:
        with self._lock:
            jar = self._jars.setdefault(demo_id, {})
            self._jars.move_to_end(demo_id)
            for header in set_cookie:
                parsed = _parse_set_cookie(header)
                if parsed is None:
                    continue
                name, value, path, deletes = parsed
                if deletes:
                    jar.pop((name, path), None)
                else:
                    jar[(name, path)] = value
            while len(self._jars) > self._limit:
                self._jars.popitem(last=False)

    def get(self, demo_id: str) -> dict[tuple[str, str], str]:
        """The copied cookies by (name, Path)."""
        with self._lock:
            return dict(self._jars.get(demo_id, {}))

    def forget(self, demo_id: str) -> None:
        with self._lock:
            self._jars.pop(demo_id, None)


class _CaptureCookies:
    """ASGI wrapper around the cfcookies middleware that copies its CloudFront ``Set-Cookie``
    headers into :class:`_CookieCopies`, keyed by the demo session (``demo_id`` in the Starlette
    session, read after the view ran). It only reads the response; it changes nothing."""

    def __init__(self, app: ASGIApp, copies: _CookieCopies) -> None:
        self.app = app
        self.copies = copies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def capturing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                session = scope.get("session")
                demo_id = session.get("demo_id") if isinstance(session, dict) else None
                if isinstance(demo_id, str) and demo_id:
                    issued = [
                        value.decode("latin-1")
                        for name, value in message.get("headers", [])
                        if name.lower() == b"set-cookie" and value.startswith(b"CloudFront-")
                    ]
                    if issued:
                        self.copies.record(demo_id, issued)
            await send(message)

        await self.app(scope, receive, capturing_send)


async def _ask_edge(edge: ASGIApp, url: str, cookie_header: str) -> tuple[int, str, int]:
    """GET ``url`` from the edge app in this process with ``cookie_header``.

    Returns the status, the ``x-cfcookies-decision`` header and the body's length. Nothing
    leaves the process: the request goes to the same :class:`EdgeApp` the browser talks to.
    """
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": parts.scheme,
        "path": parts.path,
        "raw_path": parts.path.encode("ascii"),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", parts.netloc.encode("ascii")),
            (b"cookie", cookie_header.encode("latin-1")),
            (b"user-agent", b"cfcookies-demo-replay"),
        ],
        "server": (parts.hostname or "localhost", port),
        "client": ("127.0.0.1", 0),
    }
    sent: list[Message] = []
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await edge(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    decision = next(
        (v.decode("latin-1") for k, v in start.get("headers", []) if k == b"x-cfcookies-decision"),
        "",
    )
    size = sum(len(m.get("body", b"")) for m in sent if m["type"] == "http.response.body")
    return int(start["status"]), decision, size


@dataclass(frozen=True)
class _Replayed:
    """One path of a replayed copy: what CloudFront's check and the edge said (no values)."""

    path: str
    url: str
    names: tuple[str, ...]
    policy_reason: str  # verify_request on the copied cookies: "allowed" or why not
    policy_expires: int | None
    status: int
    decision: str
    size: int

    @property
    def policy_allowed(self) -> bool:
        return self.policy_reason == "allowed"


# --- CSRF: the forms only work from the app's own pages -------------------------------------------

#: The hidden form field that carries the CSRF token.
CSRF_FIELD = "csrf_token"
#: A CSRF cookie value as the demo issues it (``secrets.token_urlsafe(32)``).
_CSRF_NONCE = re.compile(r"[A-Za-z0-9_-]{43}")
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class _Csrf:
    """A browser's CSRF pair: ``nonce`` (its cookie) and ``token`` (an HMAC of it, in the forms).

    ``new`` when the browser sent no valid cookie: the page then sets it. The token proves the
    form came from a page of this app: another site can neither read it nor compute it, even
    if it managed to plant a cookie of its own.
    """

    nonce: str = field(repr=False)
    token: str = field(repr=False)
    new: bool

    def form_field(self) -> str:
        """The hidden form field."""
        return f'<input type="hidden" name="{CSRF_FIELD}" value="{html.escape(self.token)}">'


def _forbidden(message: str) -> Response:
    return PlainTextResponse(
        f"403 Forbidden: {message}\n", status_code=403, headers={"Cache-Control": "no-store"}
    )


def _serialized_origin(url: str) -> str:
    """The origin as a browser writes it in ``Origin``: lower case, no default port."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + ("" if port in (None, default) else f":{port}")


class _SameOriginOnly:
    """ASGI wrapper: a request other than ``GET``/``HEAD``/``OPTIONS`` whose ``Origin`` header is
    present and is not ``origin`` (``null`` included) gets ``403`` before the app sees it."""

    def __init__(self, app: ASGIApp, origin: str) -> None:
        self.app = app
        self.origin = origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method", "GET") not in _SAFE_METHODS:
            sent = [
                value.decode("latin-1").strip().lower()
                for name, value in scope.get("headers", [])
                if name.lower() == b"origin"
            ]
            if any(origin != self.origin for origin in sent):
                response = _forbidden(
                    "cross-origin request refused: its Origin is not this app's. Use the "
                    "demo's own page."
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _Demo:
    """The demo app's views; :func:`build_demo` wires them into Starlette and the middleware."""

    def __init__(
        self,
        cookies: CloudFrontCookies,
        info: DemoInfo,
        *,
        app_netloc: str,
        relaxed: bool,
        public_keys: Mapping[str, PublicKey],
        clock: Clock,
    ) -> None:
        self.cookies = cookies
        self.info = info
        self.app_netloc = app_netloc
        self.relaxed = relaxed
        self.public_keys = public_keys
        self.clock = clock
        self.users = {u.name: u for u in info.users}
        self.by_slug = {c.slug: c for c in info.courses}
        self.copies = _CookieCopies()
        self.edge: ASGIApp | None = None  # set by build_demo once the edge is built
        self._csrf_secret = secrets.token_bytes(32)
        # A __Host- cookie cannot be planted by a sibling host; it needs Secure, hence HTTPS.
        self._csrf_secure = info.secure and info.app_url.startswith("https://")
        self.csrf_cookie = "__Host-demo_csrf" if self._csrf_secure else "demo_csrf"

    # -- helpers -------------------------------------------------------------------------------

    def grants(self, request: Request) -> list[str] | None:
        user = self.users.get(str(request.session.get("user", "")))
        if user is None:
            return None
        return [self.by_slug[slug].prefix for slug in user.courses]

    def _csrf_token(self, nonce: str) -> str:
        mac = hmac.new(self._csrf_secret, b"cfcookies-demo-csrf:" + nonce.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")

    def _csrf(self, request: Request) -> _Csrf:
        """This browser's CSRF pair, new (to be set by the page) when it sent no valid cookie."""
        nonce = request.cookies.get(self.csrf_cookie, "")
        if _CSRF_NONCE.fullmatch(nonce):
            return _Csrf(nonce, self._csrf_token(nonce), new=False)
        nonce = secrets.token_urlsafe(32)
        return _Csrf(nonce, self._csrf_token(nonce), new=True)

    def _csrf_refusal(self, request: Request, form: Mapping[str, list[str]]) -> Response | None:
        """``403`` unless the form's token is the HMAC of this browser's CSRF cookie."""
        nonce = request.cookies.get(self.csrf_cookie, "")
        sent = (form.get(CSRF_FIELD) or [""])[0].encode("utf-8")
        if _CSRF_NONCE.fullmatch(nonce) and hmac.compare_digest(
            sent, self._csrf_token(nonce).encode("ascii")
        ):
            return None
        return _forbidden(
            "this form was not sent from the demo's own page (missing or wrong CSRF token). "
            "Reload the page and try again."
        )

    @staticmethod
    async def _form(request: Request) -> dict[str, list[str]]:
        return parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=10)

    def _page(
        self,
        title: str,
        body: str,
        *,
        user: DemoUser | None,
        csrf: _Csrf,
        status: int = 200,
    ) -> Response:
        logout = (
            '<form method="post" action="/logout"><span class="muted" style="color:#c9d3e3">'
            f'signed in as <b id="user">{html.escape(user.name)}</b></span> '
            f"{csrf.form_field()}"
            '<button class="plain" type="submit" id="logout">Log out</button></form>'
            if user
            else ""
        )
        config = {
            "media": self.info.media_url,
            "keepalive": self.cookies.keepalive_path if user else None,
            "keepaliveSeconds": max(30, self.cookies.renew_before // 2),
        }
        document = (
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
            f"<header><h1>cfcookies demo — {html.escape(title)}</h1>{logout}</header>"
            f"<main>{body}{self._footer()}</main>"
            f'<script type="application/json" id="demo-config">{_json_for_script(config)}</script>'
            f"<script>{_SCRIPT}</script></body></html>"
        )
        response = HTMLResponse(document, status_code=status, headers={"Cache-Control": "no-store"})
        if csrf.new:
            response.set_cookie(
                self.csrf_cookie,
                csrf.nonce,
                path="/",
                secure=self._csrf_secure,
                httponly=True,
                samesite="strict",
            )
        return response

    def _footer(self) -> str:
        if self.relaxed:
            text = (
                "Local-only relaxation: this demo serves plain HTTP, so its cookies are not "
                "<code>Secure</code>, and it sets no <code>Domain</code> because browsers ignore "
                "ports: <code>localhost:app</code> and <code>localhost:edge</code> share "
                "host-only cookies. In production both hosts use HTTPS, cookies are "
                "<code>Secure</code>, and <code>cookie_domain</code> (e.g. "
                "<code>example.com</code>) covers <code>app.example.com</code> and "
                "<code>media.example.com</code>."
            )
        else:
            domain = self.info.cookie_domain or "host-only"
            text = (
                f"HTTPS, <code>Secure</code> cookies, <code>Domain={html.escape(domain)}</code>: "
                "the production set-up."
            )
        return f'<p class="note">{text}</p>'

    def _probe_card(self, course: DemoCourse, *, auto: bool, label: str) -> str:
        url = self.info.media(course.slug)
        return (
            f'<div class="card probe" id="probe-{course.slug}" data-course="{course.slug}" '
            f'data-playlist="{html.escape(url)}" data-auto="{1 if auto else 0}">'
            f"<h3>{html.escape(course.title)} <span class=muted>({course.slug})</span></h3>"
            f"<p><code>GET {html.escape(url)}</code></p>"
            f'<button type="button" id="try-{course.slug}">{html.escape(label)}</button>'
            '<div class="attempt"></div></div>'
        )

    # -- views ---------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        if request.headers.get("host", "").lower() != self.app_netloc:
            return RedirectResponse(self.info.app_url + request.url.path, status_code=307)
        user = self.users.get(str(request.session.get("user", "")))
        csrf = self._csrf(request)
        if user is None:
            return self._login_page(csrf, error=None, copy_of=self._copy_id(request))
        return self._dashboard(request, user, csrf)

    @staticmethod
    def _copy_id(request: Request) -> str | None:
        """The demo session whose cookies this browser kept a copy of at logout."""
        value = request.session.get("copy_of")
        return value if isinstance(value, str) and value else None

    def _login_page(
        self, csrf: _Csrf, *, error: str | None, status: int = 200, copy_of: str | None = None
    ) -> Response:
        rows = "".join(
            f"<tr><td><code>{html.escape(u.name)}</code></td>"
            f"<td>{', '.join(html.escape(c) for c in u.courses)}</td></tr>"
            for u in self.info.users
        )
        message = f'<p class="bad" id="error">{html.escape(error)}</p>' if error else ""
        probe = self._probe_card(self.info.courses[0], auto=True, label="Ask again")
        body = (
            "<section><h2>Sign in</h2>"
            f"{message}"
            '<form method="post" action="/login" id="login">'
            f"{csrf.form_field()}"
            '<label>User <input name="username" autocomplete="username" required></label>'
            '<label>Password <input name="password" type="password" '
            'autocomplete="current-password" required></label>'
            '<button type="submit">Sign in</button></form>'
            '<p class="note">The demo passwords are printed in the terminal that runs '
            "<code>cfcookies demo</code>.</p>"
            f"<table><tr><th>user</th><th>may read</th></tr>{rows}</table></section>"
            "<section><h2>Without cookies, the edge refuses</h2>"
            f'<div class="cards">{probe}</div></section>'
        )
        if copy_of is not None:
            body = self._copied_section(self.copies.get(copy_of), csrf) + body
        return self._page("sign in", body, user=None, csrf=csrf, status=status)

    def _copied_for(
        self, jar: Mapping[tuple[str, str], str], path: str
    ) -> tuple[str, str, tuple[str, ...], Decision]:
        """The URL replayed for a copied cookie path, the Cookie header, its names, and
        CloudFront's own verdict on those cookies (:func:`verify_request`)."""
        url = f"{self.info.media_url}{path}index.m3u8"
        sent = {n: v for (n, p), v in jar.items() if path.startswith(p)}
        header = "; ".join(f"{n}={v}" for n, v in sorted(sent.items()))
        decision = verify_request(
            url, cookies=header, public_keys=self.public_keys, clock=self.clock
        )
        return url, header, tuple(sorted(sent)), decision

    def _copied_section(self, jar: Mapping[tuple[str, str], str], csrf: _Csrf) -> str:
        if not jar:
            return (
                '<section id="copied"><h2>Your copied cookies</h2><p class="muted">The demo '
                "holds no copy of your cookies (it keeps them in memory only).</p></section>"
            )
        rows = []
        for path in sorted({p for _, p in jar}):
            _, _, names, decision = self._copied_for(jar, path)
            expiry = (
                f"{_iso(decision.policy.date_less_than)}"
                if decision.policy is not None
                else "(no policy)"
            )
            for name in names:
                rows.append(
                    f"<tr><td><code>{html.escape(name)}</code></td>"
                    f"<td><code>Path={html.escape(path)}</code></td><td>{expiry}</td></tr>"
                )
        return (
            '<section id="copied"><h2>You logged out, keeping a copy of your cookies</h2>'
            "<p>Your browser deleted its CloudFront cookies, but the demo server kept a copy "
            "of them (names, paths and policy expiry below; the values are never shown), as "
            "someone who copied them before you logged out would have.</p>"
            "<table><tr><th>cookie</th><th>path</th><th>policy expires</th></tr>"
            f"{''.join(rows)}</table>"
            f'<p><form method="post" action="/replay">{csrf.form_field()}'
            '<button type="submit" id="replay">Replay the copied cookies</button></form></p>'
            "</section>"
        )

    async def _replay(self, jar: Mapping[tuple[str, str], str]) -> list[_Replayed]:
        """Ask the edge for each copied path's playlist with the copied cookies."""
        if self.edge is None:  # pragma: no cover - build_demo always sets it
            raise RuntimeError("the demo's edge is not set")
        out = []
        for path in sorted({p for _, p in jar}):
            url, header, names, policy = self._copied_for(jar, path)
            status, decision, size = await _ask_edge(self.edge, url, header)
            out.append(
                _Replayed(
                    path=path,
                    url=url,
                    names=names,
                    policy_reason=policy.reason,
                    policy_expires=policy.policy.date_less_than if policy.policy else None,
                    status=status,
                    decision=decision,
                    size=size,
                )
            )
        return out

    def _replay_summary(self, results: Sequence[_Replayed], *, signed_in: bool) -> str:
        valid = [r for r in results if r.policy_allowed]
        refused = [r for r in valid if r.status == 403]
        served = [r for r in valid if r.status == 200]
        until = (
            f" (until <b>{_iso(min(r.policy_expires or 0 for r in valid))}</b>)" if valid else ""
        )
        if signed_in:
            return (
                "<p>You are still signed in, so the copy is as good as your browser's own "
                "cookies. Log out keeping the copy, then replay it again.</p>"
            )
        if refused and all(r.decision == "session_revoked" for r in refused) and not served:
            return (
                '<p class="bad"><b>Refused.</b> The copied CloudFront cookies are still valid'
                f"{until}: CloudFront's own check (<code>verify_request</code>) allows them. But "
                "logout wrote their session into the deny-list, and the edge answers "
                "<b>403 <code>session_revoked</code></b>. With revocation off "
                "(<code>cfcookies demo --no-revocation</code>) the edge would have served them "
                "(200) until the policy expires.</p>"
            )
        if served and not refused:
            extra = (
                "Revocation closes this gap: it is on by default (run the demo without "
                "<code>--no-revocation</code>), and the edge then answers 403 "
                "<code>session_revoked</code> after logout."
                if not self.info.revocation
                else ""
            )
            return (
                '<p class="bad"><b>Served.</b> CloudFront cannot revoke a signed cookie: the '
                f"copied cookies are still valid{until} and the edge answers <b>200</b> although "
                f"you logged out. {extra}</p>"
            )
        return "<p>The edge's answers are below.</p>"

    async def replay(self, request: Request) -> Response:
        """Replay the copy of this browser's cookies against the edge (demo only)."""
        refused = self._csrf_refusal(request, await self._form(request))
        if refused is not None:
            return refused
        user = self.users.get(str(request.session.get("user", "")))
        source = request.session.get("demo_id") if user is not None else self._copy_id(request)
        jar = self.copies.get(source) if isinstance(source, str) and source else {}
        results = await self._replay(jar) if jar else []
        rows = "".join(
            f'<tr class="replayed" data-path="{html.escape(r.path)}" data-status="{r.status}" '
            f'data-decision="{html.escape(r.decision)}" '
            f'data-policy="{html.escape(r.policy_reason)}">'
            f"<td><code>GET {html.escape(r.url)}</code></td>"
            f"<td>{', '.join(f'<code>{html.escape(n)}</code>' for n in r.names)}</td>"
            f'<td class="{"ok" if r.policy_allowed else "bad"}">{html.escape(r.policy_reason)}'
            + (f" until {_iso(r.policy_expires)}" if r.policy_expires else "")
            + "</td>"
            f'<td><span class="status {"ok" if r.status == 200 else "bad"}">{r.status}</span> '
            f"<code>{html.escape(r.decision)}</code>"
            + (f" — {r.size} bytes" if r.status == 200 else "")
            + "</td></tr>"
            for r in results
        )
        state = "on" if self.info.revocation else "off"
        if results:
            summary = self._replay_summary(results, signed_in=user is not None)
            table = (
                '<table id="replayed"><tr><th>request (sent from the demo server to the '
                "edge)</th><th>copied cookies sent</th><th>CloudFront's check of the "
                "cookies</th><th>edge answer</th></tr>"
                f"{rows}</table>"
            )
        else:
            summary = '<p class="muted">There is no copy to replay: sign in first.</p>'
            table = ""
        body = (
            f'<section id="replay-result" data-revocation="{state}" '
            f'data-signed-in="{1 if user else 0}" data-count="{len(results)}">'
            "<h2>Replaying the copied cookies</h2>"
            f"{summary}{table}"
            '<p class="note">The demo server sent these requests itself, in process, to the same '
            "edge app your browser talks to, with the copied cookies (names shown, values "
            "never). Edge revocation "
            f"is <b>{state}</b>.</p>"
            '<p><a href="/" id="back">Back</a></p></section>'
        )
        return self._page("replay", body, user=user, csrf=self._csrf(request))

    def _cookie_rows(self, state: State | None) -> str:
        if state is None:
            return (
                '<tr><td colspan=5 class="muted">No CloudFront cookies recorded yet: they are '
                "set on the response that logs you in.</td></tr>"
            )
        attributes = self.cookies.cloudfront_attributes
        flags = ", ".join(
            flag
            for flag, on in (
                ("Secure", attributes.secure),
                ("HttpOnly", attributes.httponly),
                (f"SameSite={attributes.samesite}", attributes.samesite is not None),
            )
            if on
        )
        domain = f"Domain={state.domain}" if state.domain else "host-only (no Domain)"
        rows = []
        names = [COOKIE_POLICY, COOKIE_SIGNATURE, COOKIE_KEY_PAIR_ID]
        if state.session_id:
            names.append(self.cookies.session_cookie_name)
        for prefix in state.prefixes:
            for name in names:
                rows.append(
                    f'<tr data-path="{html.escape(prefix)}"><td><code>{name}</code></td>'
                    f"<td><code>Path={html.escape(prefix)}</code></td>"
                    f"<td>{html.escape(domain)}</td><td>{html.escape(flags)}</td>"
                    f"<td>{_iso(state.expires)}</td></tr>"
                )
        return "".join(rows)

    def _dashboard(self, request: Request, user: DemoUser, csrf: _Csrf) -> Response:
        state, _ = self.cookies.read_state(request.headers.get("cookie"))
        granted = [self.by_slug[s] for s in user.courses]
        refused = [c for c in self.info.courses if c.slug not in user.courses]
        cards = "".join(
            f'<div class="card granted" id="course-{c.slug}" data-course="{c.slug}" '
            f'data-playlist="{html.escape(self.info.media(c.slug))}">'
            f'<img alt="{html.escape(c.title)} poster" '
            f'src="{html.escape(self.info.media(c.slug, "poster.png"))}">'
            f"<h3>{html.escape(c.title)} <span class=muted>({c.slug})</span></h3>"
            '<p class="poster muted">poster.png loading…</p>'
            f'<video src="{html.escape(self.info.media(c.slug))}" muted autoplay loop playsinline '
            'controls preload="auto"></video>'
            '<p class="video muted">video: waiting…</p>'
            '<ul class="log"></ul></div>'
            for c in granted
        )
        probes = "".join(self._probe_card(c, auto=False, label=f"Try {c.slug}") for c in refused)
        expires = (
            f"The policies end at <b>{_iso(state.expires)}</b>; the middleware renews them "
            f"{self.cookies.renew_before // 60} minutes before, on any request (and the page "
            f"pings <code>{html.escape(self.cookies.keepalive_path or '')}</code>)."
            if state is not None and self.cookies.keepalive_path
            else ""
        )
        body = (
            "<section><h2>Cookies issued by the middleware</h2>"
            f"<p>Read from the middleware's signed state cookie "
            f"<code>{html.escape(self.cookies.state_cookie_name)}</code>, not from the cookie "
            "values (they are HttpOnly, and this page never shows them). Key pair ID "
            f"<code>{html.escape(self.info.key_pair_id)}</code>.</p>"
            '<table id="issued"><tr><th>cookie</th><th>path</th><th>domain</th>'
            f"<th>attributes</th><th>policy expires</th></tr>{self._cookie_rows(state)}</table>"
            f"<p class=note>{expires}</p></section>"
            f"<section><h2>Your courses, from the edge at "
            f"<code>{html.escape(self.info.media_url)}</code></h2>"
            f'<div class="cards">{cards}</div></section>'
        )
        if probes:
            body += (
                "<section><h2>Courses you were not granted</h2>"
                "<p>Your browser sends the same cookies, but their policies do not cover these "
                "paths (and their cookie paths keep them from being sent at all).</p>"
                f'<div class="cards">{probes}</div></section>'
            )
        body += self._revocation_section(csrf)
        return self._page(f"{user.name}'s courses", body, user=user, csrf=csrf)

    def _revocation_section(self, csrf: _Csrf) -> str:
        if self.info.revocation:
            state = (
                '<p id="revocation-state" data-revocation="on"><b class="ok">Edge revocation is '
                "on.</b> Beside the CloudFront cookies, the middleware sets a signed "
                f"<code>{html.escape(self.cookies.session_cookie_name)}</code> cookie on each "
                "path; logout writes that session into a deny-list (here in memory, shared "
                "with the edge; in production a CloudFront KeyValueStore read by a CloudFront "
                "Function), and the edge refuses the session from then on, even while its "
                "CloudFront cookies are still valid.</p>"
            )
        else:
            state = (
                '<p id="revocation-state" data-revocation="off"><b class="bad">Edge revocation '
                "is off</b> (<code>--no-revocation</code>). CloudFront cannot revoke a signed "
                "cookie: a copy of these cookies keeps opening the media until its policy "
                "expires, logout or not.</p>"
            )
        return (
            '<section id="revocation"><h2>Logging out, and a copy of the cookies</h2>'
            f"{state}"
            "<p>Try it: the demo server keeps a copy of the CloudFront cookies it issued to you "
            "(demo only, in memory, never shown), as someone who copied your browser's cookies "
            "would. Log out keeping that copy, then replay it against the edge.</p>"
            '<p><form method="post" action="/logout" style="display:inline">'
            f'<input type="hidden" name="keep" value="1">{csrf.form_field()}'
            '<button type="submit" id="logout-keep">Log out, keeping a copy of my cookies'
            "</button></form> "
            f'<form method="post" action="/replay" style="display:inline">{csrf.form_field()}'
            '<button class="plain" type="submit" id="replay-now">Replay the copy now '
            "(while signed in)</button></form></p></section>"
        )

    async def login(self, request: Request) -> Response:
        form = await self._form(request)
        refused = self._csrf_refusal(request, form)
        if refused is not None:
            return refused
        name = (form.get("username") or [""])[0].strip().lower()
        password = (form.get("password") or [""])[0]
        user = self.users.get(name)
        if user is None or not secrets.compare_digest(
            password.encode("utf-8"), user.password.encode("utf-8")
        ):
            self._forget(request)
            request.session.clear()
            return self._login_page(
                self._csrf(request), error="Unknown user or wrong password.", status=401
            )
        self._forget(request)
        request.session.clear()
        request.session["user"] = user.name
        request.session["demo_id"] = secrets.token_urlsafe(12)
        return RedirectResponse("/", status_code=303)

    def _forget(self, request: Request) -> None:
        for key in ("demo_id", "copy_of"):
            value = request.session.get(key)
            if isinstance(value, str):
                self.copies.forget(value)

    async def logout(self, request: Request) -> Response:
        form = await self._form(request)
        refused = self._csrf_refusal(request, form)
        if refused is not None:
            return refused
        keep = (form.get("keep") or [""])[0] == "1"
        demo_id = request.session.get("demo_id")
        if keep and isinstance(demo_id, str):
            old = self._copy_id(request)
            if old is not None:
                self.copies.forget(old)
            request.session.clear()  # the middleware deletes the cookies, and denies the session
            request.session["copy_of"] = demo_id  # the demo's copy stays, in memory
        else:
            self._forget(request)
            request.session.clear()
        return RedirectResponse("/", status_code=303)


def build_demo(
    workdir: str | os.PathLike[str],
    *,
    app_origin: str,
    media_origin: str,
    secure: bool = True,
    cookie_domain: str | None = None,
    insecure_allow_http: bool = False,
    users: Mapping[str, tuple[str, ...]] | None = None,
    passwords: Mapping[str, str] | None = None,
    media_dir: str | os.PathLike[str] | None = None,
    lifetime: int = 30 * 60,
    renew_before: int = 10 * 60,
    revocation: bool = True,
    clock: Clock = system_clock,
) -> tuple[ASGIApp, EdgeApp, DemoInfo]:
    """The demo's app and edge, ready to be served at ``app_origin`` and ``media_origin``.

    A new key pair is written to ``workdir/keys`` (the private key with mode 0600) and loaded
    from there; the media library goes to ``media_dir`` or ``workdir/media``. Passwords are
    random unless given. ``secure=False`` (plain HTTP) also needs ``insecure_allow_http=True``.

    With ``revocation`` (the default) the app's middleware and the edge share one
    :class:`~cfcookies.revocation.SessionSecrets` and one in-memory
    :class:`~cfcookies.revocation.LocalDenyList`, on ``clock`` like everything else: a session
    logged out is refused by the edge (``403 session_revoked``) even with valid CloudFront
    cookies. ``revocation=False`` shows CloudFront's own behaviour: such a copy keeps working.
    """
    root = Path(workdir)
    app_url, app_scheme, app_netloc = _origin(app_origin, "app_origin")
    media_url, _, _ = _origin(media_origin, "media_origin")
    if app_scheme == "http" and not insecure_allow_http:
        raise ConfigurationError(
            "an http:// app_origin needs insecure_allow_http=True (local development only)"
        )
    chosen = dict(users if users is not None else DEFAULT_USERS)
    slugs = {c.slug for c in COURSES}
    for name, courses in chosen.items():
        unknown = sorted(set(courses) - slugs)
        if unknown:
            raise ConfigurationError(f"user {name!r} is given unknown courses {unknown}")
    demo_users = tuple(
        DemoUser(
            name,
            (passwords or {}).get(name) or secrets.token_urlsafe(9),
            tuple(courses),
        )
        for name, courses in chosen.items()
    )

    key_dir = root / "keys"
    private_path, public_path = _write_keys(key_dir)
    key_pair_id = _demo_key_pair_id()
    keys = KeyRing.from_key(key_pair_id, load_private_key(private_path))
    media_root = Path(media_dir) if media_dir is not None else root / "media"
    write_media_library(media_root)

    info = DemoInfo(
        app_url=app_url,
        media_url=media_url,
        key_pair_id=key_pair_id,
        users=demo_users,
        courses=COURSES,
        media_root=media_root,
        key_dir=key_dir,
        cookie_domain=cookie_domain,
        secure=secure,
        revocation=revocation,
    )
    session_secrets = SessionSecrets(generate_secret()) if revocation else None
    deny_list = LocalDenyList(clock=clock) if revocation else None
    public_keys = {key_pair_id: load_public_key(public_path)}
    demo_ref: list[_Demo] = []

    def grants(request: Request) -> list[str] | None:
        return demo_ref[0].grants(request)

    cookies = CloudFrontCookies(
        media_url=media_url,
        keys=keys,
        state_secret=secrets.token_bytes(32),
        cookie_domain=cookie_domain,
        grants=grants,
        lifetime=lifetime,
        renew_before=renew_before,
        granularity=60,
        secure=secure,
        samesite="Lax",
        insecure_allow_http=insecure_allow_http,
        clock=clock,
        session_secrets=session_secrets,
        deny_list=deny_list,
    )
    demo = _Demo(
        cookies,
        info,
        app_netloc=app_netloc,
        relaxed=not secure,
        public_keys=public_keys,
        clock=clock,
    )
    demo_ref.append(demo)
    starlette = Starlette(
        routes=[
            Route("/", demo.home, methods=["GET"]),
            Route("/login", demo.login, methods=["POST"]),
            Route("/logout", demo.logout, methods=["POST"]),
            Route("/replay", demo.replay, methods=["POST"]),
        ]
    )
    # The session middleware wraps the cfcookies middleware, so that the grants callable can
    # read the session on every request the cfcookies middleware answers, its keep-alive
    # endpoint included; between the two, the demo copies the cookies issued to each demo
    # session. Outermost, a POST from another origin is refused before anything runs (the
    # keep-alive included); the demo's forms also check their CSRF token.
    app: ASGIApp = _SameOriginOnly(
        SessionMiddleware(
            _CaptureCookies(CloudFrontCookieMiddleware(starlette, cookies=cookies), demo.copies),
            secret_key=secrets.token_urlsafe(32),
            session_cookie="demo_session",
            max_age=None,
            same_site="lax",
            https_only=secure,
        ),
        _serialized_origin(app_url),
    )
    edge = EdgeApp(
        media_root,
        public_keys=public_keys,
        public_url=media_url,
        cors_origins=[app_url],
        clock=clock,
        deny_list=(
            SessionCheck(session_secrets, deny_list=deny_list, clock=clock)
            if session_secrets is not None
            else None
        ),
    )
    demo.edge = edge
    return app, edge, info


# --- running it ----------------------------------------------------------------------------------


class _EdgeLog:
    """Print one line per edge request: method, path, status and the edge's decision."""

    def __init__(self, app: ASGIApp, out: TextIO) -> None:
        self.app = app
        self.out = out

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def logging_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                decision = ""
                for name, value in message.get("headers", []):
                    if name == b"x-cfcookies-decision":
                        decision = value.decode("latin-1")
                self.out.write(
                    f"  edge  {scope.get('method', 'GET'):4} {scope.get('path', '/')} -> "
                    f"{message['status']} {decision}\n"
                )
                self.out.flush()
            await send(message)

        await self.app(scope, receive, logging_send)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _public_host(host: str) -> str:
    if host in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::"):
        return "localhost"
    return f"[{host}]" if ":" in host else host


def _banner(info: DemoInfo, key_dir: Path, *, hints: bool) -> str:
    users = "\n".join(
        f"    {u.name:<6} password {u.password:<14} may read {', '.join(u.courses)}"
        for u in info.users
    )
    lines = [
        "cfcookies demo",
        f"  App:   {info.app_url}/",
        f"  Edge:  {info.media_url}/   (the local CloudFront stand-in)",
        f"  Keys:  {key_dir}  (throwaway, deleted at exit; key pair ID {info.key_pair_id})",
        f"  Media: {info.media_root}",
        "  Revocation: "
        + (
            "on (logout denies the session at the edge; in-memory deny-list)"
            if info.revocation
            else "off (--no-revocation: CloudFront's own behaviour)"
        ),
        "  Users:",
        users,
    ]
    if hints:
        lines += [
            "",
            f"Open {info.app_url}/ in a browser and sign in. The page shows the CloudFront cookies",
            "the middleware issued (name, Path, expiry), loads your courses from the edge, and",
            "lets you try a course you were not granted (403 from the edge, with its reason).",
            "",
            "Then click 'Log out, keeping a copy of my cookies' and 'Replay the copied cookies':",
            "the demo server asks the edge with the cookies you held before logout.",
            *(
                (
                    "Their CloudFront policy is still valid, but the edge answers 403",
                    "session_revoked: logout put the session on the deny-list (run with",
                    "--no-revocation and the copy would still get 200).",
                )
                if info.revocation
                else (
                    "Their CloudFront policy is still valid and the edge answers 200: CloudFront",
                    "cannot revoke a signed cookie. Without --no-revocation, logout denies the",
                    "session and the edge answers 403 session_revoked.",
                )
            ),
            "",
            "Local-only relaxation: plain HTTP, so the cookies are not Secure, and no Domain,",
            "because browsers ignore ports and localhost:app and localhost:edge share host-only",
            "cookies. In production both hosts use HTTPS, cookies are Secure, and cookie_domain",
            "(like example.com) covers app.example.com and media.example.com.",
        ]
    lines += ["", "Ready. Press Ctrl-C to stop.", ""]
    return "\n".join(lines)


async def _serve_both(
    app: ASGIApp,
    edge: ASGIApp,
    app_sock: socket.socket,
    edge_sock: socket.socket,
    *,
    on_ready: Callable[[], None],
    log_level: str = "warning",
) -> int:
    import uvicorn

    class _Server(uvicorn.Server):
        """A uvicorn server that leaves signals to :func:`_serve_both`."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

        def install_signal_handlers(self) -> None:  # uvicorn before 0.29
            return None

    servers = [
        _Server(
            uvicorn.Config(
                target,
                log_level=log_level,
                lifespan="on",
                server_header=False,
                proxy_headers=False,
                timeout_graceful_shutdown=3,
            )
        )
        for target in (app, edge)
    ]
    loop = asyncio.get_running_loop()
    stopping: list[int] = []

    def stop(signum: int) -> None:
        stopping.append(signum)
        for server in servers:  # graceful, and bounded by timeout_graceful_shutdown
            server.should_exit = True

    handled = (signal.SIGINT, signal.SIGTERM)
    previous: dict[int, Any] = {}
    for signum in handled:
        try:
            loop.add_signal_handler(signum, stop, signum)
        except NotImplementedError:  # Windows: no add_signal_handler
            previous[signum] = signal.signal(
                signum, lambda s, _frame: loop.call_soon_threadsafe(stop, s)
            )
    try:
        tasks = [
            asyncio.ensure_future(servers[0].serve(sockets=[app_sock])),
            asyncio.ensure_future(servers[1].serve(sockets=[edge_sock])),
        ]
        while not all(s.started for s in servers):
            if any(t.done() for t in tasks) or stopping:
                stop(0)
                break
            await asyncio.sleep(0.02)
        else:
            on_ready()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for signum in handled:
            if signum in previous:
                signal.signal(signum, previous[signum])
            else:
                loop.remove_signal_handler(signum)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    if not all(s.started for s in servers) and not stopping:
        return 1
    return 0


def run_demo(
    *,
    host: str = "127.0.0.1",
    app_port: int = 8000,
    edge_port: int = 8001,
    media_dir: str | os.PathLike[str] | None = None,
    hints: bool = True,
    out: TextIO | None = None,
    revocation: bool = True,
) -> int:
    """Serve the demo until SIGINT or SIGTERM; return the exit status (blocking).

    Port 0 picks a free port. The key pair lives in a temporary folder deleted at exit, as is
    the media library unless ``media_dir`` is given. ``revocation=False`` serves the demo
    without edge revocation (see :func:`build_demo`).
    """
    stream = out if out is not None else sys.stdout
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cfcookies-demo-")))
        app_sock = stack.enter_context(_bind(host, app_port))
        edge_sock = stack.enter_context(_bind(host, edge_port))
        public = _public_host(host)
        app_origin = f"http://{public}:{app_sock.getsockname()[1]}"
        media_origin = f"http://{public}:{edge_sock.getsockname()[1]}"
        app, edge, info = build_demo(
            tmp,
            app_origin=app_origin,
            media_origin=media_origin,
            secure=False,
            insecure_allow_http=True,
            media_dir=media_dir,
            revocation=revocation,
        )
        if public != "localhost":
            stream.write(
                f"warning: serving on {host}: the demo's cookies travel over plain HTTP; "
                "use it on a network you trust, or keep the default 127.0.0.1\n"
            )

        def ready() -> None:
            stream.write(_banner(info, tmp, hints=hints))
            stream.flush()

        status = asyncio.run(
            _serve_both(app, _EdgeLog(edge, stream), app_sock, edge_sock, on_ready=ready)
        )
    stream.write("cfcookies demo: stopped; temporary keys deleted.\n")
    stream.flush()
    return status
