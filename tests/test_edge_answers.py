"""cfcookies.edge.answers: the edge answers as the template's distribution does (missing
objects, methods, OPTIONS).

- A missing object under a granted prefix: CloudFront relays what S3 answers. The template's
  bucket policy grants the origin access control ``s3:GetObject`` only, so S3 answers ``403
  AccessDenied`` (the edge's default); ``404 NoSuchKey`` needs ``s3:ListBucket`` too
  (``missing_object="NoSuchKey"``). https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
- A method outside the behaviour's allowed methods: CloudFront's own HTML ``403`` page.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-403-invalid-method.html
- ``OPTIONS``: refused like any other method unless allowed; when allowed it still needs a
  signature, which a browser preflight never carries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from cfcookies.edge import ALLOWED_METHOD_SETS, EdgeApp
from cfcookies.exceptions import ConfigurationError
from cfcookies.keys import PublicKey
from cfcookies.signing import Signer
from tests.support import FakeClock
from tests.template_support import behaviours, only_resource

from .edge_support import APP_ORIGIN, SEGMENT_BYTES, make_edge
from .verification_cases import MEDIA_URL, SEGMENT

MISSING = "/videos/course-1/nope.ts"
#: S3's error body as CloudFront relays it: XML declaration, a newline, then one line.
S3_ACCESS_DENIED = re.compile(
    r'<\?xml version="1\.0" encoding="UTF-8"\?>\n'
    r"<Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
    r"<RequestId>[0-9A-F]{16}</RequestId><HostId>[A-Za-z0-9+/=]{76}</HostId></Error>"
)
S3_NO_SUCH_KEY = re.compile(
    r'<\?xml version="1\.0" encoding="UTF-8"\?>\n'
    r"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist\.</Message>"
    r"<Key>(?P<key>[^<]*)</Key>"
    r"<RequestId>[0-9A-F]{16}</RequestId><HostId>[A-Za-z0-9+/=]{76}</HostId></Error>"
)
PREFLIGHT = {"origin": APP_ORIGIN, "access-control-request-method": "GET"}


@pytest.fixture
def options_client(
    root: Path, keys: dict[str, PublicKey], clock: FakeClock
) -> Iterator[TestClient]:
    edge = make_edge(root, keys, clock, allowed_methods=["GET", "HEAD", "OPTIONS"])
    with TestClient(edge, base_url=MEDIA_URL) as client:
        yield client


# --- a missing object -------------------------------------------------------------------------


def test_missing_object_is_s3_access_denied_relayed(client: TestClient, cookie: str) -> None:
    """By default a signed request for a missing file gets S3's 403 AccessDenied, relayed."""
    response = client.get(MISSING, headers={"cookie": cookie})
    assert response.status_code == 403
    assert S3_ACCESS_DENIED.fullmatch(response.text), response.text
    assert response.headers["content-type"] == "application/xml"
    assert response.headers["server"] == "AmazonS3"
    assert response.headers["x-cache"] == "Error from cloudfront"
    assert response.headers["x-cfcookies-decision"] == "missing_object"


def test_missing_object_gets_fresh_request_ids(client: TestClient, cookie: str) -> None:
    """Each S3 error carries its own RequestId and HostId, as S3's do."""
    first = client.get(MISSING, headers={"cookie": cookie}).text
    second = client.get(MISSING, headers={"cookie": cookie}).text
    assert first != second


def test_missing_object_head_has_no_body(client: TestClient, cookie: str) -> None:
    """HEAD of a missing file is S3's 403 without a body."""
    response = client.head(MISSING, headers={"cookie": cookie})
    assert (response.status_code, response.content) == (403, b"")
    assert response.headers["x-cfcookies-decision"] == "missing_object"


def test_missing_object_without_signature_is_cloudfronts_refusal(client: TestClient) -> None:
    """Without cookies CloudFront refuses before S3 is asked: MissingKey, not S3's answer."""
    response = client.get(MISSING)
    assert response.status_code == 403
    assert "<Code>MissingKey</Code>" in response.text
    assert (response.headers["content-type"], response.headers["server"]) == (
        "text/xml",
        "CloudFront",
    )


def test_missing_object_under_unprotected_path(client: TestClient) -> None:
    """A missing file under a behaviour without signers is S3's answer too, unsigned."""
    response = client.get("/public/nope.png")
    assert (response.status_code, response.headers["x-cfcookies-decision"]) == (
        403,
        "missing_object",
    )
    assert S3_ACCESS_DENIED.fullmatch(response.text)


