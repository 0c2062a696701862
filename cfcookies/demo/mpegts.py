"""MPEG transport streams (``seg-NNN.ts``) for the demo's HLS playlists.

HLS segments are MPEG-TS: a PAT and a PMT announcing one H.264 stream, then one PES per frame
cut into 188-byte packets, with the PCR and timestamps a player needs to play the segments of a
playlist one after another. The frames come from :mod:`cfcookies.demo.h264`.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from .h264 import VIDEO_FPS, access_unit


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
    counter = 0
    for offset, macroblocks in enumerate(frames):
        index = first_frame + offset
        pts = 90_000 + index * 90_000 // fps
        pes_header = b"\x80\x80\x05" + _timestamp(0x20, pts)  # PTS only
        pes = (  # length 0: unbounded
            b"\x00\x00\x01\xe0\x00\x00" + pes_header + access_unit(index, macroblocks)
        )
        packets, counter = _ts_packets(_VIDEO_PID, pes, counter=counter, pcr=pts - 9_000)
        out += packets
    return bytes(out)
