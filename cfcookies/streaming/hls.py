"""HLS playlists rewritten so that every URI under a granted folder carries the folder's query.

A custom policy whose resource ends in ``/*`` grants a whole folder, and its query
(``Policy=…&Signature=…&Key-Pair-Id=…``, with ``&Hash-Algorithm=SHA256`` for such keys) works
on every URL under it. Players that cannot send cookies (Chromecast, AirPlay, native players,
cross-site embeds) need that query on every request, but the URIs inside a playlist are usually
relative and a relative URI drops the query. The app therefore serves the playlists itself,
rewritten by :func:`rewrite_playlist`; segments, keys and init sections are still fetched from
the media host, never through the app.

What is rewritten
    Media segment lines and the URI line after ``EXT-X-STREAM-INF``, and the ``URI`` attribute
    of ``EXT-X-I-FRAME-STREAM-INF``, ``EXT-X-IMAGE-STREAM-INF`` (Roku's trick-play images),
    ``EXT-X-MEDIA``, ``EXT-X-KEY``, ``EXT-X-SESSION-KEY``, ``EXT-X-MAP``,
    ``EXT-X-SESSION-DATA`` and, for low-latency HLS, ``EXT-X-PART``, ``EXT-X-PRELOAD-HINT`` and
    ``EXT-X-RENDITION-REPORT``. Every other byte stays as it was: tags (known or not),
    comments, blank lines, attribute order and spelling, line endings (LF or CRLF) and the
    presence or absence of a final newline. ``EXT-X-CONTENT-STEERING`` (its steering server is
    the app's, not the folder's) and the interstitial ``X-ASSET-URI``/``X-ASSET-LIST`` of
    ``EXT-X-DATERANGE`` (other hosts' playlists) are left as written.

How a URI is decided
    Each URI is resolved against ``playlist_url`` (RFC 3986 §5.2, dot segments removed) and
    written back absolute: the playlist is served from the app's origin, so a relative URI
    would resolve against the app. Then:

    * *in the folder* (the same scheme, the same authority spelled exactly as in
      ``folder_url``, the path under its path, nothing ambiguous in the URI): the query is
      appended after any query it already has (``seg.ts?v=2`` becomes
      ``…/seg.ts?v=2&Policy=…``), before any fragment. A URI that names another playlist
      (the line after ``EXT-X-STREAM-INF``, the ``URI`` of ``EXT-X-I-FRAME-STREAM-INF``,
      ``EXT-X-IMAGE-STREAM-INF``, ``EXT-X-MEDIA`` and ``EXT-X-RENDITION-REPORT``) is passed
      instead to ``playlist_link``, when one is given, so that the player fetches it through
      the app's rewriting route too;
    * *anywhere else* (another host, another folder, a prefix sibling such as ``course-10/``
      beside ``course-1/``, a third-party key server): left unsigned, but absolute, so it
      still names what it named. The query is a bearer token for the whole folder and is
      never handed to another host;
    * *not http or https* (``skd://``, ``data:``, ``urn:``): left exactly as written.

Ambiguous URIs are left unsigned
    Players and CloudFront do not all read a URI the same way: the WHATWG URL parser (browsers,
    hls.js) takes ``%2e`` as a dot and ``\\`` as a slash and drops whitespace, while RFC 3986
    and CloudFront do not; ``EXT-X-DEFINE`` variables (``{$name}``) change a URI after this
    module has read it. A URI holding whitespace or a backslash anywhere, ``%2e``, ``%2f`` or
    ``%5c`` (in either case) or ``{$`` in its path, a scheme without ``//`` (``https:seg.ts``),
    or a ``.`` or ``..`` segment after a host (``https://media.example.com/videos/course-1/./
    x.ts``: not every reader removes them there) is therefore never treated as in the folder:
    it is left unsigned (and absolute), like any URI outside the folder, rather than refused,
    so one odd URI costs one 403, not the playlist. The authority is compared as written, so
    ``MEDIA.example.com``, ``media.example.com:443`` and ``user@media.example.com`` are other
    hosts here, although some of them reach the same server: playlists should spell the media
    host as ``folder_url`` does, or use relative URIs. The rule is the one
    :func:`~cfcookies.streaming.dash.rewrite_mpd` applies: a playlist and a manifest sign the
    same URIs.

What is refused (:class:`~cfcookies.exceptions.PlaylistError`)
    Text that does not begin with an ``#EXTM3U`` line (a byte order mark included); text longer
    than ``max_length`` characters, or whose rewritten form would be (the query, several
    hundred characters, is added to every signed URI, so the output is bounded too); control
    characters, which RFC 8216 forbids in playlists (CR only before LF); a line that starts
    with spaces and then ``#`` (players disagree on whether it is a tag or a URI); an
    ``EXT-X-STREAM-INF`` with no URI line before the next one or the end; an attribute list
    that cannot be read (RFC 8216 §4.2: quoted strings may hold commas), a ``URI`` that is not
    a non-empty quoted string, or two of them; and an http(s) URI, in the folder or not, that
    already carries ``Policy``, ``Signature``, ``Key-Pair-Id``, ``Expires`` or
    ``Hash-Algorithm`` (percent-encoded too, ``%50olicy``): the playlist is signed or rewritten
    already, and appending another signature would change what the request is judged on.
    Messages name the line and never contain the query or the signature. Arguments that can
    never work (``playlist_url``, ``folder_url``, ``query``, ``playlist_link``,
    ``max_length``) raise :class:`~cfcookies.exceptions.ConfigurationError` instead.

Why not the m3u8 package at runtime
    It parses a playlist into objects and writes it back with ``dumps()``, which reorders tags,
    drops the ones it does not know and reformats attributes: a rewriter must change the URIs
    and nothing else. It would also be a new required dependency for one feature. The rewriter
    is line-based instead, and the tests re-read every rewritten playlist with ``m3u8`` as an
    independent parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from ..exceptions import ConfigurationError, PlaylistError
from ._urls import URL, Folder, checked_url, is_foreign, refuse_signed, resolve, split, with_query

__all__ = ["MAX_PLAYLIST_LENGTH", "rewrite_playlist"]

#: The default bound on a playlist's length, before and after rewriting, in characters (bytes
#: for ASCII text): 32 MiB holds a ten-hour VOD playlist of two-second segments, each with an
#: 800-character query. The text comes from the origin, so it is bounded all the same.
MAX_PLAYLIST_LENGTH = 32 * 1024 * 1024

#: Tags whose ``URI`` attribute is rewritten, and whether that URI names another playlist.
_URI_TAGS = {
    "EXT-X-I-FRAME-STREAM-INF": True,
    "EXT-X-IMAGE-STREAM-INF": True,
    "EXT-X-MEDIA": True,
    "EXT-X-RENDITION-REPORT": True,
    "EXT-X-KEY": False,
    "EXT-X-SESSION-KEY": False,
    "EXT-X-MAP": False,
    "EXT-X-SESSION-DATA": False,
    "EXT-X-PART": False,
    "EXT-X-PRELOAD-HINT": False,
}
_STREAM_INF = "EXT-X-STREAM-INF"

# RFC 8216 §4.1: no control characters but CR and LF (and CR only before LF); U+2028, U+2029
# (line breaks to JavaScript) and the byte order mark are refused with them.
_FORBIDDEN_TEXT = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff]|\r(?!\n)")
_LINK_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f\"\u2028\u2029\ufeff]")
_ATTRIBUTE_NAME = re.compile(r" *([A-Za-z0-9_-]+) *=")
_ATTRIBUTE_END = re.compile(r" *(?:,|\Z) *")
# A segment's file name beside its playlist (``seg-00042.m4s``): no scheme, slash, query, dot
# segment or percent sign, so it resolves to the playlist's directory plus itself, and is in
# the folder exactly when that directory is (the fast path of _Rewriter.uri).
_SIMPLE_NAME = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*")


@dataclass(frozen=True)
class _Rewriter:
    """The arguments of one :func:`rewrite_playlist` call, checked once."""

    base: URL
    folder: Folder
    playlist_link: Callable[[str], str] | None

    @cached_property
    def _beside(self) -> tuple[str, bool]:
        """The playlist's directory as a URL, and whether a simple name there is in the folder
        (the same answer for every such name: see ``_SIMPLE_NAME``), decided once."""
        directory = self.base.path[: self.base.path.rfind("/") + 1]
        target = URL(self.base.scheme, self.base.authority, directory + "x", None, None)
        return target.text()[:-1], self.folder.holds(split("x"), target)

    def uri(self, written: str, *, playlist: bool, line: int) -> str:
        """``written`` (a URI line's text or a ``URI`` attribute's value) as it is served."""
        if not playlist and _SIMPLE_NAME.fullmatch(written):
            directory, in_folder = self._beside
            if in_folder:
                return with_query(directory + written, self.folder.query)
            return directory + written
        return self.resolved(written, playlist=playlist, line=line)

    def resolved(self, written: str, *, playlist: bool, line: int) -> str:
        """:meth:`uri` for every reference, resolved in full (RFC 3986)."""
        core = written.strip(" ")
        if not core:
            raise PlaylistError(f"line {line}: a URI attribute is empty; give it a URI or drop it")
        lead = written[: len(written) - len(written.lstrip(" "))]
        trail = written[len(written.rstrip(" ")) :]
        reference = split(core)
        if is_foreign(reference):
            return written  # skd://, data:, or not a scheme at all: nothing to resolve
        target = resolve(reference, self.base)
        refuse_signed(target, f"line {line}: the URI")
        if not self.folder.holds(reference, target):
            return lead + target.text() + trail
        if playlist and self.playlist_link is not None:
            return lead + _linked(self.playlist_link, target.text()) + trail
        return lead + with_query(target.text(), self.folder.query) + trail


def rewrite_playlist(
    text: str,
    *,
    playlist_url: str,
    query: str,
    folder_url: str,
    playlist_link: Callable[[str], str] | None = None,
    max_length: int = MAX_PLAYLIST_LENGTH,
) -> str:
    """An HLS playlist (master or media) with the folder's ``query`` on every URI in the folder.

    ``text`` is the playlist as the origin holds it, decoded (UTF-8). ``playlist_url`` is the
    absolute media URL it was fetched from (``https://media.example.com/videos/course-1/
    master.m3u8``): relative URIs are resolved against it. ``folder_url`` is the granted
    folder's URL, ending in ``/``, its host in lowercase
    (``https://media.example.com/videos/course-1/``), and
    ``query`` the query string of a custom policy for ``folder_url + "*"``, without the ``?``
    (``Policy=…&Signature=…&Key-Pair-Id=…``, then ``&Hash-Algorithm=SHA256`` for such keys).
    ``playlist_link`` maps the absolute media URL of a nested playlist in the folder to the
    URL the player should fetch it from (the app's rewriting route, absolute or relative to the
    app); without it, nested playlists get the query like every other URI. ``max_length``
    bounds the text and the result, in characters.

    The decision for each URI, and what is refused, are described in this module's docstring.
    Raises :class:`~cfcookies.exceptions.PlaylistError` for a playlist that cannot be rewritten
    safely and :class:`~cfcookies.exceptions.ConfigurationError` for arguments that cannot work.
    """
    rewriter = _Rewriter(
        base=checked_url(playlist_url, "playlist_url"),
        folder=Folder.checked(folder_url, query),
        playlist_link=_checked_link(playlist_link),
    )
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
        raise ConfigurationError(f"max_length must be a whole number >= 1, got {max_length!r}")
    _check_text(text, max_length)
    lines = text.split("\n")
    output: list[str] = []
    length = -1  # the joins: one newline fewer than lines
    variant_from = 0  # the line of an EXT-X-STREAM-INF still waiting for its URI line, or 0
    for number, line in enumerate(lines, 1):
        body = line[:-1] if line.endswith("\r") else line
        written = line
        if body.startswith("#"):
            tag, colon, _ = body[1:].partition(":")
            if tag == _STREAM_INF:
                _check_variant_has_uri(variant_from, number)
                variant_from = number
            elif colon and tag in _URI_TAGS:
                written = _rewrite_tag(rewriter, line, len(tag) + 2, _URI_TAGS[tag], number)
        elif body.strip(" "):
            if body.lstrip(" ").startswith("#"):
                raise PlaylistError(
                    f"line {number} starts with spaces, then '#': players disagree on whether "
                    f"it is a tag or a URI; remove the spaces"
                )
            written = rewriter.uri(body, playlist=bool(variant_from), line=number)
            written += line[len(body) :]  # the CR of a CRLF
            variant_from = 0
        output.append(written)
        length += len(written) + 1
        if length > max_length:
            raise PlaylistError(
                f"the rewritten playlist would be longer than max_length={max_length} characters "
                f"(at line {number}); split it, or raise max_length if it is expected"
            )
    _check_variant_has_uri(variant_from, len(lines) + 1)
    return "\n".join(output)


def _rewrite_tag(rewriter: _Rewriter, line: str, start: int, playlist: bool, number: int) -> str:
    """``line`` (a tag from ``_URI_TAGS``) with its ``URI`` attribute's value rewritten."""
    end = len(line) - 1 if line.endswith("\r") else len(line)
    span = _uri_attribute(line, start, end, number)
    if span is None:
        return line  # EXT-X-KEY METHOD=NONE, closed captions, SESSION-DATA with a VALUE …
    first, last = span
    return (
        line[:first] + rewriter.uri(line[first:last], playlist=playlist, line=number) + line[last:]
    )


def _uri_attribute(line: str, position: int, end: int, number: int) -> tuple[int, int] | None:
    """Where the value of the ``URI`` attribute is, inside its quotes, in the attribute list
    ``line[position:end]`` (RFC 8216 §4.2, with spaces tolerated around names and commas)."""
    found: tuple[int, int] | None = None
    while position < end:
        name_match = _ATTRIBUTE_NAME.match(line, position, end)
        if name_match is None:
            raise PlaylistError(
                f"line {number}: no attribute name at column {position + 1}; an attribute "
                f"list is NAME=value pairs separated by commas (RFC 8216 section 4.2)"
            )
        name, position = name_match.group(1), name_match.end()
        quoted = line.startswith('"', position, end)
        if quoted:
            close = line.find('"', position + 1, end)
            if close < 0:
                raise PlaylistError(f"line {number}: the quoted value of {name} is not closed")
            value, position = (position + 1, close), close + 1
        else:
            comma = line.find(",", position, end)
            value = (position, end if comma < 0 else comma)
            position = value[1]
        end_match = _ATTRIBUTE_END.match(line, position, end)
        if end_match is None:
            raise PlaylistError(
                f"line {number}: unexpected text after the value of {name} at column "
                f"{position + 1}; attributes are separated by commas"
            )
        position = end_match.end()
        if name.upper() == "URI":
            if name != "URI" or found is not None or not quoted:
                raise PlaylistError(
                    f"line {number}: the tag's URI must be one attribute spelled URI, its "
                    f'value in double quotes (URI="...")'
                )
            found = value
    return found


def _linked(playlist_link: Callable[[str], str], url: str) -> str:
    """``playlist_link(url)``, checked: it is written into the playlist as it is."""
    linked = playlist_link(url)
    if not isinstance(linked, str) or not linked or linked.startswith("#"):
        raise ConfigurationError(
            f"playlist_link must return the URL of the app's playlist route as a non-empty "
            f"string not starting with '#', got {type(linked).__name__} {linked!r:.80}"
        )
    if _LINK_FORBIDDEN.search(linked):
        raise ConfigurationError(
            "playlist_link returned a URL holding a space, a quote or a control character; "
            "percent-encode it (it is written inside a playlist, in quotes or on its own line)"
        )
    return linked


def _check_variant_has_uri(variant_from: int, number: int) -> None:
    if variant_from:
        raise PlaylistError(
            f"line {variant_from}: EXT-X-STREAM-INF has no URI line before line {number}; "
            f"each one is followed by the URI of its variant playlist"
        )


def _check_text(text: str, max_length: int) -> None:
    if not isinstance(text, str):
        raise PlaylistError(
            f"the playlist must be text (str), got {type(text).__name__}; decode it as UTF-8"
        )
    if len(text) > max_length:
        raise PlaylistError(
            f"the playlist is {len(text)} characters long, over max_length={max_length}; "
            f"split it, or raise max_length if it is expected"
        )
    first = text.split("\n", 1)[0].rstrip("\r").rstrip(" ")
    if first != "#EXTM3U":
        raise PlaylistError(
            "not an HLS playlist: its first line must be #EXTM3U (with no byte order mark)"
        )
    bad = _FORBIDDEN_TEXT.search(text)
    if bad is not None:
        number = text.count("\n", 0, bad.start()) + 1
        raise PlaylistError(
            f"line {number} holds the control character U+{ord(bad.group()[0]):04X}; "
            f"RFC 8216 allows none but the line break (LF or CRLF)"
        )


def _checked_link(playlist_link: Callable[[str], str] | None) -> Callable[[str], str] | None:
    if playlist_link is not None and not callable(playlist_link):
        raise ConfigurationError(
            f"playlist_link must be None or a function from a playlist's media URL to the URL "
            f"of the app's route for it, got {type(playlist_link).__name__}"
        )
    return playlist_link
