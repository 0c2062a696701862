"""cfcookies.edge.answers under attack: absurd ``Range`` headers, through the edge and parse_range.

The edge answers as S3 behind CloudFront does. A syntactically invalid ``Range`` (another unit,
several ranges, a reversed range, junk) is ignored and the whole object is sent (``200``); a
range that starts past the end, or the empty suffix ``bytes=-0``, is ``416`` with
``Content-Range: bytes */<size>``. Numbers of any length are read without converting thousands
of digits to an integer, and nothing a client sends in ``Range`` makes the edge fail (``500``).
"""

from __future__ import annotations

import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfcookies.edge import EdgeApp, EdgeServer, parse_range

from .edge_support import LOGO, PUBLIC, SEGMENT_BYTES, call
from .verification_cases import SEGMENT

# --- Range ------------------------------------------------------------------------------------

MANY = 5000  # digits: past Python's int() limit of 4300, which used to end in a 500


@pytest.mark.parametrize(
    ("value", "status", "content_range"),
    [
        # thousands of digits, in every position
        pytest.param("bytes=" + "9" * MANY + "-", 416, "bytes */1024", id="huge-first-open"),
        pytest.param("bytes=" + "9" * MANY + "-" + "9" * MANY, 416, "bytes */1024", id="huge-both"),
        pytest.param("bytes=0-" + "9" * MANY, 206, "bytes 0-1023/1024", id="huge-last"),
        pytest.param("bytes=1000-" + "9" * MANY, 206, "bytes 1000-1023/1024", id="huge-last-2"),
        pytest.param("bytes=-" + "9" * MANY, 206, "bytes 0-1023/1024", id="huge-suffix"),
        pytest.param("bytes=" + "9" * MANY + "-5", 200, None, id="huge-first-reversed"),
        pytest.param("bytes=" + "0" * MANY + "-", 206, "bytes 0-1023/1024", id="zeros-first"),
        pytest.param("bytes=" + "0" * MANY + "5-9", 206, "bytes 5-9/1024", id="zero-padded"),
        pytest.param("bytes=0-" + "0" * MANY + "9", 206, "bytes 0-9/1024", id="zero-padded-last"),
        pytest.param("bytes=-" + "0" * MANY + "24", 206, "bytes 1000-1023/1024", id="zero-suffix"),
        pytest.param("bytes=-" + "0" * MANY, 416, "bytes */1024", id="zeros-suffix"),
        pytest.param("bytes=1024-" + "9" * MANY, 416, "bytes */1024", id="past-end-huge-last"),
        # negative numbers
        pytest.param("bytes=-5-10", 200, None, id="negative-first"),
        pytest.param("bytes=0--5", 200, None, id="negative-last"),
        pytest.param("bytes=--5", 200, None, id="negative-suffix"),
        pytest.param("bytes=-" + "9" * MANY + "-", 200, None, id="negative-huge"),
        # several ranges: S3 serves the whole object
        pytest.param("bytes=0-1,5-6", 200, None, id="multi"),
        pytest.param("bytes=" + ",".join(["0-1"] * 2000), 200, None, id="multi-many"),
        pytest.param("bytes=" + "9" * MANY + "-,0-1", 200, None, id="multi-huge"),
        pytest.param("bytes=0-1,", 200, None, id="multi-trailing-comma"),
        # the empty suffix, and empty specs
        pytest.param("bytes=-0", 416, "bytes */1024", id="empty-suffix"),
        pytest.param("bytes=", 200, None, id="empty-spec"),
        pytest.param("bytes=-", 200, None, id="dash-only"),
        pytest.param("bytes", 200, None, id="unit-only"),
        pytest.param("=", 200, None, id="equals-only"),
        pytest.param("bytes==0-1", 200, None, id="two-equals"),
        # other units
        pytest.param("items=0-1", 200, None, id="items"),
        pytest.param("none", 200, None, id="none"),
        pytest.param("bits=0-7", 200, None, id="bits"),
        pytest.param("BYTES=0-9", 206, "bytes 0-9/1024", id="unit-case"),
        pytest.param("bytes 0-9", 200, None, id="no-equals"),
        # whitespace
        pytest.param(" bytes = 0 - 9 ", 206, "bytes 0-9/1024", id="spaces"),
        pytest.param("bytes=\t0-9\t", 206, "bytes 0-9/1024", id="tabs"),
        pytest.param("bytes=0 1-9", 200, None, id="space-in-number"),
        pytest.param("bytes=" + " " * MANY + "0-9", 206, "bytes 0-9/1024", id="many-spaces"),
        pytest.param("bytes=0-9\x0b", 200, None, id="vertical-tab"),
        # non-ASCII digits and look-alikes
        pytest.param("bytes=\u0660-\u0669", 200, None, id="arabic-indic-digits"),
        pytest.param("bytes=\u00b2-", 200, None, id="superscript-two"),
        pytest.param("bytes=\uff11-\uff12", 200, None, id="fullwidth-digits"),
        pytest.param("bytes=0-9\u00a0", 200, None, id="nbsp"),
        pytest.param("bytes=0x10-0x20", 200, None, id="hex"),
        pytest.param("bytes=1e3-", 200, None, id="exponent"),
        pytest.param("bytes=+5-9", 200, None, id="plus"),
        pytest.param("bytes=0_0-9", 200, None, id="underscore"),
    ],
)
def test_absurd_range_headers_never_fail(
    edge: EdgeApp, cookie: str, value: str, status: int, content_range: str | None
) -> None:
    """Every malformed or absurd Range gets 200, 206 or 416 as S3 would, never a 500."""
    status_got, headers, body = call(
        edge, SEGMENT, [(b"cookie", cookie.encode()), (b"range", value.encode("utf-8"))]
    )
    assert status_got == status
    assert headers.get("content-range") == content_range
    if status == 200:
        assert body == SEGMENT_BYTES
    elif status == 206:
        assert content_range is not None
        first, last = (int(n) for n in content_range.split(" ")[1].split("/")[0].split("-"))
        assert body == SEGMENT_BYTES[first : last + 1]
        assert headers["content-length"] == str(last - first + 1)
    else:
        assert body == b""


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"bytes=\xff\xfe-\x80", id="latin-1-junk"),
        pytest.param(b"bytes=" + b"9" * 100_000 + b"-", id="100k-digits"),
        pytest.param(b"bytes=0-\x00", id="nul"),
    ],
)
def test_range_bytes_that_are_not_text(edge: EdgeApp, cookie: str, raw: bytes) -> None:
    """Raw header bytes outside ASCII are answered, not crashed on."""
    status, _, _ = call(edge, SEGMENT, [(b"cookie", cookie.encode()), (b"range", raw)])
    assert status in (200, 416)


