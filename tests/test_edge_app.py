"""cfcookies.edge.app: EdgeApp answers as verify_request decides, and serves files well."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from starlette.testclient import TestClient

from cfcookies.edge import EdgeApp, EdgeRequest, content_type_for, parse_range
from cfcookies.exceptions import ConfigurationError, ExpiredError
from cfcookies.keys import PublicKey
from cfcookies.signing import Signer
from cfcookies.verify import verify_request
from tests.support import RSA_KEY_ID, FakeClock

from .edge_support import APP_ORIGIN, OUTSIDE, OUTSIDE_BYTES, SEGMENT_BYTES, asgi_raw
from .verification_cases import (
    CASE_IDS,
    MEDIA_URL,
    RESOURCE,
    SEGMENT,
    VerificationTable,
)

# --- the verification table, through the edge -------------------------------------------------


@pytest.mark.parametrize("case_id", [pytest.param(i, id=i) for i in CASE_IDS])
def test_edge_matches_verify_request(
    root: Path, table: VerificationTable, clock: FakeClock, case_id: str
) -> None:
    """The edge serves or refuses each case as verify_request decides, with its XML code."""
    case = table.by_id(case_id)
    app = EdgeApp(root, public_keys=table.public_keys, public_url=MEDIA_URL, clock=clock)
    expected = verify_request(
        case.url,
        cookies=case.cookies,
        public_keys=table.public_keys,
        client_ip=case.client_ip,
        now=clock(),
    )

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(case.client_ip or "", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=MEDIA_URL) as client:
            header = case.cookie_header()
            return await client.get(case.path, headers={"cookie": header} if header else {})

    response = anyio.run(fetch)
    assert response.headers["x-cfcookies-decision"] == expected.reason == case.reason
    if case.allowed:
        assert (response.status_code, response.content) == (200, SEGMENT_BYTES)
    else:
        assert response.status_code == 403
        assert response.text == expected.error_xml()
        assert response.headers["content-type"] == "text/xml"
        assert response.headers["x-cache"] == "Error from cloudfront"


def test_signed_url_query_reaches_the_verifier(
    client: TestClient, signer: Signer, clock: FakeClock
) -> None:
    """A signed URL with the viewer's own query string is served."""
    url = signer.sign_url(MEDIA_URL + SEGMENT + "?lang=en", date_less_than=clock.epoch + 60)
    response = client.get(url.removeprefix(MEDIA_URL))
    assert response.status_code == 200


def test_url_rebuilt_from_host_without_public_url(
    root: Path, keys: dict[str, PublicKey], clock: FakeClock, cookie: str
) -> None:
    """Without public_url the request URL comes from the scheme and Host header."""
    app = EdgeApp(root, public_keys=keys, clock=clock)
    with TestClient(app, base_url="https://media.example.test") as client:
        assert client.get(SEGMENT, headers={"cookie": cookie}).status_code == 200
    with TestClient(app, base_url="https://cdn.other.test") as client:
        response = client.get(SEGMENT, headers={"cookie": cookie})
    assert response.headers["x-cfcookies-decision"] == "resource_mismatch"


# --- files ------------------------------------------------------------------------------------


def test_head_sends_headers_only(client: TestClient, cookie: str) -> None:
    """HEAD answers with the file's length and type but no body."""
    response = client.head(SEGMENT, headers={"cookie": cookie})
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(SEGMENT_BYTES))
    assert response.headers["content-type"] == "video/mp2t"
    assert response.content == b""


def test_head_denied_has_no_body(client: TestClient) -> None:
    """A refused HEAD is a 403 without a body."""
    response = client.head(SEGMENT)
    assert (response.status_code, response.content) == (403, b"")


def test_missing_file_is_s3_access_denied_only_after_the_signature(
    client: TestClient, cookie: str
) -> None:
    """A missing file is CloudFront's MissingKey without a signature, S3's AccessDenied with one."""
    path = "/videos/course-1/nope.ts"
    unsigned = client.get(path)
    reason = unsigned.headers["x-cfcookies-decision"]
    assert (unsigned.status_code, reason) == (403, "missing_key_pair_id")
    assert "<Code>MissingKey</Code>" in unsigned.text
    response = client.get(path, headers={"cookie": cookie})
    assert (response.status_code, response.headers["x-cfcookies-decision"]) == (
        403,
        "missing_object",
    )
    assert "<Code>AccessDenied</Code><Message>Access Denied</Message>" in response.text


