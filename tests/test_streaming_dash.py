"""cfcookies.streaming.dash: MPDs rewritten so that every URL fetched from the folder carries its
signed query, re-read with an independent parser (``mpegdash``) and played as a player would,
from the app's origin."""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.sax.saxutils import escape

import pytest
from mpegdash.parser import MPEGDASHParser

from cfcookies.exceptions import ConfigurationError, PlaylistError
from cfcookies.keys import KeyRing, PrivateKey, PublicKey, SigningKey
from cfcookies.signing import Signer
from cfcookies.streaming.dash import MAX_MPD_BYTES, rewrite_mpd
from cfcookies.verify import verify_request
from tests.support import ECDSA_KEY_ID, FakeClock

MEDIA_HOST = "media.example.com"
FOLDER = "https://media.example.com/videos/course-1/"
MANIFEST_URL = FOLDER + "manifest.mpd"
#: Where the app serves the rewritten manifest: the URL a player resolves it against.
APP_URL = "https://app.example.com/dash/x.mpd"
MPD_NS = "urn:mpeg:dash:schema:mpd:2011"
OPEN = f'<MPD xmlns="{MPD_NS}" type="static" profiles="urn:mpeg:dash:profile:isoff-live:2011">'
#: A Representation, for manifests built around one reference.
REP = '<Representation id="v1" bandwidth="500000">{}</Representation>'


