"""cfcookies.streaming.sources: where the playlist route reads playlists. S3 through botocore
against moto's server on loopback; the distribution through a real local edge
(:class:`~cfcookies.edge.EdgeServer` on 127.0.0.1) that verifies the short-lived signed URL as
CloudFront does, then serves the rewritten playlist's segments with the folder's query alone."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import m3u8
import pytest
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from cfcookies import revocation
from cfcookies.edge import EdgeApp, EdgeServer
from cfcookies.edge.answers import MissingObject
from cfcookies.edge.server import UvicornThread, bind_socket
from cfcookies.exceptions import (
    AWSError,
    ConfigurationError,
    PlaylistNotFoundError,
    PlaylistSourceError,
)
from cfcookies.keys import PrivateKey
from cfcookies.revocation import LocalDenyList, SessionCheck, function_code
from cfcookies.session import CloudFrontCookies
from cfcookies.streaming import (
    DistributionPlaylistSource,
    PlaylistServer,
    PlaylistSource,
    S3PlaylistSource,
)
from cfcookies.streaming.sources import SOURCE_SESSION_ID
from tests.browser_jar_support import STATE_SECRET
from tests.function_engines import ENGINES, run_function, viewer_event
from tests.moto_server import MotoServer
from tests.revocation_support import SECRET, SECRETS
from tests.support import RSA_KEY_ID, FakeClock

BUCKET = "media-origin"
MASTER = "/videos/course-1/master.m3u8"
VARIANT = "/videos/course-1/720p/index.m3u8"
MASTER_TEXT = b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n720p/index.m3u8\n"
VARIANT_TEXT = (
    b"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nseg-0001.ts\n#EXTINF:4,\n"
    b"/videos/course-2/secret.ts\n#EXT-X-ENDLIST\n"
)
SEGMENT_BYTES = b"\x47" * 188
SECRET_BYTES = b"course-2 only"


def test_importing_the_streaming_modules_imports_no_framework_and_no_botocore() -> None:
    """botocore is imported by S3PlaylistSource when built; frameworks by their route."""
    code = (
        "import sys, cfcookies, cfcookies.streaming, cfcookies.streaming.serve, "
        "cfcookies.streaming.sources, cfcookies.streaming.routes; "
        "print(sorted(m for m in ('starlette', 'flask', 'django', 'botocore') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


# --- S3, through moto's server ---------------------------------------------------------------


@pytest.fixture
def bucket(server: MotoServer) -> Any:
    """The origin bucket on moto, holding course-1's playlists (also under ``media/``)."""
    s3 = server.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for prefix in ("", "media/"):
        s3.put_object(Bucket=BUCKET, Key=prefix + MASTER[1:], Body=MASTER_TEXT)
    s3.put_object(Bucket=BUCKET, Key="videos/my course/index.m3u8", Body=VARIANT_TEXT)
    return s3


def s3_source(server: MotoServer, **options: Any) -> S3PlaylistSource:
    return S3PlaylistSource(BUCKET, endpoint_url=server.endpoint_url, **options)


@pytest.mark.parametrize(
    ("options", "path", "expected"),
    [
        pytest.param({}, MASTER, MASTER_TEXT, id="key"),
        pytest.param({"key_prefix": "media/"}, MASTER, MASTER_TEXT, id="origin-path"),
        pytest.param({}, "/videos/my%20course/index.m3u8", VARIANT_TEXT, id="decoded-key"),
    ],
)
def test_s3_gives_the_object_at_the_decoded_path(
    server: MotoServer, bucket: Any, options: dict[str, Any], path: str, expected: bytes
) -> None:
    source = s3_source(server, **options)
    assert isinstance(source, PlaylistSource)
    assert source.fetch(path) == expected


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/videos/course-1/missing.m3u8", id="no-such-key"),
        pytest.param("/videos/course-1/%FF.m3u8", id="not-utf-8"),
    ],
)
def test_s3_says_not_found_for_a_key_it_does_not_hold(
    server: MotoServer, bucket: Any, path: str
) -> None:
    with pytest.raises(PlaylistNotFoundError):
        s3_source(server).fetch(path)