@pytest.mark.parametrize(
    ("range_header", "status", "content_range", "body"),
    [
        pytest.param("bytes=0-99", 206, "bytes 0-99/1024", SEGMENT_BYTES[:100], id="first-100"),
        pytest.param("bytes=1000-", 206, "bytes 1000-1023/1024", SEGMENT_BYTES[1000:], id="open"),
        pytest.param("bytes=-24", 206, "bytes 1000-1023/1024", SEGMENT_BYTES[-24:], id="suffix"),
        pytest.param(
            "bytes=1020-5000", 206, "bytes 1020-1023/1024", SEGMENT_BYTES[1020:], id="clamped"
        ),
        pytest.param("bytes=-5000", 206, "bytes 0-1023/1024", SEGMENT_BYTES, id="suffix-too-long"),
        pytest.param("bytes=1024-", 416, "bytes */1024", b"", id="past-end"),
        pytest.param("bytes=-0", 416, "bytes */1024", b"", id="empty-suffix"),
        pytest.param("bytes=5-1", 200, None, SEGMENT_BYTES, id="reversed-ignored"),
        pytest.param("bytes=0-1,5-6", 200, None, SEGMENT_BYTES, id="multi-ignored"),
        pytest.param("items=0-1", 200, None, SEGMENT_BYTES, id="other-unit-ignored"),
    ],
)
def test_range_requests(
    client: TestClient,
    cookie: str,
    range_header: str,
    status: int,
    content_range: str | None,
    body: bytes,
) -> None:
    """A single byte range gives 206 with Content-Range, past the end 416, else the whole file."""
    response = client.get(SEGMENT, headers={"cookie": cookie, "range": range_header})
    assert response.status_code == status
    assert response.headers.get("content-range") == content_range
    assert response.content == body
    assert response.headers["accept-ranges"] == "bytes"


def test_range_on_empty_file_is_unsatisfiable() -> None:
    """Any range of an empty file is unsatisfiable."""
    assert parse_range("bytes=0-", 0)[0] == "unsatisfiable"


def test_if_range_with_another_etag_sends_the_whole_file(client: TestClient, cookie: str) -> None:
    """A Range with a stale If-Range gets the whole file."""
    response = client.get(
        SEGMENT, headers={"cookie": cookie, "range": "bytes=0-9", "if-range": '"old"'}
    )
    assert (response.status_code, len(response.content)) == (200, 1024)


def test_etag_revalidation(client: TestClient, cookie: str) -> None:
    """A matching If-None-Match is answered 304 without a body."""
    etag = client.get(SEGMENT, headers={"cookie": cookie}).headers["etag"]
    response = client.get(SEGMENT, headers={"cookie": cookie, "if-none-match": etag})
    assert (response.status_code, response.content) == (304, b"")


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        pytest.param("index.m3u8", "application/vnd.apple.mpegurl", id="m3u8"),
        pytest.param("seg.ts", "video/mp2t", id="ts"),
        pytest.param("movie.mp4", "video/mp4", id="mp4"),
        pytest.param("chunk.m4s", "video/iso.segment", id="m4s"),
        pytest.param("subs.vtt", "text/vtt", id="vtt"),
        pytest.param("poster.JPG", "image/jpeg", id="jpg-upper"),
        pytest.param("thumb.webp", "image/webp", id="webp"),
        pytest.param("manifest.json", "application/json", id="json"),
        pytest.param("blob.unknownext", "application/octet-stream", id="unknown"),
    ],
)
def test_content_types(name: str, content_type: str) -> None:
    """Media files get the content type a player expects."""
    assert content_type_for(name) == content_type


def test_playlist_served_with_its_type(client: TestClient, cookie: str) -> None:
    """An HLS playlist is served as application/vnd.apple.mpegurl."""
    response = client.get("/videos/course-1/index.m3u8", headers={"cookie": cookie})
    assert response.headers["content-type"] == "application/vnd.apple.mpegurl"