def mpd(*period_content: str, head: str = "") -> str:
    """An MPD with ``head`` (MPD-level elements) and one Period per argument."""
    periods = "".join(
        f'<Period id="p{i}">{content}</Period>' for i, content in enumerate(period_content)
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{OPEN}{head}{periods}</MPD>\n'


def adaptation_set(*representations: str, extra: str = "", set_id: int = 1) -> str:
    inside = extra + "".join(representations)
    return f'<AdaptationSet id="{set_id}" mimeType="video/mp4">{inside}</AdaptationSet>'


def xml_text(value: str) -> str:
    """``value`` escaped for an attribute or element text, tabs and line breaks kept."""
    return escape(value, {'"': "&quot;", "\t": "&#9;", "\n": "&#10;"})


def read_xml(text: str) -> ET.Element:
    """A manifest the tests wrote or rewrote, read with ElementTree."""
    return ET.fromstring(text)  # noqa: S314 - the tests' own documents


def one_reference(segment_information: str, base: str = "") -> str:
    """An MPD whose one Representation holds ``base`` and ``segment_information``."""
    return mpd(adaptation_set(REP.format(base + segment_information)))


# --- the manifests -----------------------------------------------------------------------------

NUMBER_AND_TIMELINE = f"""<?xml version="1.0" encoding="UTF-8"?>
{OPEN}
  <Period id="p0">
    <AdaptationSet id="1" contentType="video" mimeType="video/mp4">
      <Representation id="720p" bandwidth="3000000" codecs="avc1.64001f" width="1280" height="720">
        <SegmentTemplate timescale="1000" duration="2000" startNumber="1"
            initialization="video/init-$RepresentationID$.mp4" media="video/seg-$Number%05d$.m4s"/>
      </Representation>
    </AdaptationSet>
    <AdaptationSet id="2" contentType="audio" mimeType="audio/mp4">
      <Representation id="audio" bandwidth="128000" codecs="mp4a.40.2">
        <SegmentTemplate timescale="48000" initialization="audio/init.mp4" media="audio/$Time$.m4s">
          <SegmentTimeline><S t="0" d="96000" r="2"/></SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"""

SET_TEMPLATE = f"""<?xml version="1.0" encoding="UTF-8"?>
{OPEN}
  <ProgramInformation><Title>Course 1</Title></ProgramInformation>
  <Location>https://app.example.com/dash/x.mpd</Location>
  <Period id="p0">
    <AdaptationSet id="1" mimeType="video/mp4">
      <SegmentTemplate timescale="1" duration="4" startNumber="0"
          initialization="$RepresentationID$/init.mp4"
          media="$RepresentationID$/$Bandwidth$-$Number$.m4s"/>
      <Representation id="360p" bandwidth="800000"/>
      <Representation id="1080p" bandwidth="5000000"/>
    </AdaptationSet>
  </Period>
</MPD>
"""

SEGMENT_LIST = f"""<?xml version="1.0" encoding="UTF-8"?>
{OPEN}
  <BaseURL>list/</BaseURL>
  <Period id="p0">
    <AdaptationSet id="1" mimeType="video/mp4">
      <Representation id="v1" bandwidth="500000">
        <SegmentList timescale="1" duration="4">
          <Initialization sourceURL="init.mp4"/>
          <SegmentURL media="s1.m4s"/>
          <SegmentURL media="s2.m4s" index="s2.sidx"/>
          <SegmentURL media="../../course-2/stolen.m4s"/>
        </SegmentList>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"""

SEGMENT_BASE = f"""<?xml version="1.0" encoding="UTF-8"?>
{OPEN}
  <Period id="p0">
    <AdaptationSet id="1" mimeType="video/mp4">
      <Representation id="v1" bandwidth="500000">
        <BaseURL>files/video.mp4</BaseURL>
        <SegmentBase indexRange="800-1999">
          <Initialization range="0-799"/>
          <RepresentationIndex sourceURL="video.sidx"/>
        </SegmentBase>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"""

MULTI_PERIOD = f"""<?xml version="1.0" encoding="UTF-8"?>
{OPEN}
  <BaseURL>./</BaseURL>
  <Period id="p0">
    <BaseURL>part-1/</BaseURL>
    <AdaptationSet id="1" mimeType="video/mp4">
      <BaseURL>video/</BaseURL>
      <Representation id="v1" bandwidth="500000">
        <SegmentTemplate timescale="1" duration="2" media="seg-$Number$.m4s"/>
      </Representation>
    </AdaptationSet>
  </Period>
  <Period id="p1">
    <BaseURL>https://media.example.com/videos/course-1/part-2/</BaseURL>
    <AdaptationSet id="1" mimeType="video/mp4">
      <Representation id="v1" bandwidth="500000">
        <BaseURL>whole.mp4</BaseURL>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"""

OTHER_HOST = f"""<?xml version="1.0" encoding="UTF-8"?>
{OPEN}
  <Period id="p0">
    <AdaptationSet id="1" mimeType="video/mp4">
      <Representation id="v1" bandwidth="500000">
        <BaseURL>https://cdn.other.example/videos/course-1/</BaseURL>
        <SegmentTemplate timescale="1" duration="2" initialization="init.mp4" media="$Number$.m4s"/>
      </Representation>
    </AdaptationSet>
    <AdaptationSet id="2" mimeType="audio/mp4">
      <Representation id="a1" bandwidth="64000">
        <BaseURL>https://cdn.other.example/videos/course-1/audio.mp4</BaseURL>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"""

PERIOD_TEMPLATE = f"""<?xml version="1.0" encoding="UTF-8"?>
{OPEN}
  <Period id="p0">
    <SegmentTemplate timescale="1" duration="2" initialization="$RepresentationID$/init.mp4"
        media="$RepresentationID$/$Number$.m4s"/>
    <AdaptationSet id="1" mimeType="video/mp4">
      <Representation id="v1" bandwidth="500000"/>
    </AdaptationSet>
    <AdaptationSet id="2" mimeType="audio/mp4">
      <Representation id="a1" bandwidth="64000"/>
    </AdaptationSet>
  </Period>
</MPD>
"""

EXISTING_QUERY = f"""<?xml version="1.0" encoding="UTF-8"?>
{OPEN}
  <Period id="p0">
    <AdaptationSet id="1" mimeType="video/mp4">
      <Representation id="v1" bandwidth="500000">
        <SegmentTemplate timescale="1" duration="2" initialization="init.mp4?v=2#t=0"
            media="seg-$Number$.m4s?v=2&amp;n=$Number$"/>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"""

NAMESPACED = """<?xml version="1.0" encoding="UTF-8"?>
<!-- packaged by hand -->
<?xml-stylesheet type="text/xsl" href="mpd.xsl"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:cenc="urn:mpeg:cenc:2013" xmlns:dashif="https://dashif.org/CPS" type="static">
  <Period id="ad" xlink:href="https://ads.example.net/break.xml" xlink:actuate="onLoad"/>
  <Period id="p0">
    <AdaptationSet id="1" mimeType="video/mp4">
      <ContentProtection schemeIdUri="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"
          cenc:default_KID="10000000-1000-1000-1000-100000000001">
        <cenc:pssh>AAAAOHBzc2gAAAAA7e+LqXnWSs6jyCfc1R0h7QAAABgSEBAAAAAQABAAEAAQAAAAAAE=</cenc:pssh>
        <dashif:Laurl>https://license.example.net/widevine</dashif:Laurl>
      </ContentProtection>
      <!-- one rendition -->
      <Representation id="v1" bandwidth="500000">
        <SegmentTemplate timescale="1" duration="2" initialization="init.mp4" media="$Number$.m4s"/>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
<!-- end -->
"""

P0 = "periods[0].adaptation_sets[0].representations[0]"
P0_AUDIO = "periods[0].adaptation_sets[1].representations[0]"
P1 = "periods[1].adaptation_sets[0].representations[0]"
#: The manifests, and each reference the rewriting changes (path in mpegdash's model: value,
#: ``{q}`` standing for the query); every other reference must come back as it was.
CASES = [
    pytest.param(
        NUMBER_AND_TIMELINE,
        {
            "base_urls[0].base_url_value": FOLDER,
            f"{P0}.segment_templates[0].initialization": "video/init-$RepresentationID$.mp4?{q}",
            f"{P0}.segment_templates[0].media": "video/seg-$Number%05d$.m4s?{q}",
            f"{P0_AUDIO}.segment_templates[0].initialization": "audio/init.mp4?{q}",
            f"{P0_AUDIO}.segment_templates[0].media": "audio/$Time$.m4s?{q}",
        },
        id="number-and-timeline",
    ),
    pytest.param(
        SET_TEMPLATE,
        {
            "base_urls[0].base_url_value": FOLDER,
            "periods[0].adaptation_sets[0].segment_templates[0].initialization": (
                "$RepresentationID$/init.mp4?{q}"
            ),
            "periods[0].adaptation_sets[0].segment_templates[0].media": (
                "$RepresentationID$/$Bandwidth$-$Number$.m4s?{q}"
            ),
        },
        id="adaptation-set-template",
    ),
    pytest.param(
        SEGMENT_LIST,
        {
            "base_urls[0].base_url_value": FOLDER + "list/",
            f"{P0}.segment_lists[0].initializations[0].source_url": "init.mp4?{q}",
            f"{P0}.segment_lists[0].segment_urls[0].media": "s1.m4s?{q}",
            f"{P0}.segment_lists[0].segment_urls[1].media": "s2.m4s?{q}",
            f"{P0}.segment_lists[0].segment_urls[1].index": "s2.sidx?{q}",
        },
        id="segment-list-and-out-of-folder",
    ),
    pytest.param(
        SEGMENT_BASE,
        {
            "base_urls[0].base_url_value": FOLDER,
            f"{P0}.base_urls[0].base_url_value": FOLDER + "files/video.mp4?{q}",
            f"{P0}.segment_bases[0].representation_indexes[0].source_url": "video.sidx?{q}",
        },
        id="segment-base-single-file",
    ),
    pytest.param(
        MULTI_PERIOD,
        {
            "base_urls[0].base_url_value": FOLDER,
            "periods[0].base_urls[0].base_url_value": FOLDER + "part-1/",
            "periods[0].adaptation_sets[0].base_urls[0].base_url_value": FOLDER + "part-1/video/",
            f"{P0}.segment_templates[0].media": "seg-$Number$.m4s?{q}",
            f"{P1}.base_urls[0].base_url_value": FOLDER + "part-2/whole.mp4?{q}",
        },
        id="multi-period-nested-bases",
    ),
    pytest.param(
        PERIOD_TEMPLATE,
        {
            "base_urls[0].base_url_value": FOLDER,
            "periods[0].segment_templates[0].initialization": "$RepresentationID$/init.mp4?{q}",
            "periods[0].segment_templates[0].media": "$RepresentationID$/$Number$.m4s?{q}",
        },
        id="period-template",
    ),
    pytest.param(OTHER_HOST, {"base_urls[0].base_url_value": FOLDER}, id="other-host"),
    pytest.param(
        EXISTING_QUERY,
        {
            "base_urls[0].base_url_value": FOLDER,
            f"{P0}.segment_templates[0].initialization": "init.mp4?v=2&{q}#t=0",
            f"{P0}.segment_templates[0].media": "seg-$Number$.m4s?v=2&n=$Number$&{q}",
        },
        id="existing-query",
    ),
    pytest.param(
        NAMESPACED,
        {
            "base_urls[0].base_url_value": FOLDER,
            f"{P1}.segment_templates[0].initialization": "init.mp4?{q}",
            f"{P1}.segment_templates[0].media": "$Number$.m4s?{q}",
        },
        id="namespaced",
    ),
]


# --- the query, the rewriting, and a player ------------------------------------------------------


def folder_query(signer: Signer, clock: FakeClock) -> str:
    """The folder's query as cfcookies makes it: a custom policy for ``FOLDER*``."""
    signed = signer.sign_url(
        FOLDER + "manifest.mpd", resource=FOLDER + "*", date_less_than=clock.epoch + 3600
    )
    return signed.split("?", 1)[1]


@pytest.fixture
def query(signer: Signer, clock: FakeClock) -> str:
    return folder_query(signer, clock)


def rewrite(text: str | bytes, query: str, **options: Any) -> str:
    arguments: dict[str, Any] = {"manifest_url": MANIFEST_URL, "folder_url": FOLDER}
    arguments.update(options)
    return rewrite_mpd(text, query=query, **arguments)


def flatten(node: Any, path: str = "") -> dict[str, Any]:
    """mpegdash's model as ``{path: value}``, ``path`` like ``periods[0].base_urls[0].media``."""
    if isinstance(node, list):
        flat: dict[str, Any] = {}
        for index, item in enumerate(node):
            flat.update(flatten(item, f"{path}[{index}]"))
        return flat
    if hasattr(node, "__dict__"):
        flat = {}
        for name, value in vars(node).items():
            flat.update(flatten(value, f"{path}.{name}" if path else name))
        return flat
    return {path: node}


URL_FIELDS = frozenset(
    {"base_url_value", "media", "initialization", "index", "source_url", "bitstream_switching"}
)


def split_model(text: str) -> tuple[dict[str, str], dict[str, Any]]:
    """The manifest read by mpegdash: its URL references, and everything else."""
    flat = flatten(MPEGDASHParser.parse(text))
    references = {
        path: value
        for path, value in flat.items()
        if path.rsplit(".", 1)[-1] in URL_FIELDS and isinstance(value, str)
    }
    return references, {path: v for path, v in flat.items() if path not in references}


TEMPLATE_IDENTIFIER = re.compile(r"\$(RepresentationID|Number|Time|Bandwidth)?(?:%0(\d+)d)?\$")


def fill(template: str, representation: Any, number: int, time: int) -> str:
    """A SegmentTemplate's string for one segment, as a player fills it in (§5.3.9.4.4)."""

    def value(match: re.Match[str]) -> str:
        name, width = match.group(1), match.group(2)
        if name is None:
            return "$"
        raw = {
            "RepresentationID": representation.id,
            "Bandwidth": representation.bandwidth,
            "Number": number,
            "Time": time,
        }[name]
        return str(raw).zfill(int(width)) if width else str(raw)

    return TEMPLATE_IDENTIFIER.sub(value, template)


def nearest(levels: list[Any], name: str) -> Any:
    """The first of ``levels`` (Representation, AdaptationSet, Period) holding ``name``."""
    return next((getattr(level, name)[0] for level in levels if getattr(level, name)), None)


def template_urls(template_levels: list[Any], representation: Any) -> list[str]:
    """The initialization and the first three media segments of a (merged) SegmentTemplate."""

    def attribute(name: str) -> Any:
        return next(
            (getattr(t, name) for t in template_levels if getattr(t, name) is not None), None
        )

    references = []
    if attribute("initialization"):
        references.append(fill(attribute("initialization"), representation, 0, 0))
    start = attribute("start_number") if attribute("start_number") is not None else 1
    timeline = attribute("segment_timelines")
    if timeline:
        time, number = 0, start
        for s in timeline[0].Ss:
            time = s.t if s.t is not None else time
            for _ in range((s.r or 0) + 1):
                references.append(fill(attribute("media"), representation, number, time))
                time, number = time + s.d, number + 1
    else:
        for number in range(start, start + 3):
            time = (number - start) * attribute("duration")
            references.append(fill(attribute("media"), representation, number, time))
    return references


def representation_references(levels: list[Any]) -> list[str]:
    """What a Representation fetches, relative to its base ('' is the base itself)."""
    representation = levels[0]
    templates = [level.segment_templates[0] for level in levels if level.segment_templates]
    if templates:
        return template_urls(templates, representation)
    segment_list = nearest(levels, "segment_lists")
    if segment_list is not None:
        initialization = segment_list.initializations or []
        return [i.source_url for i in initialization] + [
            reference
            for segment in segment_list.segment_urls
            for reference in (segment.media, segment.index)
            if reference is not None
        ]
    segment_base = nearest(levels, "segment_bases")
    indexes = (segment_base.representation_indexes or []) if segment_base else []
    return ["", *(index.source_url for index in indexes)]


def player_bases(base_urls: Any, parents: list[str]) -> list[str]:
    if not base_urls:
        return parents
    return [urljoin(p, (b.base_url_value or "").strip()) for p in parents for b in base_urls]


def player_urls(text: str, document_url: str) -> list[str]:
    """Every URL a player fetches for the manifest ``text`` served at ``document_url``,
    resolved as ISO/IEC 23009-1 §5.6 says, read with mpegdash."""
    manifest = MPEGDASHParser.parse(text)
    urls = []
    mpd_bases = player_bases(manifest.base_urls, [document_url])
    for period in manifest.periods:
        period_bases = player_bases(period.base_urls, mpd_bases)
        for adaptation_set in period.adaptation_sets or []:
            set_bases = player_bases(adaptation_set.base_urls, period_bases)
            for representation in adaptation_set.representations:
                levels = [representation, adaptation_set, period]
                for base in player_bases(representation.base_urls, set_bases):
                    for reference in representation_references(levels):
                        urls.append(urljoin(base, reference))
    return urls


def unsigned(url: str, query: str) -> str:
    return url.replace("?" + query, "").replace("&" + query, "")


def in_folder(url: str) -> bool:
    return url.startswith(FOLDER) and "/../" not in url


# --- what is rewritten ---------------------------------------------------------------------------


@pytest.mark.parametrize(("manifest", "changed"), CASES)
def test_rewritten_references_reparse_as_expected(
    manifest: str, changed: dict[str, str], query: str
) -> None:
    """mpegdash reads the rewritten manifest with the query on exactly the in-folder references
    and every other reference and attribute as the original has it."""
    before, before_rest = split_model(manifest)
    after, after_rest = split_model(rewrite(manifest, query))
    expected = {**before, **{path: value.format(q=query) for path, value in changed.items()}}
    assert after == expected
    if "base_urls[0].base_url_value" not in before:  # the MPD gained its BaseURL
        before_rest = {p: v for p, v in before_rest.items() if p != "base_urls"}
        after_rest = {p: v for p, v in after_rest.items() if not p.startswith("base_urls")}
    assert after_rest == before_rest


@pytest.mark.parametrize("manifest", [pytest.param(c.values[0], id=c.id) for c in CASES])
def test_player_fetches_the_same_urls_from_the_app_and_each_in_folder_one_verifies(
    manifest: str, query: str, keys: dict[str, PublicKey], clock: FakeClock
) -> None:
    """Served from the app, the rewritten manifest makes a player fetch the URLs the original
    meant from the media host; each one in the folder verifies, none other carries the query."""
    fetched = player_urls(rewrite(manifest, query), APP_URL)
    assert [unsigned(url, query) for url in fetched] == player_urls(manifest, MANIFEST_URL)
    assert fetched
    for url in fetched:
        assert urlsplit(url).hostname in (MEDIA_HOST, "cdn.other.example")
        if in_folder(unsigned(url, query)):
            assert verify_request(url, public_keys=keys, now=clock.now).allowed, url
        else:
            assert "Signature=" not in url


def test_player_urls_are_the_ones_written_by_hand(query: str) -> None:
    """The player model resolves the Number/Time manifest to the URLs a person expects."""
    fetched = [
        unsigned(url, query) for url in player_urls(rewrite(NUMBER_AND_TIMELINE, query), APP_URL)
    ]
    assert fetched == [
        FOLDER + "video/init-720p.mp4",
        FOLDER + "video/seg-00001.m4s",
        FOLDER + "video/seg-00002.m4s",
        FOLDER + "video/seg-00003.m4s",
        FOLDER + "audio/init.mp4",
        FOLDER + "audio/0.m4s",
        FOLDER + "audio/96000.m4s",
        FOLDER + "audio/192000.m4s",
    ]


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://media.example.com/videos/course-2/seg-1.m4s", id="sibling"),
        pytest.param("https://media.example.com/videos/course-10/seg-1.m4s", id="prefix-sibling"),
        pytest.param("https://media.example.com/videos/seg-1.m4s", id="parent"),
    ],
)
def test_the_query_does_not_verify_outside_the_folder(
    url: str, query: str, keys: dict[str, PublicKey], clock: FakeClock
) -> None:
    """The folder's query appended by hand to a URL outside the folder is refused
    (ResourceMismatch): signing it would gain nothing and leak the token."""
    decision = verify_request(f"{url}?{query}", public_keys=keys, now=clock.now)
    assert decision.reason == "resource_mismatch"


