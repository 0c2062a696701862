"""The URLs of a rewritten playlist or manifest: references split and resolved as RFC 3986 says,
the one decision of which of them get the folder's query, and the arguments that name the folder,
its query and the document's own URL, checked.

Private to :mod:`cfcookies.streaming.hls` and :mod:`cfcookies.streaming.dash`, so that an HLS
playlist and a DASH manifest sign exactly the same references.

Which references get the query
    The query is a bearer token for the whole folder, so a reference gets it only if every reader
    (the player's URL parser, CloudFront, this module) surely takes it to the same place in the
    folder. :meth:`Folder.holds` says yes when the reference, as written, is *plain*
    (:func:`is_plain`):

    * no whitespace, control character or backslash anywhere: WHATWG parsers (browsers, hls.js,
      dash.js) drop tabs and line breaks anywhere, trim spaces and controls, and read ``\\`` as
      ``/``;
    * no ``%2e``, ``%2f`` or ``%5c`` (in either case) in its path: WHATWG parsers take ``%2e`` as a
      dot, RFC 3986 and CloudFront do not; and no ``{$`` there either (an HLS ``EXT-X-DEFINE``
      variable changes the path after it was decided);
    * a scheme only with ``//`` (``https:x`` is relative to some parsers, ``http:/x`` names the
      host ``x`` to others), and no ``.`` or ``..`` segment in the path of a URL written with a
      host: not every reader removes them there (Python's ``urljoin`` keeps them);

    and when it resolves to the folder's scheme (in any case), the folder's authority spelled
    exactly as ``folder_url`` spells it (so no user name, no port the folder does not write, no
    capital letters), and a path under the folder's path, still free of the spellings above.
    ``https://MEDIA.example.com/…`` and ``https://media.example.com:443/…`` reach the same server
    and are refused all the same: a document should spell the media host as ``folder_url`` does,
    or use relative references.

What is checked once per call
    :func:`checked_url` (the playlist's or manifest's own URL) and :meth:`Folder.checked`
    (``folder_url`` and ``query``) raise :class:`~cfcookies.exceptions.ConfigurationError`: the
    app passes them, and a wrong one can never work. What the document holds is the document's
    fault: :func:`refuse_signed` raises :class:`~cfcookies.exceptions.PlaylistError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote

from ..exceptions import ConfigurationError, PlaylistError, ResourceError
from ..policy import normalize_prefix
from ..signing import SIGNED_URL_PARAMS

__all__ = [
    "URL",
    "Folder",
    "checked_url",
    "is_foreign",
    "is_plain",
    "refuse_signed",
    "resolve",
    "split",
    "with_query",
]

# RFC 3986 appendix B's scheme: anything up to the first ':' before any '/', '?' or '#'.
_SCHEME_PREFIX = re.compile(r"([^:/?#]+):")
# Read differently by different parsers, anywhere in a reference (\s: Unicode whitespace too).
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\\]")
# Read differently by different parsers, in a path.
_AMBIGUOUS_PATH = re.compile(r"%(?:2e|2f|5c)|\\|\{\$", re.IGNORECASE)
_DOT_SEGMENT = re.compile(r"(?:^|/)\.\.?(?:/|$)")
_LOWER_AUTHORITY = re.compile(r"[a-z0-9.\-]+(?::[0-9]+)?|\[[0-9a-f:.]+\](?::[0-9]+)?")
_URL_TEXT = re.compile(r"[\x21-\x7e]+")
# CloudFront base64 ('-', '_', '~'), key IDs and algorithm names: no percent-encoding, no '$'
# (DASH templates), '?', '#' or quote; '&' only between parameters.
_QUERY_TEXT = re.compile(r"[A-Za-z0-9._~=-]+(?:&[A-Za-z0-9._~=-]+)*")
#: The revocation session token a folder query carries beside the signature when the edge
#: checks sessions (``CloudFrontCookies.signed_query`` with ``session_secrets``): the same five
#: fields as the session cookie (cfcookies.revocation.token), under the cookie's name.
_SESSION_TOKEN = re.compile(
    r"[A-Za-z0-9_-]{1,64}\.(?:[A-Za-z0-9_-]{1,64})?\.[0-9]{1,12}\.[0-9]{1,12}\.[A-Za-z0-9_-]{43}"
)
_REQUIRED_PARAMS = ("Policy", "Signature", "Key-Pair-Id")


class URL(NamedTuple):
    """A URI reference in its five RFC 3986 parts. A scheme is never empty, so ``""`` is no
    scheme; for the others, ``None`` is absent and ``""`` present but empty."""

    scheme: str
    authority: str | None
    path: str
    query: str | None
    fragment: str | None

    def text(self) -> str:
        """Recompose the reference (RFC 3986 §5.3): the very text :func:`split` was given."""
        parts = [self.scheme + ":"] if self.scheme else []
        if self.authority is not None:
            parts.append("//" + self.authority)
        parts.append(self.path)
        if self.query is not None:
            parts.append("?" + self.query)
        if self.fragment is not None:
            parts.append("#" + self.fragment)
        return "".join(parts)


def split(reference: str) -> URL:
    """The five parts of a URI reference, as RFC 3986 appendix B splits them."""
    rest, hash_mark, fragment = reference.partition("#")
    rest, question_mark, query = rest.partition("?")
    scheme = _SCHEME_PREFIX.match(rest)
    if scheme is not None:
        rest = rest[scheme.end() :]
    authority = None
    if rest.startswith("//"):
        slash = rest.find("/", 2)
        slash = len(rest) if slash < 0 else slash
        authority, rest = rest[2:slash], rest[slash:]
    return URL(
        scheme.group(1) if scheme is not None else "",
        authority,
        rest,
        query if question_mark else None,
        fragment if hash_mark else None,
    )


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, on whole segments: only a literal ``.`` or ``..`` is a dot segment."""
    if not _DOT_SEGMENT.search(path):
        return path
    absolute = path.startswith("/")
    segments = path.split("/")[1:] if absolute else path.split("/")
    kept: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "..":
            if kept:
                kept.pop()
            if last:
                kept.append("")
        elif segment == ".":
            if last:
                kept.append("")
        else:
            kept.append(segment)
    return ("/" if absolute else "") + "/".join(kept)