@pytest.mark.parametrize(
    ("path", "key"),
    [
        pytest.param(MISSING, "videos/course-1/nope.ts", id="plain"),
        pytest.param(
            "/videos/course-1/a%26b%3C.ts", "videos/course-1/a&amp;b&lt;.ts", id="escaped"
        ),
        pytest.param("/videos/course-1/", "videos/course-1/", id="folder"),
    ],
)
def test_no_such_key_with_list_bucket(
    root: Path, keys: dict[str, PublicKey], clock: FakeClock, cookie: str, path: str, key: str
) -> None:
    """missing_object="NoSuchKey" (s3:ListBucket granted) answers S3's 404 naming the key."""
    edge = make_edge(root, keys, clock, missing_object="NoSuchKey")
    with TestClient(edge, base_url=MEDIA_URL) as client:
        response = client.get(path, headers={"cookie": cookie})
    assert (response.status_code, response.headers["x-cfcookies-decision"]) == (
        404,
        "missing_object",
    )
    found = S3_NO_SUCH_KEY.fullmatch(response.text)
    assert found is not None, response.text
    assert found["key"] == key
    assert response.headers["content-type"] == "application/xml"


def test_existing_files_are_unchanged_by_missing_object(
    root: Path, keys: dict[str, PublicKey], clock: FakeClock, cookie: str
) -> None:
    """The missing-object setting changes nothing for a file that exists."""
    edge = make_edge(root, keys, clock, missing_object="NoSuchKey")
    with TestClient(edge, base_url=MEDIA_URL) as client:
        response = client.get(SEGMENT, headers={"cookie": cookie})
    assert (response.status_code, response.content) == (200, SEGMENT_BYTES)


@pytest.mark.parametrize("value", ["NotFound", "404", "accessdenied"])
def test_missing_object_setting_is_validated(
    root: Path, keys: dict[str, PublicKey], value: str
) -> None:
    """Only S3's two answers are accepted."""
    with pytest.raises(ConfigurationError, match="s3:ListBucket"):
        EdgeApp(root, public_keys=keys, missing_object=value)  # type: ignore[arg-type]


# --- a method the behaviour does not allow --------------------------------------------------------


def _assert_cloudfront_method_page(response: Any) -> None:
    assert response.status_code == 403
    assert response.headers["content-type"] == "text/html"
    assert response.headers["server"] == "CloudFront"
    assert response.headers["x-cache"] == "Error from cloudfront"
    assert response.headers["x-cfcookies-decision"] == "method_not_allowed"
    assert "allow" not in response.headers
    text = response.text
    assert "<title>ERROR: The request could not be satisfied</title>" in text
    assert "<h1>403 ERROR</h1>" in text
    assert "not configured to allow the HTTP request method" in text
    assert re.search(r"Request ID: [A-Za-z0-9_-]{56}", text)
    assert "<Error>" not in text


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_method_outside_allowed_methods_gets_cloudfronts_html_page(
    client: TestClient, cookie: str, method: str, signed: bool
) -> None:
    """Any method but GET/HEAD gets CloudFront's HTML 403 page, signed or not."""
    headers = {"cookie": cookie} if signed else {}
    _assert_cloudfront_method_page(client.request(method, SEGMENT, headers=headers))


def test_preflight_gets_the_method_page_when_options_is_not_allowed(client: TestClient) -> None:
    """With GET/HEAD only (the template), a CORS preflight is refused with the HTML page."""
    response = client.options(SEGMENT, headers=PREFLIGHT)
    _assert_cloudfront_method_page(response)
    assert "access-control-allow-methods" not in response.headers


# --- OPTIONS allowed ------------------------------------------------------------------------------


def test_preflight_with_options_allowed_still_needs_a_signature(
    options_client: TestClient,
) -> None:
    """A browser preflight carries no cookies, so a protected path refuses it: MissingKey."""
    response = options_client.options(SEGMENT, headers=PREFLIGHT)
    assert response.status_code == 403
    assert response.headers["x-cfcookies-decision"] == "missing_key_pair_id"
    assert "<Code>MissingKey</Code>" in response.text
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "access-control-allow-methods" not in response.headers


def test_signed_preflight_with_options_allowed_is_answered(
    options_client: TestClient, signer: Signer, clock: FakeClock
) -> None:
    """A preflight to a signed URL passes the check and gets the policy's CORS answer."""
    url = signer.sign_url(MEDIA_URL + SEGMENT, date_less_than=clock.epoch + 60)
    response = options_client.options(
        url.removeprefix(MEDIA_URL),
        headers={**PREFLIGHT, "access-control-request-headers": "range"},
    )
    assert (response.status_code, response.headers["x-cfcookies-decision"]) == (204, "preflight")
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-allow-methods"] == "GET, HEAD"
    assert response.headers["access-control-allow-headers"] == "Range"
    assert response.headers["access-control-max-age"] == "600"


@pytest.mark.parametrize(
    ("origin", "method"),
    [
        pytest.param("https://evil.test", "GET", id="unknown-origin"),
        pytest.param(APP_ORIGIN, "DELETE", id="unknown-method"),
        pytest.param(APP_ORIGIN, "OPTIONS", id="options-is-not-a-cors-method"),
    ],
)
def test_signed_preflight_for_another_origin_or_method_is_refused(
    options_client: TestClient, signer: Signer, clock: FakeClock, origin: str, method: str
) -> None:
    """Past the signature, a preflight from another origin or for another method gets no grant."""
    url = signer.sign_url(MEDIA_URL + SEGMENT, date_less_than=clock.epoch + 60)
    response = options_client.options(
        url.removeprefix(MEDIA_URL),
        headers={"origin": origin, "access-control-request-method": method},
    )
    assert (response.status_code, response.headers["x-cfcookies-decision"]) == (
        403,
        "preflight_refused",
    )
    assert "access-control-allow-origin" not in response.headers