def test_an_ecdsa_query_with_its_hash_algorithm_verifies(
    ecdsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A query from an ECDSA key carries Hash-Algorithm=SHA256, and the rewritten segment URLs
    verify with it."""
    query = folder_query(Signer(KeyRing(SigningKey(ECDSA_KEY_ID, ecdsa_key)), clock=clock), clock)
    assert query.endswith("&Hash-Algorithm=SHA256")
    for url in player_urls(rewrite(SET_TEMPLATE, query), APP_URL):
        public = {ECDSA_KEY_ID: ecdsa_key.public_key()}
        assert verify_request(url, public_keys=public, now=clock.now).allowed, url


def test_relative_bases_resolve_against_the_manifest_url_not_the_app(query: str) -> None:
    """A relative MPD BaseURL is written absolute against manifest_url, the media URL."""
    rewritten = rewrite(SEGMENT_LIST, query, manifest_url=FOLDER + "sub/manifest.mpd")
    assert f"<BaseURL>{FOLDER}sub/list/</BaseURL>" in rewritten


def test_the_inserted_base_follows_program_information_and_location_is_kept(query: str) -> None:
    """An MPD without a BaseURL gains one after ProgramInformation; Location stays as written."""
    root = read_xml(rewrite(SET_TEMPLATE, query))
    names = [child.tag.split("}")[1] for child in root]
    assert names == ["ProgramInformation", "BaseURL", "Location", "Period"]
    assert root[1].text == FOLDER
    assert root[2].text == "https://app.example.com/dash/x.mpd"


def test_relative_bases_under_alternative_parents_stay_relative(query: str) -> None:
    """Under two alternative base URLs a relative BaseURL cannot be one absolute URL, so it
    stays relative (its parents are absolute), and what resolves in the folder is signed."""
    manifest = mpd(
        '<BaseURL>sub/</BaseURL><SegmentTemplate media="s-$Number$.m4s" duration="2"/>'
        + adaptation_set(REP.format("")),
        head=f"<BaseURL>{FOLDER}a/</BaseURL><BaseURL>b/</BaseURL>",
    )
    root = read_xml(rewrite(manifest, query))
    bases = [element.text for element in root.iter(f"{{{MPD_NS}}}BaseURL")]
    assert bases == [FOLDER + "a/", FOLDER + "b/", "sub/"]
    template = root.find(f".//{{{MPD_NS}}}SegmentTemplate")
    assert template is not None
    assert template.get("media") == f"s-$Number$.m4s?{query}"


@pytest.mark.parametrize(
    ("reference", "rewritten"),
    [
        pytest.param("seg.m4s?", "seg.m4s?{q}", id="empty-query"),
        pytest.param("seg.m4s?v=2&", "seg.m4s?v=2&{q}", id="trailing-ampersand"),
        pytest.param("seg.m4s#t=1", "seg.m4s?{q}#t=1", id="fragment"),
        pytest.param("  seg.m4s\n", "seg.m4s?{q}", id="collapsed-whitespace"),
        pytest.param("sub/../seg.m4s", "sub/../seg.m4s?{q}", id="dot-segments-inside"),
        pytest.param(FOLDER + "seg.m4s", FOLDER + "seg.m4s?{q}", id="absolute"),
        pytest.param(
            "HTTPS://media.example.com/videos/course-1/s",
            "HTTPS://media.example.com/videos/course-1/s?{q}",
            id="upper-case-scheme",
        ),
        pytest.param(
            "https://MEDIA.EXAMPLE.COM/videos/course-1/s",
            "https://MEDIA.EXAMPLE.COM/videos/course-1/s",
            id="upper-case-host-is-not-the-folders",
        ),
        pytest.param(
            "data:video/mp4;base64,AAAA?Policy=x", "data:video/mp4;base64,AAAA?Policy=x", id="data"
        ),
    ],
)
def test_the_query_goes_after_the_path_and_any_query(
    reference: str, rewritten: str, query: str
) -> None:
    """The query follows the path and an existing query and precedes a fragment; a data: URL
    and a host not spelled as folder_url spells it are left alone."""
    segment_list = f'<SegmentList><SegmentURL media="{xml_text(reference)}"/></SegmentList>'
    manifest = one_reference(segment_list)
    segment = read_xml(rewrite(manifest, query)).find(f".//{{{MPD_NS}}}SegmentURL")
    assert segment is not None
    assert segment.get("media") == rewritten.format(q=query)


@pytest.mark.parametrize(
    ("template", "signed"),
    [
        pytest.param("$RepresentationID$/s-$Number%05d$.m4s", True, id="id"),
        pytest.param("b$Bandwidth%09d$/$Time$.m4s", True, id="bandwidth"),
        pytest.param("s$$-$Number$-$Unknown$-$%05d$.m4s", True, id="literal-and-unknown"),
        pytest.param("../$RepresentationID$/s.m4s", False, id="parent"),
    ],
)
def test_template_identifiers_are_expanded_before_deciding(
    template: str, signed: bool, query: str
) -> None:
    """A template is decided as the player expands it: numbers and times stay in the folder,
    $$ and unknown identifiers stay literal, a leading ../ leaves it."""
    manifest = one_reference(f'<SegmentTemplate media="{template}" duration="2"/>')
    element = read_xml(rewrite(manifest, query)).find(f".//{{{MPD_NS}}}SegmentTemplate")
    assert element is not None
    assert element.get("media") == (f"{template}?{query}" if signed else template)


def test_representation_ids_that_leave_the_folder_leave_the_template_unsigned(query: str) -> None:
    """$RepresentationID$ is replaced by each Representation's id before deciding: ids that
    climb out of the folder keep the query off the template."""
    manifest = mpd(
        adaptation_set(
            '<Representation id="../../course-2" bandwidth="1"/>',
            '<Representation id="%2e%2e" bandwidth="1"/>',
            extra='<SegmentTemplate media="$RepresentationID$/s.m4s" duration="2"/>',
        )
    )
    assert query not in rewrite(manifest, query)


@pytest.mark.parametrize(
    "period",
    [
        pytest.param(
            '<SegmentTemplate media="s-$Number$.m4s" duration="2"/>', id="no-adaptation-set"
        ),
        pytest.param(
            '<AdaptationSet id="1"><SegmentTemplate media="$RepresentationID$.m4s" duration="2"/>'
            "</AdaptationSet>",
            id="no-representation",
        ),
    ],
)
def test_a_template_with_no_representation_is_decided_on_its_own_base(
    period: str, query: str
) -> None:
    """A template above no Representation is decided on the bases of its own level."""
    assert xml_text(f".m4s?{query}") in rewrite(mpd(period), query)


# --- what is never signed ------------------------------------------------------------------------

HOSTILE = [
    pytest.param("%2e%2e/course-2/seg.m4s", id="encoded-dots"),
    pytest.param("%2E%2E/course-2/seg.m4s", id="encoded-dots-upper"),
    pytest.param(".%2e/course-2/seg.m4s", id="half-encoded-dots"),
    pytest.param("..%2fcourse-2/seg.m4s", id="encoded-slash"),
    pytest.param("sub%2F..%2F..%2Fcourse-2/seg.m4s", id="encoded-slashes-in-a-name"),
    pytest.param("..%5ccourse-2/seg.m4s", id="encoded-backslash"),
    pytest.param("..\\course-2\\seg.m4s", id="backslash-up"),
    pytest.param("sub\\seg.m4s", id="backslash-inside"),
    pytest.param("seg\t.m4s", id="tab"),
    pytest.param("se g.m4s", id="space"),
    pytest.param("//evil.example/x", id="network-path"),
    pytest.param("//[evil/x", id="broken-ipv6-host"),
    pytest.param("https://evil.example/videos/course-1/x", id="other-host"),
    pytest.param("https://media.example.com.evil.test/videos/course-1/x", id="suffix-host"),
    pytest.param("https://media.example.com@evil.test/videos/course-1/x", id="userinfo"),
    pytest.param("https://media.example.com:8443/videos/course-1/x", id="port"),
    pytest.param("http://media.example.com/videos/course-1/x", id="plain-http"),
    pytest.param("http:/evil.example/videos/course-1/x", id="scheme-one-slash"),
    pytest.param("https:seg.m4s", id="scheme-relative-path"),
    pytest.param("../course-10/seg.m4s", id="prefix-sibling"),
    pytest.param("/videos/course-10/seg.m4s", id="prefix-sibling-absolute-path"),
    pytest.param("../course-1", id="the-folder-without-slash"),
    pytest.param("https://media.example.com/videos/course-1/../course-2/x", id="absolute-dots"),
    pytest.param("https://media.example.com/videos/course-1/./x", id="absolute-dot"),
]


@pytest.mark.parametrize("reference", HOSTILE)
@pytest.mark.parametrize(
    "slot",
    [
        pytest.param('<SegmentList><SegmentURL media="{}"/></SegmentList>', id="SegmentURL"),
        pytest.param('<SegmentTemplate media="{}" duration="2"/>', id="SegmentTemplate"),
        pytest.param(
            '<SegmentBase><Initialization sourceURL="{}"/></SegmentBase>', id="Initialization"
        ),
        pytest.param("<BaseURL>{}</BaseURL>", id="BaseURL"),
    ],
)
def test_hostile_references_never_get_the_query(reference: str, slot: str, query: str) -> None:
    """A reference outside the folder, on another host, or spelled so that URL parsers may
    disagree on where it leads, never gets the query."""
    rewritten = rewrite(one_reference(slot.format(xml_text(reference))), query)
    assert "Signature=" not in rewritten


@pytest.mark.parametrize(
    "reference", [pytest.param("..\\x\\", id="backslash"), pytest.param("a\t/b/", id="tab")]
)
def test_an_unsafe_base_url_is_kept_as_written_and_nothing_below_it_is_signed(
    reference: str, query: str
) -> None:
    """A BaseURL that parsers may read differently is not made absolute, and no reference below
    it gets the query."""
    manifest = one_reference(
        '<SegmentTemplate media="s.m4s" duration="2"/>', f"<BaseURL>{xml_text(reference)}</BaseURL>"
    )
    root = read_xml(rewrite(manifest, query))
    base = root.find(f"./{{{MPD_NS}}}Period//{{{MPD_NS}}}BaseURL")
    assert base is not None
    assert base.text == reference
    assert query not in ET.tostring(root, encoding="unicode")


def test_a_base_url_with_another_scheme_is_left_alone(query: str) -> None:
    """A BaseURL that is not http(s) is kept as written and nothing under it is signed."""
    manifest = one_reference(
        '<SegmentTemplate media="s.m4s" duration="2"/>', "<BaseURL>urn:x:y</BaseURL>"
    )
    rewritten = rewrite(manifest, query)
    assert "<BaseURL>urn:x:y</BaseURL>" in rewritten
    assert query not in rewritten


def test_remote_elements_outside_the_folder_are_kept(query: str) -> None:
    """xlink:href to another host or to resolve-to-zero is kept as written."""
    manifest = mpd("").replace(
        '<Period id="p0">',
        '<Period id="p0" xmlns:xlink="http://www.w3.org/1999/xlink"'
        ' xlink:href="urn:mpeg:dash:resolve-to-zero:2013">',
    )
    rewritten = rewrite(manifest, query)
    assert 'xlink:href="urn:mpeg:dash:resolve-to-zero:2013"' in rewritten
    assert 'xlink:href="https://ads.example.net/break.xml"' in rewrite(NAMESPACED, query)


@pytest.mark.parametrize(
    "manifest",
    [
        pytest.param(mpd("").replace("<Period ", '<Period xlink:href="p.xml" '), id="Period"),
        pytest.param(
            mpd('<AdaptationSet xlink:href="/videos/course-1/set.xml"/>'), id="AdaptationSet"
        ),
        pytest.param(one_reference('<SegmentList xlink:href="list.xml"/>'), id="SegmentList"),
        pytest.param(mpd('<EventStream xlink:href="events.xml"/>'), id="EventStream"),
    ],
)
def test_remote_elements_inside_the_folder_are_refused(manifest: str, query: str) -> None:
    """A remote element inside the folder is refused: what the player fetches for it would come
    unrewritten."""
    manifest = manifest.replace(OPEN, OPEN[:-1] + ' xmlns:xlink="http://www.w3.org/1999/xlink">')
    with pytest.raises(PlaylistError, match="xlink:href"):
        rewrite(manifest, query)


# --- what is refused -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Policy", "Signature", "Key-Pair-Id", "Expires", "Hash-Algorithm"]
)
@pytest.mark.parametrize(
    "slot",
    [
        pytest.param(
            '<SegmentList><SegmentURL media="s.m4s?{}=1"/></SegmentList>', id="SegmentURL"
        ),
        pytest.param('<SegmentTemplate media="s.m4s?v=1&amp;{}=1" duration="2"/>', id="template"),
        pytest.param("<BaseURL>https://elsewhere.example/v.mp4?{}=1</BaseURL>", id="BaseURL"),
    ],
)
def test_references_already_signed_are_refused(name: str, slot: str, query: str) -> None:
    """A reference already carrying a CloudFront signing parameter is refused, wherever it
    points: the manifest is signed or rewritten already."""
    with pytest.raises(PlaylistError, match=f"already carries {name}"):
        rewrite(one_reference(slot.format(name)), query)


def test_rewriting_twice_is_refused(query: str) -> None:
    """A rewritten manifest cannot be rewritten again."""
    with pytest.raises(PlaylistError, match="already carries"):
        rewrite(rewrite(SEGMENT_LIST, query), query)


@pytest.mark.parametrize(
    "manifest",
    [
        pytest.param(
            mpd(
                adaptation_set(
                    '<Representation id="a" bandwidth="1"><BaseURL>a/</BaseURL></Representation>',
                    '<Representation id="b" bandwidth="1">'
                    "<BaseURL>https://other.example/b/</BaseURL></Representation>",
                    extra='<SegmentTemplate media="s-$Number$.m4s" duration="2"/>',
                )
            ),
            id="representations-on-two-hosts",
        ),
        pytest.param(
            mpd(
                adaptation_set(
                    '<Representation id="v1" bandwidth="1"/>',
                    '<Representation id="../../course-2" bandwidth="1"/>',
                    extra='<SegmentTemplate media="$RepresentationID$/s.m4s" duration="2"/>',
                )
            ),
            id="an-id-out-of-the-folder",
        ),
        pytest.param(
            mpd(
                adaptation_set(REP.format('<SegmentTemplate media="s.m4s" duration="2"/>')),
                head=f"<BaseURL>{FOLDER}</BaseURL><BaseURL>https://cdn2.example/videos/</BaseURL>",
            ),
            id="alternative-cdns",
        ),
        pytest.param(
            mpd(
                adaptation_set(REP.format("<BaseURL>v.mp4</BaseURL>")),
                head=f"<BaseURL>{FOLDER}</BaseURL><BaseURL>https://cdn2.example/videos/</BaseURL>",
            ),
            id="alternative-cdns-single-file",
        ),
    ],
)
def test_references_both_inside_and_outside_the_folder_are_refused(
    manifest: str, query: str
) -> None:
    """A reference that resolves inside the folder for some Representations or base URLs and
    outside for others is refused rather than half signed."""
    with pytest.raises(PlaylistError, match="inside the folder for some"):
        rewrite(manifest, query)


LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE MPD [
  <!ENTITY a "aaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><BaseURL>&c;</BaseURL></MPD>
"""


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        pytest.param(LAUGHS, "document type declaration", id="entities"),
        pytest.param(
            f'<!DOCTYPE MPD SYSTEM "file:///etc/passwd"><MPD xmlns="{MPD_NS}"/>',
            "document type declaration",
            id="external-dtd",
        ),
        pytest.param(
            '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><BaseURL>&x;</BaseURL></MPD>',
            "not well-formed",
            id="undefined-entity",
        ),
        pytest.param("<MPD><Period></MPD>", "not well-formed", id="broken"),
        pytest.param("", "not well-formed", id="empty"),
        pytest.param("<html><body/></html>", "not a DASH manifest", id="html"),
        pytest.param(
            '<MPD xmlns="urn:example:other"/>', "not a DASH manifest", id="other-namespace"
        ),
        pytest.param(
            '<x:Period xmlns:x="urn:mpeg:dash:schema:mpd:2011"/>',
            "not a DASH manifest",
            id="period",
        ),
    ],
)
def test_documents_that_are_not_plain_mpds_are_refused(
    manifest: str, message: str, query: str
) -> None:
    """DTDs (so entities), malformed XML and roots other than MPD are refused."""
    with pytest.raises(PlaylistError, match=message):
        rewrite(manifest, query)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        pytest.param(mpd("<x>" * 63 + "</x>" * 63), "nests elements more than 64 deep", id="depth"),
        pytest.param(
            mpd("".join(f'<x xmlns:p{i}="urn:{i}"/>' for i in range(1024))),
            "more than 1024 namespaces",
            id="namespace-declarations",
        ),
    ],
)
def test_documents_past_the_structure_bounds_are_refused(
    manifest: str, message: str, query: str
) -> None:
    """Elements nested past 64 levels or more than 1024 namespace declarations are refused."""
    with pytest.raises(PlaylistError, match=message):
        rewrite(manifest, query)


