"""9. Players without cookies: a folder's signed query, rewritten playlists, the route's answer.

The query (RSA-2048, SHA-1): :meth:`CloudFrontCookies.signed_query` for a folder whose policy
is already signed in this expiry window (a hit, the common case: every session of a course
shares it) and for a new folder (a miss), against one raw ``cryptography`` signature of the same
policy bytes (the floor) and botocore's ``CloudFrontSigner.generate_presigned_url`` with the
same custom policy (AWS's signer, which signs on every call).

Rewriting: :func:`~cfcookies.streaming.hls.rewrite_playlist` on a VOD media playlist of 1,000
segments and on a master playlist, against the ``m3u8`` package reading and writing the same
text (``m3u8.loads(...).dumps()``, an independent parser that changes nothing); and
:func:`~cfcookies.streaming.dash.rewrite_mpd` on a manifest of 1,000 ``SegmentURL`` elements,
against the standard library's ElementTree reading and writing it (the floor of any XML
rewriter). The route: :meth:`PlaylistServer.answer` for the 1,000-segment playlist from an
in-memory source (the link's token checked, the file fetched, rewritten, the headers), against
the rewriting alone.
"""

from __future__ import annotations

import itertools
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import m3u8
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from cfcookies.exceptions import PlaylistNotFoundError
from cfcookies.policy import Policy, prefix_resource
from cfcookies.session import CloudFrontCookies
from cfcookies.streaming.dash import rewrite_mpd
from cfcookies.streaming.hls import rewrite_playlist
from cfcookies.streaming.serve import PlaylistServer

from ._apps import KEY_PAIR_ID, MEDIA_URL, cloudfront_cookies, key, state_cookie
from ._harness import Scale, Section, Timing, fmt_ns, fmt_ratio, interleaved, per_call

FOLDER = "/videos/course-1"
FOLDER_URL = f"{MEDIA_URL}{FOLDER}/"
MEDIA_PLAYLIST = f"{FOLDER}/720p/index.m3u8"
MASTER_PLAYLIST = f"{FOLDER}/master.m3u8"
MANIFEST = f"{FOLDER}/manifest.mpd"
SEGMENTS = 1000

_serial = itertools.count()


def media_playlist(segments: int = SEGMENTS) -> str:
    """A VOD media playlist: an init section, a key, ``segments`` relative segment URIs."""
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-TARGETDURATION:4",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXT-X-KEY:METHOD=AES-128,URI="../keys/k1.bin",IV=0x00000000000000000000000000000001',
    ]
    for i in range(segments):
        lines += ["#EXTINF:4.000,", f"seg-{i:05d}.m4s"]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def master_playlist() -> str:
    """A master playlist: six variants, their I-frame playlists, two audio and two subtitles."""
    lines = ["#EXTM3U", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for lang in ("en", "fr"):
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",LANGUAGE="{lang}",NAME="{lang}",'
            f'URI="audio/{lang}/index.m3u8"'
        )
        lines.append(
            f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="{lang}",NAME="{lang}",'
            f'URI="subs/{lang}/index.m3u8"'
        )
    for height, bandwidth in ((240, 400), (360, 800), (480, 1400), (720, 2800), (1080, 5000)):
        lines.append(
            f'#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH={bandwidth * 100},URI="{height}p/iframes.m3u8"'
        )
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth * 1000},RESOLUTION={height * 16 // 9}x"
            f'{height},CODECS="avc1.64001f,mp4a.40.2",AUDIO="aud",SUBTITLES="subs"'
        )
        lines.append(f"{height}p/index.m3u8")
    return "\n".join(lines) + "\n"


def segment_list_mpd(segments: int = SEGMENTS) -> str:
    """A static MPD whose one representation lists ``segments`` SegmentURL elements."""
    urls = "".join(f'<SegmentURL media="video/seg-{i:05d}.m4s"/>' for i in range(segments))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
        'mediaPresentationDuration="PT4000S" minBufferTime="PT2S" '
        'profiles="urn:mpeg:dash:profile:isoff-main:2011">'
        '<Period id="p0"><AdaptationSet mimeType="video/mp4" segmentAlignment="true">'
        '<Representation id="v720" bandwidth="2800000" width="1280" height="720" '
        'codecs="avc1.64001f"><SegmentList timescale="1000" duration="4000">'
        f'<Initialization sourceURL="video/init.mp4"/>{urls}</SegmentList>'
        "</Representation></AdaptationSet></Period></MPD>\n"
    )