def test_s3_failures_are_source_errors_naming_the_object(server: MotoServer) -> None:
    with pytest.raises(PlaylistSourceError, match=f"s3://{BUCKET}/videos/course-1") as failed:
        s3_source(server).fetch(MASTER)  # no bucket
    assert not isinstance(failed.value, PlaylistNotFoundError)
    assert isinstance(failed.value.__cause__, AWSError)


def test_s3_without_credentials_fails_saying_so(
    server: MotoServer, bucket: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.moto_server import use_fake_aws_environment

    use_fake_aws_environment(monkeypatch, credentials=False)
    with pytest.raises(PlaylistSourceError, match="no AWS credentials"):
        s3_source(server).fetch(MASTER)


def test_s3_that_cannot_be_reached_is_a_source_error() -> None:
    with bind_socket() as sock:
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        source = S3PlaylistSource(
            BUCKET, endpoint_url=f"http://127.0.0.1:{port}", timeout=2, region_name="us-east-1"
        )
        with pytest.raises(PlaylistSourceError, match="GetObject"):
            source.fetch(MASTER)


def test_s3_access_denied_is_a_source_error_not_a_404(
    cf_s3: tuple[Any, Any],
) -> None:
    """Without s3:ListBucket S3 answers AccessDenied for a missing key: a 502, not a 404."""
    client, stubber = cf_s3
    stubber.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
    with pytest.raises(PlaylistSourceError, match="denied") as failed:
        S3PlaylistSource(BUCKET, client=client).fetch(MASTER)
    assert not isinstance(failed.value, PlaylistNotFoundError)


@pytest.fixture
def cf_s3() -> Iterator[tuple[Any, Any]]:
    """An S3 client whose calls botocore's Stubber answers (no server)."""
    from tests.aws_support import stubbed_client

    yield from stubbed_client("s3")


def test_s3_reads_no_more_than_max_bytes(server: MotoServer, bucket: Any) -> None:
    with pytest.raises(PlaylistSourceError, match="larger than max_bytes=10"):
        s3_source(server, max_bytes=10).fetch(MASTER)
    assert s3_source(server, max_bytes=len(MASTER_TEXT)).fetch(MASTER) == MASTER_TEXT


class FakeBody:
    def __init__(self, data: bytes, *, fails: bool = False) -> None:
        self.data, self.fails, self.closed, self.asked = data, fails, False, 0

    def read(self, amount: int) -> bytes:
        self.asked = amount
        if self.fails:
            raise ConnectionResetError("reset by peer")
        return self.data[:amount]

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeS3:
    """A client answering GetObject with ``body`` and no ContentLength (a chunked answer)."""

    body: FakeBody

    def get_object(self, **_: Any) -> dict[str, Any]:
        return {"Body": self.body}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(FakeBody(b"x" * 11), "larger than max_bytes=10", id="too-large"),
        pytest.param(FakeBody(b"", fails=True), "ConnectionResetError", id="read-fails"),
    ],
)
def test_s3_bodies_are_bounded_and_closed_whatever_happens(body: FakeBody, message: str) -> None:
    with pytest.raises(PlaylistSourceError, match=message):
        S3PlaylistSource(BUCKET, client=FakeS3(body), max_bytes=10).fetch(MASTER)
    assert body.closed
    assert body.asked in (0, 11)