def test_documents_at_the_structure_bounds_are_read(query: str) -> None:
    """64 levels and 1024 namespace declarations are read."""
    deep = mpd("<x>" * 62 + "</x>" * 62)  # MPD, Period and 62: 64 levels
    # The MPD's own xmlns and 1023 more: 1024.
    declarations = "".join(f'<x xmlns:p{i}="urn:{i}"/>' for i in range(1023))
    for manifest in (deep, mpd(declarations)):
        assert rewrite(manifest, query).count("<x") == manifest.count("<x")


@pytest.mark.parametrize(
    "inside",
    [
        pytest.param("<!-- x -->", id="comment"),
        pytest.param("<?pi x?>", id="instruction"),
        pytest.param("<b/>", id="element"),
    ],
)
def test_a_base_url_holding_markup_is_refused(inside: str, query: str) -> None:
    """A BaseURL whose URL is split by markup is refused: a player reads the text around it
    as one URL (here out of the folder), ElementTree's .text only the first part."""
    manifest = mpd(adaptation_set(REP.format("")), head=f"<BaseURL>{FOLDER}{inside}../x/</BaseURL>")
    with pytest.raises(PlaylistError, match="BaseURL holds"):
        rewrite(manifest, query)


def test_too_many_alternative_bases_are_refused(query: str) -> None:
    """More than 64 alternative base URLs for one element are refused."""
    head = "".join(f"<BaseURL>{FOLDER}{i}/</BaseURL>" for i in range(65))
    with pytest.raises(PlaylistError, match="more than 64"):
        rewrite(mpd("", head=head), query)