class MemorySource:
    """Playlists held in memory: the route's cost without the origin's."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def fetch(self, path: str) -> bytes:
        try:
            return self.files[path]
        except KeyError:
            raise PlaylistNotFoundError(path) from None


def query_candidates(cookies: CloudFrontCookies) -> dict[str, Callable[[int], float]]:
    """The folder's query (hit and miss), the raw signature and botocore's custom-policy URL."""
    private_key = cookies.keys.active().private_key
    assert isinstance(private_key, rsa.RSAPrivateKey)
    rsa_key = private_key
    expires = cookies.expiry_for(cookies.now())
    cookies.signed_query(FOLDER)  # signed once: every later call in the window hits

    def miss(number: int) -> float:
        folders = [f"/videos/new-{next(_serial)}" for _ in range(number)]
        clock = time.perf_counter_ns
        start = clock()
        for folder in folders:
            cookies.signed_query(folder)
        return (clock() - start) / number

    def raw(number: int) -> float:
        messages = [
            Policy(prefix_resource(MEDIA_URL, f"/videos/raw-{next(_serial)}"), expires).to_json()
            for _ in range(number)
        ]
        pad, sha1 = padding.PKCS1v15(), hashes.SHA1()  # noqa: S303 (CloudFront's default)
        clock = time.perf_counter_ns
        start = clock()
        for message in messages:
            rsa_key.sign(message, pad, sha1)
        return (clock() - start) / number

    aws = CloudFrontSigner(
        KEY_PAIR_ID,
        lambda message: rsa_key.sign(message, padding.PKCS1v15(), hashes.SHA1()),  # noqa: S303
    )
    url = prefix_resource(MEDIA_URL, FOLDER)
    when = datetime.fromtimestamp(expires, timezone.utc)

    def botocore(number: int) -> float:
        policies = [
            aws.build_policy(prefix_resource(MEDIA_URL, f"/videos/aws-{next(_serial)}"), when)
            for _ in range(number)
        ]
        clock = time.perf_counter_ns
        start = clock()
        for policy in policies:
            aws.generate_presigned_url(url, policy=policy)
        return (clock() - start) / number

    return {
        "signed_query, hit": per_call(lambda: cookies.signed_query(FOLDER)),
        "signed_query, miss": miss,
        "raw signature": raw,
        "botocore generate_presigned_url (custom policy)": botocore,
    }


def rewrite_candidates(
    query: str, server: PlaylistServer, token: str
) -> dict[str, Callable[[int], float]]:
    media, master, mpd = media_playlist(), master_playlist(), segment_list_mpd()
    media_url, master_url = MEDIA_URL + MEDIA_PLAYLIST, MEDIA_URL + MASTER_PLAYLIST
    manifest_url = MEDIA_URL + MANIFEST

    def hls(text: str, url: str) -> Callable[[], object]:
        return lambda: rewrite_playlist(text, playlist_url=url, query=query, folder_url=FOLDER_URL)

    def answer() -> object:
        result = server.answer(token, MEDIA_PLAYLIST)
        if result.status != 200:
            raise RuntimeError(f"the route answered {result.status}")
        return result

    return {
        "HLS media, rewrite_playlist": per_call(hls(media, media_url)),
        "HLS media, m3u8 loads + dumps": per_call(lambda: m3u8.loads(media).dumps()),
        "HLS master, rewrite_playlist": per_call(hls(master, master_url)),
        "HLS master, m3u8 loads + dumps": per_call(lambda: m3u8.loads(master).dumps()),
        "DASH, rewrite_mpd": per_call(
            lambda: rewrite_mpd(mpd, manifest_url=manifest_url, query=query, folder_url=FOLDER_URL)
        ),
        "DASH, ElementTree parse + write": per_call(
            lambda: ET.tostring(ET.fromstring(mpd.encode()), encoding="unicode")  # noqa: S314
        ),
        "HLS media, PlaylistServer.answer": per_call(answer),
    }


def serving(cookies: CloudFrontCookies) -> tuple[PlaylistServer, str]:
    """A server over in-memory playlists, and the token of a logged-in session's link."""
    files = {
        MEDIA_PLAYLIST: media_playlist().encode(),
        MASTER_PLAYLIST: master_playlist().encode(),
    }
    server = PlaylistServer(cookies, MemorySource(files))
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "HTTP_HOST": "app.example.test",
        "HTTP_COOKIE": state_cookie(cookies, [FOLDER]),
    }
    link = server.link(environ, MEDIA_PLAYLIST)
    token = link[len(server.route) + 1 :].split("/", 1)[0]
    return server, token