def test_preflight_under_unprotected_path_needs_no_signature(options_client: TestClient) -> None:
    """A behaviour without signers answers the preflight without cookies."""
    response = options_client.options("/public/logo.png", headers=PREFLIGHT)
    assert (response.status_code, response.headers["x-cfcookies-decision"]) == (204, "preflight")


def test_options_allowed_keeps_other_methods_refused(options_client: TestClient) -> None:
    """Allowing OPTIONS does not allow POST."""
    _assert_cloudfront_method_page(options_client.post(SEGMENT))


def test_options_allowed_serves_files_as_before(options_client: TestClient, cookie: str) -> None:
    """GET is unchanged when OPTIONS is allowed."""
    response = options_client.get(SEGMENT, headers={"cookie": cookie})
    assert (response.status_code, response.content) == (200, SEGMENT_BYTES)


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("methods", "expected"),
    [
        pytest.param(("GET", "HEAD"), ("GET", "HEAD"), id="default"),
        pytest.param(["head", "get"], ("GET", "HEAD"), id="any-order-and-case"),
        pytest.param(["OPTIONS", "GET", "HEAD"], ("GET", "HEAD", "OPTIONS"), id="options"),
    ],
)
def test_allowed_methods_accepts_cloudfronts_read_sets(
    root: Path, keys: dict[str, PublicKey], methods: Any, expected: tuple[str, ...]
) -> None:
    """GET/HEAD and GET/HEAD/OPTIONS are accepted in any order or case."""
    assert EdgeApp(root, public_keys=keys, allowed_methods=methods).allowed_methods == expected
    assert expected in ALLOWED_METHOD_SETS


@pytest.mark.parametrize(
    "methods",
    [
        pytest.param(["GET"], id="get-only"),
        pytest.param(["GET", "HEAD", "POST"], id="not-a-cloudfront-set"),
        pytest.param(
            ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"], id="all-seven-writes"
        ),
        pytest.param("GET,HEAD", id="one-string"),
        pytest.param([], id="none"),
    ],
)
def test_allowed_methods_refuses_other_sets(
    root: Path, keys: dict[str, PublicKey], methods: Any
) -> None:
    """A set CloudFront does not offer, or one with writes, is refused when the app is built."""
    with pytest.raises(ConfigurationError, match="allowed_methods"):
        EdgeApp(root, public_keys=keys, allowed_methods=methods)


# --- the edge and the template agree --------------------------------------------------------------


def test_default_allowed_methods_are_the_templates(
    template: dict[str, Any], root: Path, keys: dict[str, PublicKey]
) -> None:
    """Every behaviour of the template allows (and caches) exactly what the edge allows."""
    edge = EdgeApp(root, public_keys=keys)
    for behaviour in behaviours(template):
        assert tuple(behaviour["AllowedMethods"]) == edge.allowed_methods
        assert tuple(behaviour["CachedMethods"]) == ("GET", "HEAD")


def test_cors_methods_are_the_templates(
    template: dict[str, Any],
    root: Path,
    keys: dict[str, PublicKey],
    signer: Signer,
    clock: FakeClock,
) -> None:
    """The edge's Access-Control-Allow-Methods is the response headers policy's."""
    _, policy = only_resource(template, "AWS::CloudFront::ResponseHeadersPolicy")
    cors = policy["Properties"]["ResponseHeadersPolicyConfig"]["CorsConfig"]
    edge = make_edge(root, keys, clock, allowed_methods=["GET", "HEAD", "OPTIONS"])
    url = signer.sign_url(MEDIA_URL + SEGMENT, date_less_than=clock.epoch + 60)
    with TestClient(edge, base_url=MEDIA_URL) as client:
        response = client.options(url.removeprefix(MEDIA_URL), headers=PREFLIGHT)
    assert response.headers["access-control-allow-methods"] == ", ".join(
        cors["AccessControlAllowMethods"]["Items"]
    )
    assert response.headers["access-control-allow-headers"] == ", ".join(
        cors["AccessControlAllowHeaders"]["Items"]
    )
    assert response.headers["access-control-max-age"] == str(cors["AccessControlMaxAgeSec"])


def test_default_missing_object_is_what_the_bucket_policy_gives(
    template: dict[str, Any], root: Path, keys: dict[str, PublicKey]
) -> None:
    """The template grants no s3:ListBucket, so the edge's default is S3's AccessDenied."""
    _, policy = only_resource(template, "AWS::S3::BucketPolicy")
    actions = set()
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        if statement["Effect"] == "Allow":
            granted = statement["Action"]
            actions |= {granted} if isinstance(granted, str) else set(granted)
    assert "s3:ListBucket" not in actions
    assert EdgeApp(root, public_keys=keys).missing_object == "AccessDenied"