def resolve(reference: URL, base: URL) -> URL:
    """The target URI of ``reference`` against the absolute ``base`` (RFC 3986 §5.2.2, strict)."""
    if reference.scheme:
        return reference._replace(path=_remove_dot_segments(reference.path))
    if reference.authority is not None:
        return reference._replace(scheme=base.scheme, path=_remove_dot_segments(reference.path))
    if not reference.path:
        path = base.path
        query = reference.query if reference.query is not None else base.query
    else:
        query = reference.query
        if reference.path.startswith("/"):
            path = reference.path
        elif base.authority is not None and not base.path:  # §5.2.3: https://host + x
            path = "/" + reference.path
        else:
            path = base.path[: base.path.rfind("/") + 1] + reference.path
        path = _remove_dot_segments(path)
    return URL(base.scheme, base.authority, path, query, reference.fragment)


def is_foreign(reference: URL) -> bool:
    """Whether ``reference`` has a scheme other than http(s) (``skd:``, ``data:``, ``urn:``, or
    text before a colon that is no scheme at all): it is left exactly as written."""
    return bool(reference.scheme) and reference.scheme.lower() not in ("http", "https")


def is_plain(reference: URL) -> bool:
    """Whether every reader takes ``reference``, as written, to the same place (see the module's
    documentation)."""
    return not (
        _UNSAFE.search(reference.text())
        or _AMBIGUOUS_PATH.search(reference.path)
        or (reference.scheme and reference.authority is None)
        or (reference.authority is not None and _DOT_SEGMENT.search(reference.path))
    )


def with_query(reference: str, query: str) -> str:
    """``reference`` with ``query`` after its path and existing query, before its fragment."""
    head, hash_mark, fragment = reference.partition("#")
    if "?" not in head:
        separator = "?"
    elif head.endswith(("?", "&")):
        separator = ""
    else:
        separator = "&"
    return f"{head}{separator}{query}{hash_mark}{fragment}"


def refuse_signed(reference: URL, where: str) -> None:
    """PlaylistError if ``reference``'s query carries a CloudFront signing parameter, as sent or
    percent-decoded (``%50olicy``): signed already, or a document rewritten once already.
    ``where`` starts the message (``line 3: the URI``); the query itself is never shown."""
    names = {part.partition("=")[0] for part in (reference.query or "").split("&")}
    present = sorted(set(SIGNED_URL_PARAMS) & (names | {unquote(name) for name in names}))
    if present:
        shown = reference._replace(query=None, fragment=None).text()
        raise PlaylistError(
            f"{where} {shown} already carries {', '.join(present)}: it is signed, or the "
            f"document was rewritten already, and a second signature would change what "
            f"CloudFront judges the request on; rewrite the origin's document as stored"
        )