def measure(scale: Scale) -> dict[str, Any]:
    cookies = cloudfront_cookies(key("rsa"))
    server, token = serving(cookies)
    query_timings = interleaved(
        query_candidates(cookies), rounds=scale.rounds, number=scale.sign_number
    )
    rewrite_timings = interleaved(
        rewrite_candidates(cookies.signed_query(FOLDER), server, token),
        rounds=scale.rounds,
        number=max(1, scale.sign_number // 4),
    )
    return {"query": query_timings, "rewrite": rewrite_timings}


def _row(name: str, timing: Timing, baseline: Timing, unit: str = "") -> tuple[str, ...]:
    return (name, timing.cell(), fmt_ratio(timing.median / baseline.median), unit)


def run(scale: Scale) -> Section:
    section = Section(
        9,
        "Players without cookies: the folder's query, rewritten playlists, the route",
        "RSA-2048, SHA-1, in-process. *Query, hit*: `signed_query` for a folder whose policy "
        "is already signed in this expiry window (every session of a course shares it); "
        "*miss*: a new folder each call; against one raw `cryptography` signature of the same "
        "policy bytes and botocore's `generate_presigned_url` with the same custom policy "
        "(it signs on every call). *Rewriting*: `rewrite_playlist` on a VOD media playlist of "
        f"{SEGMENTS:,} segments and on a master playlist (five variants, I-frame playlists, "
        "audio, subtitles), against the `m3u8` package reading and writing the same text "
        "(an independent parser that changes nothing); `rewrite_mpd` on a manifest of "
        f"{SEGMENTS:,} `SegmentURL` elements, against ElementTree reading and writing it. "
        "*The route*: `PlaylistServer.answer` for the media playlist from an in-memory source "
        "(the link checked, the file fetched and rewritten, the headers), against the "
        "rewriting alone.",
        ("measurement", "time", "vs baseline", "baseline"),
    )
    result = measure(scale)
    q: dict[str, Timing] = result["query"]
    r: dict[str, Timing] = result["rewrite"]
    raw, botocore = q["raw signature"], q["botocore generate_presigned_url (custom policy)"]
    hit, miss = q["signed_query, hit"], q["signed_query, miss"]
    section.rows += [
        _row("signed_query, hit", hit, raw, "raw signature"),
        _row("signed_query, miss", miss, raw, "raw signature"),
        _row("botocore generate_presigned_url", botocore, raw, "raw signature"),
        ("raw signature (RSA-2048, SHA-1)", raw.cell(), "1x", ""),
    ]
    pairs = (
        ("HLS media, rewrite_playlist", "HLS media, m3u8 loads + dumps"),
        ("HLS master, rewrite_playlist", "HLS master, m3u8 loads + dumps"),
        ("DASH, rewrite_mpd", "DASH, ElementTree parse + write"),
    )
    for name, base in pairs:
        section.rows.append(_row(name, r[name], r[base], base))
        section.rows.append((base, r[base].cell(), "1x", ""))
    answer, rewrite = r["HLS media, PlaylistServer.answer"], r["HLS media, rewrite_playlist"]
    section.rows.append(
        _row("HLS media, PlaylistServer.answer", answer, rewrite, "rewriting alone")
    )
    section.values.update(
        {
            "query:hit": hit.median,
            "query:miss/raw": miss.median / raw.median,
            "query:botocore/hit": botocore.median / hit.median,
            "hls:media/m3u8": r[pairs[0][0]].median / r[pairs[0][1]].median,
            "hls:master/m3u8": r[pairs[1][0]].median / r[pairs[1][1]].median,
            "dash/etree": r[pairs[2][0]].median / r[pairs[2][1]].median,
            "answer/rewrite": answer.median / rewrite.median,
            "hls:per_uri": r[pairs[0][0]].median / (SEGMENTS + 2),
        }
    )
    section.notes.append(
        f"A folder query hit costs {fmt_ns(hit.median)}: botocore, which signs every URL, "
        f"costs {fmt_ratio(botocore.median / hit.median)} that. Rewriting the "
        f"{SEGMENTS}-segment playlist costs {fmt_ns(section.values['hls:per_uri'])} per URI."
    )
    return section
