"""The demo's generated media: PNG posters, H.264 frames in MPEG-TS segments, the library.

Mirrors :mod:`cfcookies.demo.png`, :mod:`cfcookies.demo.h264`, :mod:`cfcookies.demo.mpegts` and
:mod:`cfcookies.demo.media`.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from cfcookies.demo.catalog import COURSES, SEGMENTS
from cfcookies.demo.h264 import VIDEO_HEIGHT, VIDEO_WIDTH, video_frames
from cfcookies.demo.media import write_media_library
from cfcookies.demo.mpegts import _crc32_mpeg2, make_ts_segment
from cfcookies.demo.png import poster_png


def test_poster_is_a_valid_png_of_the_given_size() -> None:
    data = poster_png("course 1", (10, 20, 30), width=64, height=36)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    _, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR"
    width, height, depth, color = struct.unpack(">IIBB", data[16:26])
    assert (width, height, depth, color) == (64, 36, 8, 2)
    idat_at = data.index(b"IDAT")
    (idat_len,) = struct.unpack(">I", data[idat_at - 4 : idat_at])
    pixels = zlib.decompress(data[idat_at + 4 : idat_at + 4 + idat_len])
    assert len(pixels) == 36 * (1 + 64 * 3)
    assert data.endswith(b"IEND\xaeB`\x82")
    assert b"\xff\xff\xff" in pixels  # the label is drawn in white


def _packets(segment: bytes) -> list[bytes]:
    assert len(segment) % 188 == 0
    return [segment[i : i + 188] for i in range(0, len(segment), 188)]


def _pid(packet: bytes) -> int:
    return ((packet[1] & 0x1F) << 8) | packet[2]


def _section(packet: bytes) -> bytes:
    """The PSI section in a packet that starts one (pointer field 0), up to its CRC."""
    assert packet[4] == 0
    length = ((packet[6] & 0x0F) << 8) | packet[7]
    return packet[5 : 5 + 3 + length]


def test_ts_segment_is_h264_in_whole_transport_packets_with_valid_tables() -> None:
    frames = list(video_frames("course 1", (10, 20, 30), count=3, total=3))
    assert all(len(mbs) == (VIDEO_WIDTH // 16) * (VIDEO_HEIGHT // 16) for mbs in frames)
    assert all(len(mb) == 384 for mb in frames[0])  # 256 luma + 2 x 64 chroma samples
    segment = make_ts_segment(frames, first_frame=8)
    packets = _packets(segment)
    assert all(p[0] == 0x47 for p in packets)
    assert [_pid(p) for p in packets[:2]] == [0x0000, 0x1000]  # PAT, then PMT
    for packet in packets[:2]:
        assert _crc32_mpeg2(_section(packet)) == 0  # CRC-32/MPEG-2 over section and CRC
    assert _section(packets[1])[12] == 0x1B  # the PMT announces an H.264 stream
    video = [p for p in packets[2:] if _pid(p) == 0x0100]
    assert len(video) == len(packets) - 2
    starts = [p for p in video if p[1] & 0x40]
    assert len(starts) == 3  # one PES per frame
    for packet in starts:
        assert packet[3] & 0x20  # an adaptation field with the PCR and random access flag
        assert packet[5] & 0x50 == 0x50
    assert [p[3] & 0x0F for p in video] == [i % 16 for i in range(len(video))]
    assert b"\x00\x00\x01\xe0" in starts[0]
    assert b"\x00\x00\x00\x01\x67" in segment  # a sequence parameter set
    assert b"\x00\x00\x00\x01\x65" in segment  # IDR slices


def test_media_library_has_a_playlist_naming_existing_segments(tmp_path: Path) -> None:
    write_media_library(tmp_path)
    for course in COURSES:
        folder = tmp_path / "videos" / course.slug
        playlist = (folder / "index.m3u8").read_text()
        assert playlist.startswith("#EXTM3U\n")
        assert playlist.rstrip().endswith("#EXT-X-ENDLIST")
        names = [line for line in playlist.splitlines() if line and not line.startswith("#")]
        assert len(names) == SEGMENTS
        assert all((folder / name).is_file() for name in names)
        assert (folder / "poster.png").read_bytes()[:4] == b"\x89PNG"
