"""PNG posters for the demo's courses, written with the standard library alone (``zlib``).

Each course folder holds a ``poster.png`` that the app's page loads from the edge: a request
for an image carries the CloudFront cookies like any other, so a refused poster shows a
refused grant at a glance. An 8-bit RGB PNG is a few chunks around a deflated pixel buffer,
so no imaging library is needed.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

from .font import GLYPHS


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
            glyph = GLYPHS.get(text[cell], GLYPHS[" "]).split("/")
            if col < 5 and glyph[ty // scale][col] == "#":
                return (255, 255, 255)
        shade = 0.55 + 0.45 * (1 - y / height) * (0.6 + 0.4 * x / width)
        return (int(r0 * shade), int(g0 * shade), int(b0 * shade))

    return make_png(width, height, pixel)