@pytest.mark.parametrize(
    ("text", "max_bytes"),
    [
        pytest.param(SEGMENT_LIST, 100, id="str-by-characters"),
        pytest.param(
            SEGMENT_LIST.replace("s1.m4s", "é" * 300), len(SEGMENT_LIST) + 300, id="str-by-bytes"
        ),
        pytest.param(SEGMENT_LIST.encode(), 100, id="bytes"),
    ],
)
def test_manifests_over_the_size_bound_are_refused(
    text: str | bytes, max_bytes: int, query: str
) -> None:
    """A manifest over max_bytes (UTF-8 bytes for a str) is refused before parsing."""
    with pytest.raises(PlaylistError, match=f"over {max_bytes} bytes"):
        rewrite(text, query, max_bytes=max_bytes)


def test_the_default_size_bound_is_eight_mebibytes(query: str) -> None:
    """Manifests up to 8 MiB are read by default."""
    assert MAX_MPD_BYTES == 8 * 1024 * 1024
    padding = "<!--" + "x" * (MAX_MPD_BYTES - len(SEGMENT_LIST) - 8) + "-->"
    assert "Signature=" in rewrite(SEGMENT_LIST.replace("<Period", padding + "<Period"), query)


# --- bytes, the XML declaration, namespaces, comments --------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(SEGMENT_LIST.encode(), id="utf-8"),
        pytest.param(codecs.BOM_UTF8 + SEGMENT_LIST.encode(), id="utf-8-bom"),
        pytest.param(
            SEGMENT_LIST.replace("UTF-8", "ISO-8859-1")
            .replace("s1.m4s", "s1-é.m4s")
            .encode("latin-1"),
            id="declared-latin-1",
        ),
    ],
)
def test_bytes_are_decoded_as_declared(data: bytes, query: str) -> None:
    """Bytes are UTF-8 (with or without a BOM) or what the XML declaration names, and the
    result declares UTF-8."""
    rewritten = rewrite(data, query)
    assert rewritten.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<MPD')
    assert f"m4s?{query}".replace("&", "&amp;") in rewritten
    assert rewritten == rewrite(data.decode("utf-8-sig" if b"UTF-8" in data else "latin-1"), query)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"<MPD>\xff</MPD>", id="not-utf-8"),
        pytest.param(b'<?xml version="1.0" encoding="x-unknown"?><MPD/>', id="unknown-encoding"),
        pytest.param(b'<?xml version="1.0" encoding="base64"?><MPD/>', id="not-a-text-encoding"),
    ],
)
def test_undecodable_bytes_are_refused(data: bytes, query: str) -> None:
    """Bytes that are not text in the declared (or default UTF-8) encoding are refused."""
    with pytest.raises(PlaylistError, match="decode it and pass a str"):
        rewrite(data, query)