def test_other_methods_are_refused(client: TestClient, cookie: str) -> None:
    """POST gets CloudFront's HTML page for a method the behaviour does not allow."""
    response = client.post(SEGMENT, headers={"cookie": cookie})
    assert response.status_code == 403
    assert response.headers["content-type"] == "text/html"
    assert "The request could not be satisfied" in response.text


# --- traversal --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw_path",
    [
        pytest.param(b"/videos/course-1/../../../outside.txt", id="dotdot"),
        pytest.param(b"/videos/course-1/%2e%2e/%2e%2e/%2e%2e/outside.txt", id="encoded-dotdot"),
        pytest.param(b"/videos/course-1/..%2f..%2f..%2foutside.txt", id="encoded-slash"),
        pytest.param(b"/videos/course-1/..%5c..%5c..%5coutside.txt", id="encoded-backslash"),
        pytest.param(b"/videos/course-1/./seg-0001.ts", id="dot"),
        pytest.param(b"/videos/course-1//seg-0001.ts", id="empty-segment"),
        pytest.param(b"/videos/course-1/seg-0001.ts%00.png", id="nul"),
        pytest.param(b"/videos/course-1/", id="folder"),
    ],
)
def test_traversal_never_serves(edge: EdgeApp, cookie: str, raw_path: bytes) -> None:
    """Paths that leave root, or hide separators, are missing objects even with valid cookies."""
    status, headers, body = asgi_raw(edge, raw_path, headers=[(b"cookie", cookie.encode())])
    assert (status, headers["x-cfcookies-decision"]) == (403, "missing_object")
    assert b"<Code>AccessDenied</Code>" in body
    assert OUTSIDE_BYTES not in body


def test_traversal_without_cookies_is_403(edge: EdgeApp) -> None:
    """Without a signature a traversal attempt is refused before any file lookup."""
    status, _, _ = asgi_raw(edge, b"/videos/course-1/../../../outside.txt")
    assert status == 403


def test_symlink_out_of_root_is_not_followed(edge: EdgeApp, root: Path, cookie: str) -> None:
    """A symlink inside root that points outside it is not served."""
    (root / "videos" / "course-1" / "link.ts").symlink_to(root.parent / OUTSIDE)
    status, headers, body = asgi_raw(
        edge, b"/videos/course-1/link.ts", headers=[(b"cookie", cookie.encode())]
    )
    assert (status, headers["x-cfcookies-decision"]) == (403, "missing_object")
    assert b"outside" not in body


def test_unprotected_path_needs_no_signature(client: TestClient) -> None:
    """A file under an unprotected prefix is served without cookies."""
    response = client.get("/public/logo.png")
    assert (response.status_code, response.headers["x-cfcookies-decision"]) == (200, "unprotected")


def test_unprotected_prefix_does_not_leak_by_traversal(edge: EdgeApp) -> None:
    """A traversal out of an unprotected prefix still needs a signature."""
    status, _, _ = asgi_raw(edge, b"/public/../videos/course-1/seg-0001.ts")
    assert status == 403


# --- CORS -------------------------------------------------------------------------------------


def test_cors_allowed_origin_is_echoed_with_credentials(client: TestClient, cookie: str) -> None:
    """The app's origin is echoed exactly, with credentials and Vary: Origin."""
    response = client.get(SEGMENT, headers={"cookie": cookie, "origin": APP_ORIGIN})
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "Origin"


def test_cors_on_refusals_too(client: TestClient) -> None:
    """A 403 to the app's origin carries CORS headers so the page can read the status."""
    response = client.get(SEGMENT, headers={"origin": APP_ORIGIN})
    assert response.status_code == 403
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN


def test_cors_unknown_origin_gets_nothing(client: TestClient, cookie: str) -> None:
    """Another origin gets no CORS headers, and never a wildcard."""
    response = client.get(SEGMENT, headers={"cookie": cookie, "origin": "https://evil.test"})
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-credentials" not in response.headers
    assert response.headers["vary"] == "Origin"