@pytest.mark.parametrize(
    ("bucket_name", "options", "message"),
    [
        pytest.param("", {}, "bucket must be", id="no-bucket"),
        pytest.param("a/b", {}, "bucket must be", id="path"),
        pytest.param(BUCKET, {"key_prefix": "/media/"}, "key_prefix must be", id="leading-slash"),
        pytest.param(BUCKET, {"key_prefix": "media"}, "key_prefix must be", id="no-slash"),
        pytest.param(BUCKET, {"key_prefix": None}, "key_prefix must be", id="none"),
        pytest.param(BUCKET, {"max_bytes": 0}, "max_bytes must be", id="no-bytes"),
        pytest.param(BUCKET, {"max_bytes": True}, "max_bytes must be", id="bool-bytes"),
        pytest.param(BUCKET, {"timeout": 0}, "timeout must be", id="no-time"),
        pytest.param(BUCKET, {"timeout": float("inf")}, "timeout must be", id="forever"),
        pytest.param(BUCKET, {"timeout": "5"}, "timeout must be", id="text"),
    ],
)
def test_s3_settings_that_cannot_work_are_refused(
    bucket_name: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        S3PlaylistSource(bucket_name, client=object(), **options)


def test_the_s3_repr_names_the_bucket(server: MotoServer) -> None:
    source = s3_source(server, key_prefix="media/")
    assert repr(source) == "S3PlaylistSource(bucket='media-origin', key_prefix='media/')"


def test_the_route_serves_a_playlist_read_from_s3(
    server: MotoServer, bucket: Any, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    cookies = CloudFrontCookies(
        media_url="https://media.example.test",
        key_pair_id=RSA_KEY_ID,
        private_key=rsa_key,
        state_secret=STATE_SECRET,
        clock=clock,
    )
    served = PlaylistServer(cookies, s3_source(server)).answer(signed_token(cookies), MASTER)
    assert served.status == 200
    assert m3u8.loads(served.body.decode()).playlists[0].uri.endswith(VARIANT)


def signed_token(cookies: CloudFrontCookies) -> str:
    """A link token for course-1, as link() writes it for a session holding the folder."""
    from cfcookies.streaming.serve import link_salt

    expires = cookies.now() + 600
    return cookies.codec.token_codec(link_salt(cookies.media_url)).dumps(
        {"f": "/videos/course-1/", "e": expires}
    )


# --- the distribution, through the local edge ------------------------------------------------


def make_bucket(root: Path) -> Path:
    for folder in ("videos/course-1/720p", "videos/course-2"):
        (root / folder).mkdir(parents=True)
    (root / MASTER[1:]).write_bytes(MASTER_TEXT)
    (root / VARIANT[1:]).write_bytes(VARIANT_TEXT)
    (root / "videos/course-1/720p/seg-0001.ts").write_bytes(SEGMENT_BYTES)
    (root / "videos/course-2/secret.ts").write_bytes(SECRET_BYTES)
    return root


@dataclass
class Edge:
    url: str
    cookies: CloudFrontCookies


@pytest.fixture
def edge(
    tmp_path: Path, rsa_key: PrivateKey, clock: FakeClock, request: pytest.FixtureRequest
) -> Iterator[Edge]:
    """The local edge on 127.0.0.1 over a bucket folder, and cookies whose media_url it is.
    ``missing_object`` (indirect parameter) says how it answers a missing file."""
    missing: MissingObject = getattr(request, "param", "NoSuchKey")
    app = EdgeApp(
        make_bucket(tmp_path / "bucket"),
        public_keys={RSA_KEY_ID: rsa_key.public_key()},
        clock=clock,
        missing_object=missing,
    )
    with EdgeServer(app) as server:
        cookies = CloudFrontCookies(
            media_url=server.url,
            key_pair_id=RSA_KEY_ID,
            private_key=rsa_key,
            state_secret=STATE_SECRET,
            clock=clock,
            secure=False,
            insecure_allow_http=True,
        )
        yield Edge(server.url, cookies)


@pytest.mark.server
def test_the_distribution_gives_a_playlist_through_a_short_lived_signed_url(edge: Edge) -> None:
    """One canned signature per file and minute: a second fetch takes it from the cache."""
    source = DistributionPlaylistSource(edge.cookies)
    assert source.fetch(MASTER) == MASTER_TEXT
    assert source.fetch(MASTER) == MASTER_TEXT
    assert source.fetch(VARIANT) == VARIANT_TEXT
    snapshot = edge.cookies.metrics.snapshot()
    assert (snapshot["signatures"], snapshot["signature_cache_hits"]) == (2, 1)


@pytest.mark.server
def test_the_signed_url_opens_one_file_for_one_to_two_minutes(edge: Edge, clock: FakeClock) -> None:
    url = DistributionPlaylistSource(edge.cookies).signed_url(MASTER)
    assert httpx.get(url).status_code == 200
    assert httpx.get(url.replace("master.m3u8", "720p/index.m3u8")).status_code == 403
    clock.advance(120)
    assert httpx.get(url).status_code == 403


@pytest.mark.server
def test_the_distribution_says_not_found_on_a_404(edge: Edge) -> None:
    with pytest.raises(PlaylistNotFoundError, match="does not exist"):
        DistributionPlaylistSource(edge.cookies).fetch("/videos/course-1/missing.m3u8")


@pytest.mark.server
@pytest.mark.parametrize("edge", ["AccessDenied"], indirect=True)
def test_a_403_is_a_failure_that_says_why_it_may_be(edge: Edge) -> None:
    """An S3 origin without s3:ListBucket answers 403 for a missing key."""
    with pytest.raises(PlaylistSourceError, match="answered 403; the key may not be") as failed:
        DistributionPlaylistSource(edge.cookies).fetch("/videos/course-1/missing.m3u8")
    assert not isinstance(failed.value, PlaylistNotFoundError)
    assert "Signature" not in str(failed.value)


@pytest.mark.server
def test_a_key_the_distribution_does_not_trust_is_a_failure(
    edge: Edge, ecdsa_key: PrivateKey, clock: FakeClock
) -> None:
    stranger = CloudFrontCookies(
        media_url=edge.url,
        key_pair_id="K3STRANGERKEY",
        private_key=ecdsa_key,
        state_secret=STATE_SECRET,
        clock=clock,
        secure=False,
        insecure_allow_http=True,
    )
    with pytest.raises(PlaylistSourceError, match="answered 403"):
        DistributionPlaylistSource(stranger).fetch(MASTER)


@pytest.mark.server
def test_the_distribution_reads_no_more_than_max_bytes(edge: Edge) -> None:
    with pytest.raises(PlaylistSourceError, match="larger than max_bytes=10"):
        DistributionPlaylistSource(edge.cookies, max_bytes=10).fetch(MASTER)


@pytest.mark.server
def test_a_folder_played_through_the_distribution_source_verifies_at_the_edge(
    edge: Edge,
) -> None:
    """The route reads the playlists through the edge; the player then fetches the segments
    from the edge with the query alone, and another folder's segment is refused."""
    server = PlaylistServer(edge.cookies, DistributionPlaylistSource(edge.cookies))
    token = signed_token(edge.cookies)
    master = server.answer(token, MASTER)
    assert master.status == 200
    variant_link = m3u8.loads(master.body.decode()).playlists[0].uri
    assert variant_link == f"/cfcookies/play/{token}{VARIANT}"
    variant = server.answer(token, VARIANT)
    segments = [segment.uri for segment in m3u8.loads(variant.body.decode()).segments]
    with httpx.Client() as player:
        inside = player.get(segments[0])
        assert (inside.status_code, inside.content) == (200, SEGMENT_BYTES)
        assert segments[1] == edge.url + "/videos/course-2/secret.ts"
        query = segments[0].split("?", 1)[1]
        assert player.get(segments[1]).status_code == 403
        assert player.get(segments[1] + "?" + query).status_code == 403


@dataclass
class GuardedEdge:
    url: str
    cookies: CloudFrontCookies
    deny: LocalDenyList


@pytest.fixture
def guarded_edge(tmp_path: Path, rsa_key: PrivateKey, clock: FakeClock) -> Iterator[GuardedEdge]:
    """The local edge on 127.0.0.1 with revocation (the Function's check), and the app's
    cookies sharing its secrets and deny-list."""
    deny = LocalDenyList(clock=clock)
    app = EdgeApp(
        make_bucket(tmp_path / "bucket"),
        public_keys={RSA_KEY_ID: rsa_key.public_key()},
        clock=clock,
        missing_object="NoSuchKey",
        deny_list=SessionCheck(SECRETS, deny_list=deny, clock=clock),
    )
    with EdgeServer(app) as server:
        cookies = lone_cookies(server.url, rsa_key, clock, session_secrets=SECRETS, deny_list=deny)
        yield GuardedEdge(server.url, cookies, deny)
        cookies.close()


@pytest.mark.server
@pytest.mark.parametrize("engine", ENGINES)
def test_with_revocation_at_the_edge_the_signed_url_carries_a_token_of_its_own(
    guarded_edge: GuardedEdge, clock: FakeClock, engine: str
) -> None:
    """The edge's Function refuses a canned URL, and a signed URL without a session token:
    the source signs one file with a custom policy and the app's own token, which the local
    edge and the Function (under Node and njs) let through until that session is denied."""
    cookies = guarded_edge.cookies
    source = DistributionPlaylistSource(cookies)
    assert source.fetch(MASTER) == MASTER_TEXT
    url = source.signed_url(MASTER)
    query = url.split("?", 1)[1]
    assert query.startswith(f"CloudFront-Session={SOURCE_SESSION_ID}.")
    assert httpx.get(url.replace("master.m3u8", "720p/index.m3u8")).status_code == 403
    canned = cookies.signer.sign_url(guarded_edge.url + MASTER, date_less_than=clock.epoch + 60)
    refused = httpx.get(canned)
    assert (refused.status_code, refused.headers["x-cfcookies-decision"]) == (
        403,
        "session_missing",
    )
    kvs = {revocation.DEFAULT_SECRET_KEY: SECRET}
    event = viewer_event({}, query)
    [outcome] = run_function(function_code(), [(event, kvs, clock.epoch)], engine)
    assert outcome["result"] == event["request"], outcome

    guarded_edge.deny.revoke_session(SOURCE_SESSION_ID, until=clock.epoch + 3600)
    with pytest.raises(PlaylistSourceError, match="answered 403"):
        source.fetch(MASTER)
    kvs.update(guarded_edge.deny.entries())
    [outcome] = run_function(function_code(), [(event, kvs, clock.epoch)], engine)
    assert outcome["result"]["statusCode"] == 403


def test_with_revocation_an_ecdsa_signed_url_names_its_hash_and_opens_its_file(
    tmp_path: Path, ecdsa_key: PrivateKey, clock: FakeClock
) -> None:
    deny = LocalDenyList(clock=clock)
    edge = EdgeApp(
        make_bucket(tmp_path / "bucket"),
        public_keys={"K3ECDSAKEYID": ecdsa_key.public_key()},
        public_url="https://media.example.test",
        clock=clock,
        deny_list=SessionCheck(SECRETS, deny_list=deny, clock=clock),
    )
    cookies = CloudFrontCookies(
        media_url="https://media.example.test",
        key_pair_id="K3ECDSAKEYID",
        private_key=ecdsa_key,
        state_secret=STATE_SECRET,
        clock=clock,
        session_secrets=SECRETS,
        deny_list=deny,
    )
    url = DistributionPlaylistSource(cookies).signed_url(MASTER)
    assert url.endswith("&Key-Pair-Id=K3ECDSAKEYID&Hash-Algorithm=SHA256")
    with TestClient(edge) as client:
        answer = client.get(url)
    assert (answer.status_code, answer.content) == (200, MASTER_TEXT)
    cookies.close()


def test_a_session_cookie_name_unfit_for_a_query_is_refused_with_revocation(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    cookies = lone_cookies(
        "https://media.example.test",
        rsa_key,
        clock,
        session_secrets=SECRETS,
        deny_list=LocalDenyList(clock=clock),
        session_cookie_name="Policy",
    )
    with pytest.raises(ConfigurationError, match="session_cookie_name 'Policy'"):
        DistributionPlaylistSource(cookies)


# --- the distribution misbehaving --------------------------------------------------------------


def answering(
    status: int, headers: list[tuple[bytes, bytes]], body: bytes, delay: float = 0
) -> Any:
    """A bare ASGI app answering every request alike (after ``delay`` seconds), recording the
    paths it was asked for."""
    asked: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        asked.append(scope["path"])
        await asyncio.sleep(delay)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    app.asked = asked  # type: ignore[attr-defined]
    return app


def lone_cookies(
    url: str, rsa_key: PrivateKey, clock: FakeClock, **options: Any
) -> CloudFrontCookies:
    return CloudFrontCookies(
        media_url=url,
        key_pair_id=RSA_KEY_ID,
        private_key=rsa_key,
        state_secret=STATE_SECRET,
        clock=clock,
        secure=False,
        insecure_allow_http=True,
        **options,
    )


@pytest.mark.server
@pytest.mark.parametrize(
    ("status", "headers", "body", "message"),
    [
        pytest.param(302, [(b"location", b"/elsewhere.m3u8")], b"", "answered 302", id="redirect"),
        pytest.param(500, [], b"oops", "answered 500", id="server-error"),
        pytest.param(204, [], b"", "answered 204, not 200", id="no-content"),
        pytest.param(
            200,
            [(b"transfer-encoding", b"chunked")],
            b"#EXTM3U\n" * 4,
            "larger than max_bytes=10",
            id="chunked-too-large",
        ),
    ],
)
def test_a_distribution_answer_other_than_the_file_is_a_failure(
    rsa_key: PrivateKey,
    clock: FakeClock,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    message: str,
) -> None:
    app = answering(status, headers, body)
    with UvicornThread(app) as running:
        source = DistributionPlaylistSource(lone_cookies(running.url, rsa_key, clock), max_bytes=10)
        with pytest.raises(PlaylistSourceError, match=message):
            source.fetch(MASTER)
    assert app.asked == [MASTER]  # a redirect is not followed


@pytest.mark.server
def test_a_distribution_too_slow_is_a_failure(rsa_key: PrivateKey, clock: FakeClock) -> None:
    with UvicornThread(answering(200, [], MASTER_TEXT, delay=1.5)) as running:
        source = DistributionPlaylistSource(lone_cookies(running.url, rsa_key, clock), timeout=0.5)
        with pytest.raises(PlaylistSourceError, match=r"failed: timed out after 0\.5 s"):
            source.fetch(MASTER)


def test_a_distribution_that_cannot_be_reached_is_a_failure(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    with bind_socket() as sock:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        source = DistributionPlaylistSource(lone_cookies(url, rsa_key, clock))
        with pytest.raises(PlaylistSourceError, match="failed: Connection refused"):
            source.fetch(MASTER)


def test_a_distribution_that_hangs_up_is_a_failure_named_by_its_kind(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A connection closed before any answer: http.client's RemoteDisconnected."""
    with bind_socket() as sock:
        sock.listen()

        def hang_up() -> None:
            connection, _ = sock.accept()
            connection.recv(65536)
            connection.close()

        thread = threading.Thread(target=hang_up)
        thread.start()
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        source = DistributionPlaylistSource(lone_cookies(url, rsa_key, clock))
        with pytest.raises(PlaylistSourceError, match="failed: RemoteDisconnected"):
            source.fetch(MASTER)
        thread.join(timeout=10)


def test_the_distribution_source_repr_and_settings(rsa_key: PrivateKey, clock: FakeClock) -> None:
    cookies = lone_cookies("http://127.0.0.1:9", rsa_key, clock)
    assert repr(DistributionPlaylistSource(cookies)) == (
        "DistributionPlaylistSource(media_url='http://127.0.0.1:9')"
    )
    for options in ({"timeout": -1}, {"max_bytes": 0}):
        with pytest.raises(ConfigurationError):
            DistributionPlaylistSource(cookies, **options)