def test_absurd_range_on_an_unprotected_path(edge: EdgeApp) -> None:
    """An unprotected path (no signature needed) answers 416 too, not 500."""
    status, headers, _ = call(edge, PUBLIC, [(b"range", b"bytes=" + b"9" * MANY + b"-")])
    assert (status, headers["content-range"]) == (416, f"bytes */{len(LOGO)}")
    assert headers["x-cfcookies-decision"] == "unprotected"
    status, _, body = call(edge, PUBLIC, [(b"range", b"bytes=-" + b"9" * MANY)])
    assert (status, body) == (206, LOGO)


def test_absurd_range_on_head(edge: EdgeApp, cookie: str) -> None:
    """HEAD with an absurd Range gets the same status, with no body."""
    status, headers, body = call(
        edge,
        SEGMENT,
        [(b"cookie", cookie.encode()), (b"range", b"bytes=" + b"9" * MANY + b"-")],
        method="HEAD",
    )
    assert (status, headers["content-range"], body) == (416, "bytes */1024", b"")


@pytest.mark.server
def test_absurd_range_over_a_real_server(edge: EdgeApp, cookie: str) -> None:
    """Over loopback (uvicorn), thousands of digits get 416 and 206, not 500."""
    with EdgeServer(edge, port=0) as server, httpx.Client(base_url=server.url) as client:
        past = client.get(SEGMENT, headers={"cookie": cookie, "range": f"bytes={'9' * MANY}-"})
        suffix = client.get(SEGMENT, headers={"cookie": cookie, "range": f"bytes=-{'9' * MANY}"})
        public = client.get(PUBLIC, headers={"range": f"bytes={'9' * MANY}-{'9' * MANY}"})
    assert (past.status_code, past.headers["content-range"]) == (416, "bytes */1024")
    assert (suffix.status_code, suffix.content) == (206, SEGMENT_BYTES)
    assert (public.status_code, public.headers["content-range"]) == (416, f"bytes */{len(LOGO)}")