@pytest.mark.parametrize(
    ("declaration", "written"),
    [
        pytest.param(
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<?xml version="1.0" encoding="UTF-8"?>',
            id="utf-8",
        ),
        pytest.param(
            "<?xml version='1.0' encoding='utf8' standalone='yes'?>",
            "<?xml version='1.0' encoding='utf8' standalone='yes'?>",
            id="utf8",
        ),
        pytest.param(
            '<?xml version="1.0" encoding="UTF-16"?>',
            '<?xml version="1.0" encoding="UTF-8"?>',
            id="utf-16",
        ),
        pytest.param('<?xml version="1.0"?>', '<?xml version="1.0"?>', id="no-encoding"),
        pytest.param("", "", id="none"),
    ],
)
def test_the_xml_declaration_is_kept_and_says_utf_8(
    declaration: str, written: str, query: str
) -> None:
    """The XML declaration is kept as written, its encoding saying UTF-8; none is added."""
    body = SEGMENT_LIST.split("\n", 1)[1]
    rewritten = rewrite("\ufeff" + declaration + body, query)
    assert rewritten.startswith(written + ("\n" if written else "") + "<MPD ")


def test_namespace_prefixes_comments_and_instructions_are_kept(query: str) -> None:
    """Prefixes come back as spelled (no ns0:), with the comments and processing instructions
    around and inside the root."""
    rewritten = rewrite(NAMESPACED, query)
    assert "ns0:" not in rewritten
    for spelled in (
        'xmlns:cenc="urn:mpeg:cenc:2013"',
        'cenc:default_KID="10000000-1000-1000-1000-100000000001"',
        "<cenc:pssh>",
        "<dashif:Laurl>https://license.example.net/widevine</dashif:Laurl>",
        'xlink:actuate="onLoad"',
        "<!-- one rendition -->",
    ):
        assert spelled in rewritten
    assert rewritten.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- packaged by hand -->\n'
        '<?xml-stylesheet type="text/xsl" href="mpd.xsl"?>\n<MPD '
    )
    assert rewritten.endswith("</MPD>\n<!-- end -->\n")