def test_cors_preflight_is_refused_as_the_template_refuses_it(client: TestClient) -> None:
    """With the template's GET/HEAD, a preflight gets CloudFront's HTML 403, not a CORS grant."""
    response = client.options(
        SEGMENT,
        headers={
            "origin": APP_ORIGIN,
            "access-control-request-method": "GET",
            "access-control-request-headers": "range",
        },
    )
    assert response.status_code == 403
    assert response.headers["x-cfcookies-decision"] == "method_not_allowed"
    assert response.headers["content-type"] == "text/html"
    assert "access-control-allow-methods" not in response.headers


@pytest.mark.parametrize(
    "origins",
    [
        pytest.param(["*"], id="star"),
        pytest.param(["https://app.example.test/path"], id="path"),
        pytest.param("https://app.example.test", id="bare-string"),
    ],
)
def test_cors_origins_validated(root: Path, keys: dict[str, PublicKey], origins: Any) -> None:
    """A wildcard, a URL with a path, or a bare string is refused as CORS configuration."""
    with pytest.raises(ConfigurationError):
        EdgeApp(root, public_keys=keys, cors_origins=origins)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"public_url": "https://media.example.test/videos"}, id="public-url-path"),
        pytest.param({"public_keys": {}}, id="no-keys"),
        pytest.param({"unprotected_paths": ["public"]}, id="relative-prefix"),
    ],
)
def test_configuration_errors(root: Path, keys: dict[str, PublicKey], kwargs: Any) -> None:
    """Settings that cannot work are refused when the app is built."""
    options: dict[str, Any] = {"public_keys": keys, **kwargs}
    with pytest.raises(ConfigurationError):
        EdgeApp(root, **options)


def test_root_must_exist(tmp_path: Path, keys: dict[str, PublicKey]) -> None:
    """A missing root folder is refused."""
    with pytest.raises(ConfigurationError):
        EdgeApp(tmp_path / "missing", public_keys=keys)


# --- client IP and extra checks -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("trust", "reason"),
    [pytest.param(True, "allowed", id="trusted"), pytest.param(False, "ip_mismatch", id="ignored")],
)
def test_forwarded_for(
    root: Path,
    keys: dict[str, PublicKey],
    signer: Signer,
    clock: FakeClock,
    trust: bool,
    reason: str,
) -> None:
    """X-Forwarded-For gives the client IP only when the edge is told to trust it."""
    cookies = signer.cookies_for(
        RESOURCE, date_less_than=clock.epoch + 60, ip_address="203.0.113.0/24"
    )
    app = EdgeApp(
        root, public_keys=keys, public_url=MEDIA_URL, clock=clock, trust_forwarded_for=trust
    )
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    with TestClient(app) as client:
        response = client.get(
            SEGMENT, headers={"cookie": header, "x-forwarded-for": "10.0.0.1, 203.0.113.9"}
        )
    assert response.headers["x-cfcookies-decision"] == reason


class _DenyAll:
    def __init__(self, outcome: str | Exception) -> None:
        self.outcome = outcome
        self.seen: list[EdgeRequest] = []

    def check(self, request: EdgeRequest) -> str | None:
        self.seen.append(request)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome or None


@pytest.mark.parametrize(
    ("outcome", "status", "reason"),
    [
        pytest.param("", 200, "allowed", id="passes"),
        pytest.param("session_revoked", 403, "session_revoked", id="reason"),
        pytest.param(ExpiredError("gone", date_less_than=1, now=2), 403, "expired", id="raises"),
    ],
)
def test_deny_list_hook(
    root: Path,
    keys: dict[str, PublicKey],
    clock: FakeClock,
    cookie: str,
    outcome: str | Exception,
    status: int,
    reason: str,
) -> None:
    """An EdgeCheck runs after the signature check and can refuse the request."""
    check = _DenyAll(outcome)
    app = EdgeApp(root, public_keys=keys, public_url=MEDIA_URL, clock=clock, deny_list=check)
    with TestClient(app) as client:
        response = client.get(SEGMENT, headers={"cookie": cookie})
        assert client.get(SEGMENT).status_code == 403
    assert (response.status_code, response.headers["x-cfcookies-decision"]) == (status, reason)
    assert len(check.seen) == 1
    assert check.seen[0].cookies["CloudFront-Key-Pair-Id"] == RSA_KEY_ID
