"""H.264 video for the demo's courses: frames with uncompressed (I_PCM) macroblocks.

No encoder is needed: every macroblock of every frame is sent as raw samples (I_PCM), which
any H.264 decoder must accept. The frames are tiny (128x64, 4 per second), so the segments stay
small. A real codec stream matters because Chromium's and Safari's ``<video>`` play the HLS
playlist from the edge, fetching each segment with the CloudFront cookies as a player would.

:mod:`cfcookies.demo.mpegts` wraps the :func:`access_unit` of each frame in a transport stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from .font import GLYPHS

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
            glyph = GLYPHS.get(text[cell], GLYPHS[" "]).split("/")
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


# The parameter sets are the same for every frame, and every access unit carries them (every
# frame is an IDR picture).
_HEADERS = _sps(VIDEO_WIDTH // _MB, VIDEO_HEIGHT // _MB) + _pps()


def access_unit(index: int, macroblocks: Sequence[bytes]) -> bytes:
    """Frame ``index`` of a clip as an H.264 access unit (delimiter, SPS, PPS, one IDR slice)."""
    return _AUD + _HEADERS + _idr_slice(index % 2, macroblocks)
