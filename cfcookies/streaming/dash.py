"""DASH manifests (MPD) rewritten so that every URL a player fetches from the granted folder
carries the folder's signed query.

:func:`rewrite_mpd` is pure: text in, text out. The app serves the MPD from its own origin
(``https://app.example.com/dash/...``), against which a player would resolve the manifest's
relative URLs, and relative URLs drop the query anyway. So:

**Base URLs** (ISO/IEC 23009-1 §5.6): ``BaseURL`` elements at the MPD, Period, AdaptationSet and
Representation levels resolve (RFC 3986) against their parent's base, the MPD's being
``manifest_url``.
Every ``BaseURL`` is written absolute, and an MPD without an MPD-level one gains one (the
directory of ``manifest_url``, after ``ProgramInformation`` as the schema orders them): every
other relative reference stays as written and resolves on the media host. A relative
``BaseURL`` under several alternative parents (CDNs) stays relative (its parents are absolute);
one that is not http(s), or that URL parsers could read differently, stays as written, and
nothing below it is signed.

**The query** goes after the path and any existing query (``?v=2`` becomes
``?v=2&Policy=...``), before any fragment, on each reference a player fetches:
``SegmentTemplate`` ``@media``, ``@initialization``, ``@index``, ``@bitstreamSwitching``;
``SegmentURL`` ``@media`` and ``@index``; ``@sourceURL`` of ``Initialization``,
``RepresentationIndex`` and ``BitstreamSwitching``; a ``BaseURL`` that is itself the media (its
path does not end in ``/``: single-file Representations, ``SegmentBase``). The query holds no
``$``, so ``$Number%05d$``, ``$Time$``, ``$RepresentationID$`` and ``$Bandwidth$`` keep working.

**Only inside the folder**: the query is a bearer token for the whole folder, so a reference
gets it only if every URL it resolves to (RFC 3986) has the folder's scheme and its authority
spelled exactly as ``folder_url`` spells it (no userinfo, no other port or case), a path under
the folder's, and the reference is written plainly: no backslash, whitespace or control
character; no ``%2e``, ``%2f`` or ``%5c`` (WHATWG parsers read ``%2e`` as a dot) or ``{$`` in
its path; a scheme only with ``//``; no ``.`` or ``..`` segment after a host (not every reader
removes them there). Anything else (another host, ``../`` out of the folder, ``course-10``
beside ``course-1``, ``data:`` and ``urn:`` references, ``UTCTiming``, ``Location``: a live
MPD's should name the app's route, which serves it rewritten) is left exactly as written. The
rule is the one :func:`~cfcookies.streaming.hls.rewrite_playlist` applies: a manifest and a
playlist sign the same references.

**Above the Representation**, a template or segment list is decided over every Representation
in its scope, with that Representation's bases, ``@id`` (``$RepresentationID$``) and
``@bandwidth``. When it resolves inside the folder for some and outside for others
(Representations on different hosts, alternative CDNs of which only one is the folder's), it
is refused rather than the document restructured: give each Representation its own template.

**Refused** with :class:`~cfcookies.exceptions.PlaylistError`, never rewritten: an http(s)
reference, wherever it points, already carrying ``Policy``, ``Signature``, ``Key-Pair-Id``,
``Expires`` or ``Hash-Algorithm`` (percent-encoded too; signed or rewritten already; the
message never shows the query); a ``BaseURL`` holding markup; a remote element (``xlink:href``)
inside the folder, whose content would come unrewritten; a ``<!DOCTYPE`` (so any entity:
expansion has no place in an MPD); more than ``max_bytes``, 64 levels of nesting or 1024
namespace declarations; malformed XML; a root that is not an ``MPD``.

**The XML** is read and written with :mod:`xml.etree.ElementTree`: what is not changed comes
back as it was, but for attribute quoting, ``<S />``, namespace declarations written first and
one line each for what stands around the root.
Prefixes are kept as spelled (``cenc:pssh``, ``xlink:href``, a default namespace), tracked from
the parser's namespace events, never through ElementTree's process-wide registry (where two
prefixes in scope name one namespace, the one declared last is written). The XML declaration
is kept, its ``encoding`` saying ``UTF-8``: the result is text, to be served as UTF-8.

The ``mpegdash`` package is not used here: it would be a new dependency, and its round trip
reorders and drops what it does not model. The tests use it as the independent parser that
re-reads every rewritten manifest.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..exceptions import ConfigurationError, PlaylistError
from ._urls import (
    URL,
    Folder,
    checked_url,
    is_foreign,
    is_plain,
    refuse_signed,
    resolve,
    split,
    with_query,
)

__all__ = ["MAX_MPD_BYTES", "rewrite_mpd"]

#: The largest manifest :func:`rewrite_mpd` reads (8 MiB): hours of ``SegmentTimeline`` or a long
#: ``SegmentList`` fit in well under a megabyte.
MAX_MPD_BYTES = 8 * 1024 * 1024

#: The MPD namespaces (compared lower-cased: early manifests spell it ``urn:mpeg:DASH:schema:MPD:
#: 2011``), or none.
_MPD_NAMESPACES = frozenset({"", "urn:mpeg:dash:schema:mpd:2011"})
_XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
#: Alternative base URLs one level may hold, all combinations counted.
_MAX_BASES = 64
#: How deep elements may nest (an MPD needs about ten levels; ElementTree writes recursively),
#: and how many namespace declarations a document may hold (each one copies the scope).
_MAX_DEPTH = 64
_MAX_DECLARATIONS = 1024

_SEGMENT_INFORMATION = ("SegmentBase", "SegmentList", "SegmentTemplate")
_TEMPLATE_ATTRIBUTES = ("media", "initialization", "index", "bitstreamSwitching")
_URL_ELEMENTS = ("Initialization", "RepresentationIndex", "BitstreamSwitching")

# The identifiers of a SegmentTemplate (§5.3.9.4.4); '$$' is a literal '$'.
_IDENTIFIER = re.compile(r"\$(RepresentationID|Number|Time|Bandwidth|SubNumber)?(%0\d+[diouxX])?\$")
_DECLARATION = re.compile(r"<\?xml[ \t\r\n][^>]*\?>")
_ENCODING = re.compile(r"(\bencoding[ \t\r\n]*=[ \t\r\n]*)([\"'])([^\"']*)\2")
_DECLARED_ENCODING = re.compile(
    rb"<\?xml[ \t\r\n][^>]*?\bencoding[ \t\r\n]*=[ \t\r\n]*[\"']([A-Za-z][A-Za-z0-9._\-]*)[\"']"
)


def rewrite_mpd(
    text: str | bytes,
    *,
    manifest_url: str,
    query: str,
    folder_url: str,
    max_bytes: int = MAX_MPD_BYTES,
) -> str:
    """The MPD ``text`` with every base absolute and ``query`` on every reference fetched from
    the folder (see the module's documentation for what is changed and what is refused).

    ``manifest_url`` is the MPD's absolute URL on the distribution: the base of its relative
    references, whatever URL the app serves it on and wherever the app read it from.
    ``query`` is the folder's signed query string, encoded, without ``?``
    (``Policy=...&Signature=...&Key-Pair-Id=...``, and ``&Hash-Algorithm=SHA256`` for such keys);
    ``folder_url`` the granted folder, ending in ``/``, its host in lowercase
    (``https://media.example.com/videos/course-1/`` for the resource
    ``https://media.example.com/videos/course-1/*``). ``text`` as
    bytes is UTF-8, or what its XML declaration names.

    Raises :class:`~cfcookies.exceptions.ConfigurationError` for arguments that can never work
    (a ``folder_url``, ``manifest_url``, ``query`` or ``max_bytes`` that cannot be used, checked as
    :func:`~cfcookies.streaming.hls.rewrite_playlist` checks them), and
    :class:`~cfcookies.exceptions.PlaylistError` for a manifest that cannot be rewritten safely.
    """
    folder = Folder.checked(folder_url, query)
    manifest = checked_url(manifest_url, "manifest_url")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ConfigurationError(f"max_bytes must be a whole number >= 1, got {max_bytes!r}")
    source = _read_text(text, max_bytes)
    document = _parse(source)
    _Rewrite(document, folder).run(manifest)
    return _serialize(document, source)


# --- reading ---------------------------------------------------------------------------------


def _read_text(text: str | bytes, max_bytes: int) -> str:
    """``text`` as a str without its byte order mark, within ``max_bytes``."""
    if isinstance(text, str):
        size = len(text) if len(text) > max_bytes else len(text.encode("utf-8", "surrogatepass"))
    elif isinstance(text, bytes):
        size = len(text)
    else:
        raise PlaylistError(f"the manifest must be str or bytes, got {type(text).__name__}")
    if size > max_bytes:
        raise PlaylistError(
            f"the manifest is over {max_bytes} bytes; pass a larger max_bytes if it is real"
        )
    if isinstance(text, bytes):
        text = _decode(text)
    return text.removeprefix("\ufeff")


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8"
    else:
        declared = _DECLARED_ENCODING.match(data)
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        raise PlaylistError(
            f"the manifest is not {encoding} text; decode it and pass a str"
        ) from None


def _split_name(name: str) -> tuple[str, str]:
    """``{namespace}local`` as ``(namespace, local)``; a name in no namespace as ``("", name)``."""
    if name.startswith("{"):
        namespace, local = name[1:].split("}", 1)
        return namespace, local
    return "", name


class _Namespaces:
    """The prefixes in scope (namespace -> prefixes, innermost last; ``""`` is the default
    namespace), and the names already spelled with them."""

    def __init__(self, prefixes: dict[str, list[str]]) -> None:
        self._prefixes = prefixes
        self._spelled: dict[tuple[str, bool], str] = {}

    def bind(self, declared: list[tuple[str, str]]) -> _Namespaces:
        """The scope inside an element declaring ``declared`` (prefix, namespace) pairs."""
        rebound = {prefix for prefix, _ in declared}
        prefixes = {
            namespace: [p for p in names if p not in rebound]
            for namespace, names in self._prefixes.items()
        }
        for prefix, uri in declared:
            if uri:
                prefixes.setdefault(uri, []).append(prefix)
        return _Namespaces(prefixes)

    def spell(self, name: str, *, attribute: bool = False) -> str:
        """``{namespace}local`` as the document spells it here: ``prefix:local`` or ``local``."""
        key = (name, attribute)
        spelled = self._spelled.get(key)
        if spelled is None:
            namespace, local = _split_name(name)
            spelled = local
            if namespace:
                # An attribute's namespace always has a prefix; an element's may be the default.
                prefix = [p for p in self._prefixes[namespace] if p or not attribute][-1]
                spelled = f"{prefix}:{local}" if prefix else local
            self._spelled[key] = spelled
        return spelled


class _Builder:
    """The parser's target: builds the tree with :class:`xml.etree.ElementTree.TreeBuilder`,
    with element and attribute names as the document spells them (``cenc:pssh``) and the
    namespace declarations as ``xmlns`` attributes, so that writing it back needs no prefix
    registry. Refuses a document type declaration, a root that is not an MPD, and documents
    past :data:`_MAX_DEPTH` or :data:`_MAX_DECLARATIONS`."""

    def __init__(self) -> None:
        self._tree = ET.TreeBuilder(insert_comments=True, insert_pis=True)
        self._namespaces = _Namespaces({_XML_NAMESPACE: ["xml"]})
        self._declared: list[tuple[str, str]] = []
        self._declarations = 0
        self._open: list[tuple[str, _Namespaces]] = []
        self._namespace = ""
        #: The local name of each expanded tag in the MPD's namespace, None for the others.
        self._locals: dict[str, str | None] = {}
        self.root: ET.Element | None = None
        self.prolog: list[ET.Element[Any]] = []
        self.epilog: list[ET.Element[Any]] = []
        #: The local name of each element in the MPD's namespace.
        self.names: dict[ET.Element, str] = {}
        #: The ``xlink:href`` attribute's name (as spelled) of each element that has one.
        self.xlinks: dict[ET.Element, str] = {}

    def start_ns(self, prefix: str, uri: str) -> None:
        self._declarations += 1
        if self._declarations > _MAX_DECLARATIONS:
            raise PlaylistError(
                f"the manifest declares more than {_MAX_DECLARATIONS} namespaces; declare each "
                f"once, on the MPD"
            )
        self._declared.append((prefix, uri))

    def start(self, tag: str, attrib: dict[str, str]) -> ET.Element:
        if len(self._open) >= _MAX_DEPTH:
            raise PlaylistError(
                f"the manifest nests elements more than {_MAX_DEPTH} deep; an MPD needs about ten"
            )
        if self.root is None:
            self._namespace = _root_namespace(tag)
        outer = namespaces = self._namespaces
        attributes: dict[str, str] = {}
        if self._declared:
            namespaces = self._namespaces = outer.bind(self._declared)
            for prefix, uri in self._declared:
                attributes[f"xmlns:{prefix}" if prefix else "xmlns"] = uri
            self._declared.clear()
        for name, value in attrib.items():
            attributes[namespaces.spell(name, attribute=True) if name[0] == "{" else name] = value
        spelled = namespaces.spell(tag)
        element = self._tree.start(spelled, attributes)
        self._open.append((spelled, outer))
        if self.root is None:
            self.root = element
        if tag not in self._locals:
            namespace, local = _split_name(tag)
            self._locals[tag] = local if namespace == self._namespace else None
        in_mpd_namespace = self._locals[tag]
        if in_mpd_namespace is not None:
            self.names[element] = in_mpd_namespace
        if _XLINK_HREF in attrib:
            self.xlinks[element] = namespaces.spell(_XLINK_HREF, attribute=True)
        return element

    def end(self, tag: str) -> ET.Element:
        spelled, self._namespaces = self._open.pop()
        return self._tree.end(spelled)

    def data(self, data: str) -> None:
        self._tree.data(data)

    def comment(self, text: str) -> ET.Element[Any]:
        if self._open:
            return self._tree.comment(text)
        return self._outside(ET.Comment(text))

    def pi(self, target: str, text: str | None = None) -> ET.Element[Any]:
        if self._open:
            return self._tree.pi(target, text)
        return self._outside(ET.ProcessingInstruction(target, text))

    def _outside(self, node: ET.Element[Any]) -> ET.Element[Any]:
        """A comment or processing instruction before or after the root, kept in order."""
        (self.prolog if self.root is None else self.epilog).append(node)
        return node

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise PlaylistError(
            "the manifest has a document type declaration (<!DOCTYPE ...>); an MPD needs none, "
            "and its entities are not expanded here: remove it at the origin"
        )

    def close(self) -> ET.Element:
        return self._tree.close()


def _root_namespace(tag: str) -> str:
    """The namespace of the root ``tag``, if it is an MPD's; else PlaylistError."""
    namespace, local = _split_name(tag)
    if local != "MPD" or namespace.lower() not in _MPD_NAMESPACES:
        raise PlaylistError(
            f"not a DASH manifest: the root element is {tag!r}, not an MPD "
            f"(urn:mpeg:dash:schema:mpd:2011)"
        )
    return namespace


@dataclass(frozen=True)
class _Document:
    """A parsed manifest: the root, what stands around it, and what :class:`_Builder` noted."""

    root: ET.Element
    prolog: list[ET.Element[Any]]
    epilog: list[ET.Element[Any]]
    names: dict[ET.Element, str]
    xlinks: dict[ET.Element, str]


def _parse(source: str) -> _Document:
    builder = _Builder()
    # S314: the target refuses a DTD, so no entity is ever declared (and expat bounds
    # amplification anyway); the text is bounded by max_bytes before it gets here.
    parser = ET.XMLParser(target=builder)  # noqa: S314
    try:
        parser.feed(source)
        root = parser.close()
    except ET.ParseError as exc:
        raise PlaylistError(f"the manifest is not well-formed XML: {exc}") from None
    return _Document(root, builder.prolog, builder.epilog, builder.names, builder.xlinks)


# --- rewriting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """A Representation a reference applies to: its bases and what its templates substitute
    (None above a level without Representations, where the identifier stays as written)."""

    bases: tuple[URL | None, ...]
    representation_id: str | None = None
    bandwidth: str | None = None


def _expand(template: str, scope: _Scope) -> str:
    """``template`` as it reads for ``scope``: the Representation's ``@id`` and ``@bandwidth``
    substituted, numbers and times as ``1`` (digits cannot leave the folder)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "RepresentationID" and scope.representation_id is not None:
            return scope.representation_id
        if name == "Bandwidth" and scope.bandwidth is not None:
            return scope.bandwidth
        if name in ("Number", "Time", "SubNumber"):
            return "1"
        if name is None and match.group(2) is None:
            return "$"
        return match.group(0)

    return _IDENTIFIER.sub(value, template)


def _target(reference: URL, base: URL | None) -> URL | None:
    """``reference`` resolved against ``base``, or None when nothing is signed under it: under
    a base that is None already, not http(s), or read otherwise by some URL parser."""
    if base is None or is_foreign(reference) or not is_plain(reference):
        return None
    return resolve(reference, base)


class _Rewrite:
    """One manifest's rewriting: walks MPD, Period, AdaptationSet and Representation with the
    bases in force at each, and rewrites the references in place."""

    def __init__(self, document: _Document, folder: Folder) -> None:
        self._root = document.root
        self._names = document.names
        self._xlinks = document.xlinks
        self._folder = folder

    def _children(self, element: ET.Element, *names: str) -> list[ET.Element]:
        return [child for child in element if self._names.get(child) in names]

    def run(self, manifest_url: URL) -> None:
        if not self._children(self._root, "BaseURL"):
            self._insert_base(resolve(split("."), manifest_url).text())
        mpd_bases = self._bases(self._root, (manifest_url,))
        for period in self._children(self._root, "Period"):
            self._remote(period, mpd_bases)
            period_bases = self._bases(period, mpd_bases)
            in_period: list[_Scope] = []
            for adaptation_set in self._children(period, "AdaptationSet"):
                self._remote(adaptation_set, period_bases)
                set_bases = self._bases(adaptation_set, period_bases)
                in_set: list[_Scope] = []
                for representation in self._children(adaptation_set, "Representation"):
                    scope = _Scope(
                        self._bases(representation, set_bases),
                        representation.get("id"),
                        representation.get("bandwidth"),
                    )
                    self._segments(representation, [scope])
                    in_set.append(scope)
                self._segments(adaptation_set, in_set or [_Scope(set_bases)])
                in_period.extend(in_set)
            for event_stream in self._children(period, "EventStream"):
                self._remote(event_stream, period_bases)
            self._segments(period, in_period or [_Scope(period_bases)])

    def _insert_base(self, directory: str) -> None:
        """An MPD-level ``BaseURL`` for the manifest's directory, after ``ProgramInformation``
        (the schema's order), indented as its neighbours are."""
        root = self._root
        index = 0
        for position, child in enumerate(root):
            if self._names.get(child) == "ProgramInformation":
                index = position + 1
        prefix, colon, _ = root.tag.rpartition(":")
        element = ET.Element(f"{prefix}{colon}BaseURL")
        element.text = directory
        element.tail = root[index - 1].tail if index else root.text
        root.insert(index, element)
        self._names[element] = "BaseURL"

    def _bases(
        self, element: ET.Element, parents: tuple[URL | None, ...]
    ) -> tuple[URL | None, ...]:
        """The bases in force inside ``element``: its ``BaseURL`` children resolved against
        ``parents`` (each written absolute, and signed when it is a file), else ``parents``.
        None stands for a base no URL below is signed under (:func:`_target`)."""
        bases: list[URL | None] = []
        for base_url in self._children(element, "BaseURL"):
            if len(base_url):
                # A player reads the text around a comment as one URL, ElementTree as two.
                raise PlaylistError(
                    "a BaseURL holds a comment, processing instruction or element; write its "
                    "URL as plain text"
                )
            written = (base_url.text or "").strip()
            reference = split(written)
            if not is_foreign(reference):
                refuse_signed(reference, "BaseURL")
            targets = list(dict.fromkeys(_target(reference, parent) for parent in parents))
            if len(targets) == 1 and targets[0] is not None:
                written = base_url.text = targets[0].text()
            is_file = any(url is not None and not url.path.endswith("/") for url in targets)
            if is_file and self._signs([(reference, url) for url in targets], "BaseURL"):
                base_url.text = with_query(written, self._folder.query)
            bases.extend(targets)
        if len(set(bases)) > _MAX_BASES:
            raise PlaylistError(
                f"the manifest names more than {_MAX_BASES} alternative base URLs for one "
                f"element; it cannot be checked URL by URL"
            )
        return tuple(dict.fromkeys(bases)) if bases else parents

    def _segments(self, element: ET.Element, scopes: list[_Scope]) -> None:
        """The references of ``element``'s segment information, decided over ``scopes``
        (templates per Representation; other references over all their bases at once)."""
        merged = [_Scope(tuple(dict.fromkeys(b for scope in scopes for b in scope.bases)))]
        for information in self._children(element, *_SEGMENT_INFORMATION):
            name = self._names[information]
            if name == "SegmentTemplate":
                for attribute in _TEMPLATE_ATTRIBUTES:
                    self._reference(information, attribute, scopes, template=True)
            if name == "SegmentList":
                self._remote(information, merged[0].bases)
            for segment_url in self._children(information, "SegmentURL"):
                self._reference(segment_url, "media", merged)
                self._reference(segment_url, "index", merged)
            for url in self._children(information, *_URL_ELEMENTS):
                self._reference(url, "sourceURL", merged)

    def _reference(
        self, element: ET.Element, attribute: str, scopes: list[_Scope], *, template: bool = False
    ) -> None:
        value = element.get(attribute)
        if value is None:
            return
        written = value.strip()
        reference = split(written)
        if is_foreign(reference):
            return
        where = f"{self._names[element]}@{attribute}"
        refuse_signed(reference, where)
        decided: list[tuple[URL, URL | None]] = []
        for scope in scopes:
            read = split(_expand(written, scope)) if template else reference
            decided.extend((read, _target(read, base)) for base in scope.bases)
        if self._signs(decided, where):
            element.set(attribute, with_query(written, self._folder.query))

    def _signs(self, decided: Iterable[tuple[URL, URL | None]], where: str) -> bool:
        """True when every reading of a reference (as written, and its target under one base)
        is inside the folder, False when none is; PlaylistError when some are and some not."""
        verdicts = {self._folder.holds(reference, target) for reference, target in decided}
        if len(verdicts) > 1:
            raise PlaylistError(
                f"{where} resolves inside the folder for some Representations or base URLs and "
                f"outside it for others, so one query cannot be given to it safely: give each "
                f"Representation its own SegmentTemplate or BaseURL"
            )
        return True in verdicts

    def _remote(self, element: ET.Element, bases: tuple[URL | None, ...]) -> None:
        """Refuse a remote element (``xlink:href``) inside the folder: what it fetches would
        come unrewritten. Elsewhere, or ``urn:mpeg:dash:resolve-to-zero:2013``, it is kept."""
        name = self._xlinks.get(element)
        if name is None:
            return
        written = element.get(name, "").strip()
        reference = split(written)
        if any(self._folder.holds(reference, _target(reference, base)) for base in bases):
            raise PlaylistError(
                f"{self._names[element]} has xlink:href={written!r} inside the folder; its "
                f"content would reach the player unrewritten: resolve remote elements at the "
                f"origin"
            )


# --- writing ---------------------------------------------------------------------------------


def _serialize(document: _Document, source: str) -> str:
    """The document as text: the XML declaration (saying UTF-8), the comments and processing
    instructions around the root, one a line, and the root."""
    parts: list[str] = []
    declaration = _DECLARATION.match(source)
    if declaration:
        parts.append(_ENCODING.sub(_utf8_encoding, declaration.group()))
    parts.extend(ET.tostring(node, encoding="unicode") for node in document.prolog)
    parts.append(ET.tostring(document.root, encoding="unicode"))
    parts.extend(ET.tostring(node, encoding="unicode") for node in document.epilog)
    return "\n".join(parts) + ("\n" if source.endswith("\n") else "")


def _utf8_encoding(match: re.Match[str]) -> str:
    if match.group(3).lower() in ("utf-8", "utf8"):
        return match.group()
    return f"{match.group(1)}{match.group(2)}UTF-8{match.group(2)}"