def expanded(text: str, query: str) -> list[tuple[str, dict[str, str], str | None]]:
    """The document as ElementTree reads it (names with their namespace URIs), the query
    removed from every value."""
    return [
        (
            str(element.tag),
            {k: unsigned(v, query) for k, v in element.attrib.items()},
            element.text and unsigned(element.text, query),
        )
        for element in read_xml(text).iter()
    ]


@pytest.mark.parametrize(
    "manifest",
    [
        pytest.param(NAMESPACED, id="default-and-prefixed"),
        pytest.param(
            '<mpd:MPD xmlns:mpd="urn:mpeg:dash:schema:mpd:2011"><mpd:BaseURL>./</mpd:BaseURL>'
            '<mpd:Period><mpd:AdaptationSet><mpd:Representation id="v" bandwidth="1">'
            '<mpd:SegmentTemplate media="s.m4s"/></mpd:Representation></mpd:AdaptationSet>'
            "</mpd:Period></mpd:MPD>",
            id="prefixed-mpd",
        ),
        pytest.param(
            '<MPD xmlns="urn:mpeg:DASH:schema:MPD:2011" xmlns:p="urn:a" xmlns:q="urn:a">'
            '<BaseURL>./</BaseURL><Period p:x="1"><p:e xmlns:p="urn:b" p:y="2"><p:f q:z="3"/>'
            '<g xmlns="urn:c"><h xmlns=""/></g></p:e><p:e/><?pi inside?>'
            '<SegmentTemplate media="s.m4s"/></Period></MPD>',
            id="rebound-prefixes",
        ),
        pytest.param(
            '<MPD><BaseURL>./</BaseURL><Period><SegmentTemplate media="s.m4s"/></Period></MPD>',
            id="no-namespace",
        ),
    ],
)
def test_names_and_namespaces_read_back_the_same(manifest: str, query: str) -> None:
    """ElementTree reads the rewritten document with every element and attribute in its
    original namespace and with its original values, the query aside."""
    rewritten = rewrite(manifest, query)
    before = expanded(manifest, query)
    after = expanded(rewritten, query)
    # The MPD may have gained a BaseURL.
    assert [(t, a) for t, a, _ in after if not t.endswith("BaseURL")] == [
        (t, a) for t, a, _ in before if not t.endswith("BaseURL")
    ]
    assert xml_text(query) in rewritten