def checked_url(url: object, name: str) -> URL:
    """An absolute http(s) URL with a lowercase host and nothing ambiguous in its path; else
    ConfigurationError naming the argument ``name``."""
    parts = split(url) if isinstance(url, str) and _URL_TEXT.fullmatch(url) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.authority
        or not _LOWER_AUTHORITY.fullmatch(parts.authority)
        or not parts.path.startswith("/")
        or parts.fragment is not None
    ):
        raise ConfigurationError(
            f"{name} must be an absolute http:// or https:// URL with a lowercase host, no user "
            f"name and no fragment (like https://media.example.com/videos/course-1/), got "
            f"{url!r:.200}"
        )
    if _AMBIGUOUS_PATH.search(parts.path) or _DOT_SEGMENT.search(parts.path):
        raise ConfigurationError(
            f"{name} must not hold '.' or '..' segments, %2e, %2f, %5c, backslashes or {{$; "
            f"got {url!r:.200}"
        )
    return parts


@dataclass(frozen=True)
class Folder:
    """The granted folder and its signed query, checked: which references get the query."""

    url: URL
    query: str

    @classmethod
    def checked(cls, folder_url: object, query: object) -> Folder:
        """``folder_url`` and ``query`` as a rewriter's caller passes them, checked."""
        return cls(_checked_folder(folder_url), _checked_query(query))

    def holds(self, reference: URL, target: URL | None) -> bool:
        """Whether ``reference`` (as written) gets the query, ``target`` being what it resolves
        to (None: a base nothing below is signed under). The one decision, for every format."""
        return (
            target is not None
            and target.scheme.lower() == self.url.scheme
            and target.authority == self.url.authority
            and target.path.startswith(self.url.path)
            and not _AMBIGUOUS_PATH.search(target.path)
            and is_plain(reference)
        )


def _checked_folder(folder_url: object) -> URL:
    folder = checked_url(folder_url, "folder_url")
    if folder.query is not None or not folder.path.endswith("/") or "*" in folder.path:
        raise ConfigurationError(
            f"folder_url must be the granted folder's URL, ending in '/', with no query and "
            f"no wildcard (https://media.example.com/videos/course-1/ for the resource "
            f"https://media.example.com/videos/course-1/*), got {folder_url!r:.200}"
        )
    try:
        normalized = normalize_prefix(folder.path)
    except ResourceError as exc:
        reason = str(exc)
    else:
        reason = f"it would be {normalized!r}"
        if normalized == folder.path:
            return folder
    raise ConfigurationError(
        f"folder_url's path must be written as CloudFront compares it (percent-encoded once, "
        f"escapes in capitals), got {folder.path!r:.200}: {reason}"
    )


def _checked_query(query: object) -> str:
    """The folder's signed query: Policy, Signature and Key-Pair-Id (and Hash-Algorithm)."""
    if not isinstance(query, str) or not _QUERY_TEXT.fullmatch(query):
        raise ConfigurationError(
            "query must be the signed query string without '?': Policy=...&Signature=...&"
            "Key-Pair-Id=... (CloudFront base64 and key IDs need no percent-encoding)"
        )
    pairs = [part.partition("=") for part in query.split("&")]
    names = [name for name, _, _ in pairs]
    allowed = {*_REQUIRED_PARAMS, "Hash-Algorithm"}
    missing = [name for name in _REQUIRED_PARAMS if name not in names]
    others = [(name, value) for name, _, value in pairs if name not in allowed]
    session_token = len(others) == 1 and _SESSION_TOKEN.fullmatch(others[0][1]) is not None
    if missing or len(set(names)) != len(names) or (others and not session_token):
        lacks = f"query lacks {', '.join(missing)}: " if missing else ""
        raise ConfigurationError(
            f"{lacks}query must hold Policy, Signature and Key-Pair-Id once each (and "
            f"Hash-Algorithm, and the revocation session token), nothing else, got the "
            f"parameters {', '.join(names)}; a canned policy's Expires covers one URL, so sign "
            f"a custom policy for folder_url + '*'"
        )
    return query