def test_parse_range_reads_a_million_digits_quickly() -> None:
    """No number is converted whole: a million digits are judged in well under a second."""
    started = time.perf_counter()
    assert parse_range("bytes=" + "9" * 1_000_000 + "-", 1024) == ("unsatisfiable", 0, 0)
    assert parse_range("bytes=0-" + "9" * 1_000_000, 1024) == ("partial", 0, 1023)
    assert parse_range("bytes=-" + "9" * 1_000_000, 1024) == ("partial", 0, 1023)
    assert parse_range("bytes=" + "0" * 1_000_000 + "7-8", 1024) == ("partial", 7, 8)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        pytest.param("bytes=0-", 0, ("unsatisfiable", 0, 0), id="empty-file"),
        pytest.param("bytes=-" + "9" * MANY, 0, ("unsatisfiable", 0, 0), id="empty-file-suffix"),
        pytest.param("bytes=0-0", 1, ("partial", 0, 0), id="one-byte"),
        pytest.param("bytes=" + "9" * 19 + "-", 2**62, ("unsatisfiable", 0, 0), id="19-digits"),
        pytest.param(
            "bytes=0-" + "9" * 30, 2**62, ("partial", 0, 2**62 - 1), id="30-digits-clamped"
        ),
        pytest.param("bytes=9-", 10, ("partial", 9, 9), id="last-byte"),
        pytest.param(None, 10, ("full", 0, 9), id="no-header"),
    ],
)
def test_parse_range_edges(header: str | None, size: int, expected: tuple[str, int, int]) -> None:
    """Boundaries of parse_range, with long numbers and an empty file."""
    assert parse_range(header, size) == expected


# Runs of digits of any length up to 6000: short ones, and long ones past int()'s limit.
_DIGITS = st.one_of(
    st.text(alphabet="0123456789", max_size=30),
    st.builds(
        lambda digit, count, tail: digit * count + tail,
        st.sampled_from("0159"),
        st.integers(0, 6000),
        st.text(alphabet="0123456789", max_size=3),
    ),
)
_RANGE_PIECES = st.one_of(
    _DIGITS,
    st.sampled_from(["-", ",", "=", " ", "\t", "bytes", "BYTES", "items", "+", "\u0660", "\xa0"]),
    st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
        max_size=20,
    ),
)
RANGE_HEADERS = st.one_of(
    st.lists(_RANGE_PIECES, max_size=8).map("".join),
    st.builds(
        lambda first, last: f"bytes={first}-{last}",
        _DIGITS,
        _DIGITS,
    ),
    st.builds(
        lambda parts: "bytes=" + ",".join(parts),
        st.lists(st.from_regex(r"[0-9]{0,30}-[0-9]{0,30}", fullmatch=True), max_size=5),
    ),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=RANGE_HEADERS)
def test_any_range_header_gets_a_sane_answer(edge: EdgeApp, cookie: str, value: str) -> None:
    """Whatever the Range header, the answer is 200, 206, 416 or 400, and 206 is consistent."""
    status, headers, body = call(
        edge, SEGMENT, [(b"cookie", cookie.encode()), (b"range", value.encode("utf-8"))]
    )
    assert status in (200, 206, 416, 400)
    if status == 206:
        spec, _, total = headers["content-range"].removeprefix("bytes ").partition("/")
        first, _, last = spec.partition("-")
        assert total == "1024"
        assert 0 <= int(first) <= int(last) < 1024
        assert body == SEGMENT_BYTES[int(first) : int(last) + 1]
    elif status == 416:
        assert headers["content-range"] == "bytes */1024"
    elif status == 200:
        assert body == SEGMENT_BYTES