def test_a_prefixed_mpd_gains_a_prefixed_base_url(query: str) -> None:
    """An MPD spelled mpd:MPD gains an mpd:BaseURL."""
    manifest = (
        '<mpd:MPD xmlns:mpd="urn:mpeg:dash:schema:mpd:2011"><mpd:Period>'
        '<mpd:SegmentTemplate media="s.m4s"/></mpd:Period></mpd:MPD>'
    )
    assert f'<mpd:MPD xmlns:mpd="{MPD_NS}"><mpd:BaseURL>{FOLDER}</mpd:BaseURL>' in rewrite(
        manifest, query
    )


# --- the arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "folder_url",
    [
        pytest.param("https://media.example.com/videos/course-1", id="no-trailing-slash"),
        pytest.param("https://media.example.com/videos/course-1/?x=1", id="query"),
        pytest.param("https://media.example.com/videos/course-1/#x", id="fragment"),
        pytest.param("https://user@media.example.com/videos/course-1/", id="userinfo"),
        pytest.param("ftp://media.example.com/videos/course-1/", id="ftp"),
        pytest.param("/videos/course-1/", id="path-only"),
        pytest.param("https://media.example.com/videos/my course/", id="space"),
        pytest.param("https://media.example.com/videos/%2e%2e/", id="encoded-dots"),
        pytest.param("https://media.example.com/videos/caf%c3%a9/", id="lower-case-escape"),
        pytest.param("https://media.example.com/videos/*/", id="wildcard"),
        pytest.param(b"https://media.example.com/videos/course-1/", id="bytes"),
    ],
)
def test_folder_urls_that_cannot_be_used_are_refused(folder_url: Any, query: str) -> None:
    """folder_url must be the granted folder's absolute URL, ending in '/', as CloudFront
    compares it."""
    with pytest.raises(ConfigurationError):
        rewrite(SEGMENT_LIST, query, folder_url=folder_url)


@pytest.mark.parametrize(
    "manifest_url",
    [
        pytest.param("manifest.mpd", id="relative"),
        pytest.param("https://a@media.example.com/videos/course-1/m.mpd", id="userinfo"),
        pytest.param("https://media.example.com/videos/course-1/m.mpd\n", id="line-break"),
        pytest.param("https://[media.example.com/videos/course-1/m.mpd", id="broken-host"),
        pytest.param(None, id="none"),
    ],
)
def test_manifest_urls_that_cannot_be_used_are_refused(manifest_url: Any, query: str) -> None:
    """manifest_url must be an absolute http(s) URL."""
    with pytest.raises(ConfigurationError, match="manifest_url"):
        rewrite(SEGMENT_LIST, query, manifest_url=manifest_url)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        pytest.param("?{q}", "without '\\?'", id="question-mark"),
        pytest.param("{q}&n=$Number$", "without '\\?'", id="dollar"),
        pytest.param("{q}#x", "without '\\?'", id="hash"),
        pytest.param("&{q}", "without '\\?'", id="leading-ampersand"),
        pytest.param("", "without '\\?'", id="empty"),
        pytest.param("Policy=a&Signature=b", "lacks Key-Pair-Id", id="no-key-pair-id"),
        pytest.param("Expires=1&Signature=b&Key-Pair-Id=K", "lacks Policy", id="canned"),
    ],
)
def test_queries_that_are_not_a_folders_are_refused(bad: str, message: str, query: str) -> None:
    """query must be a folder's signed query string, without '?', '$' or '#'."""
    with pytest.raises(ConfigurationError, match=message):
        rewrite(SEGMENT_LIST, bad.format(q=query))


def test_a_query_that_is_not_a_str_is_refused() -> None:
    """A query that is not a str is refused."""
    with pytest.raises(ConfigurationError, match="signed query"):
        rewrite_mpd(SEGMENT_LIST, manifest_url=MANIFEST_URL, query=b"Policy=a", folder_url=FOLDER)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [None, 42, bytearray(b"<MPD/>"), ["<MPD/>"]])
def test_a_manifest_that_is_not_text_is_refused(query: str, value: object) -> None:
    """A manifest that is neither str nor bytes is a PlaylistError (as for HLS), never a
    TypeError or an AttributeError from deep inside the parser."""
    with pytest.raises(PlaylistError, match="str or bytes"):
        rewrite(value, query)  # type: ignore[arg-type]
    with pytest.raises(PlaylistError, match="str or bytes"):
        rewrite(read_xml(SEGMENT_LIST), query)  # type: ignore[arg-type]


@pytest.mark.parametrize("max_bytes", [0, -1, True, 1.5, "4096", None])
def test_a_max_bytes_that_cannot_work_is_refused(query: str, max_bytes: object) -> None:
    """max_bytes is a whole number >= 1 (not a bool): anything else is a ConfigurationError
    naming it, checked before the manifest is read."""
    with pytest.raises(ConfigurationError, match="max_bytes"):
        rewrite(SEGMENT_LIST, query, max_bytes=max_bytes)
