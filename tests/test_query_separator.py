"""``\\?`` and ``?`` in policy resources, as AWS documents them.

AWS's resource-equivalence examples write ``\\?`` for the literal ``?`` that begins the query
string (``http://example.com/hello*`` ≡ ``http://example.com/hello*\\?*``), and ``?`` is the
one-character wildcard. Each form is decided the same way by :func:`resource_matches`, by
``verify_request`` (see also tests/test_verify.py's table, signed as raw JSON) and by the local
edge; the prefix helpers never write either.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cfcookies.edge import EdgeApp
from cfcookies.exceptions import ResourceError
from cfcookies.keys import PrivateKey
from cfcookies.policy import (
    Policy,
    normalize_prefix,
    parse_policy,
    prefix_resource,
    resource_matches,
    validate_resource,
)
from cfcookies.signing import Signer
from tests.support import RSA_KEY_ID, FakeClock

MEDIA = "https://media.example.test"

#: (resource, request path and query, whether CloudFront's rule matches)
CASES = [
    # \? is the separator: a literal '?', never a wildcard
    (MEDIA + "/a.jpg\\?size=large", "/a.jpg?size=large", True),
    (MEDIA + "/a.jpg\\?size=large", "/a.jpgXsize=large", False),
    (MEDIA + "/a.jpg\\?size=large", "/a.jpg?size=larger", False),
    (MEDIA + "/a.jpg\\?size=large", "/a.jpg", False),
    # after \?, '?' is a one-character wildcard in the query
    (MEDIA + "/a.jpg\\?size=?", "/a.jpg?size=m", True),
    (MEDIA + "/a.jpg\\?size=?", "/a.jpg?size=xl", False),
    # a trailing star in the path means "\?*": any query, or none
    (MEDIA + "/hello*", "/hello/world?x=1", True),
    (MEDIA + "/hello*\\?*", "/hello/world?x=1", True),
    (MEDIA + "/hello*\\?*", "/hello/world", True),
    (MEDIA + "/hello\\?*", "/hello-world", False),
    # the path's star stays in the path when the separator is explicit
    (MEDIA + "/v/*\\?id=1", "/v/a/b.ts?id=1", True),
    (MEDIA + "/v/*\\?id=1", "/v/a.ts?x=1&id=1", False),
    # '?' alone: one character in the path ...
    (MEDIA + "/seg-?.ts", "/seg-1.ts", True),
    (MEDIA + "/seg-?.ts", "/seg-12.ts", False),
    (MEDIA + "/seg-?.ts", "/seg-.ts", False),
    # ... or the separator itself, as AWS's signers write a URL with its query
    (MEDIA + "/a.jpg?size=large", "/a.jpg?size=large", True),
    (MEDIA + "/a.jpg?size=large", "/a.jpg?size=small", False),
    (MEDIA + "/a.jpg?size=large", "/a.jpg", False),
    # the domain's trailing star means "/*\?*"
    (MEDIA + "*", "/any/thing?x=1", True),
]


@pytest.mark.parametrize(("resource", "target", "expected"), CASES)
def test_resource_matches_each_form(resource: str, target: str, expected: bool) -> None:
    assert resource_matches(resource, MEDIA + target) is expected


def test_a_resource_with_the_separator_is_written_as_json_escapes_it() -> None:
    """``\\?`` travels as JSON's ``\\\\?`` and reads back unchanged, as json.dumps writes it."""
    resource = MEDIA + "/a.jpg\\?size=large"
    policy = Policy.custom(resource, date_less_than=2_000_000_000)
    data = policy.to_json()
    assert b'"Resource":"https://media.example.test/a.jpg\\\\?size=large"' in data
    assert data == json.dumps(policy.to_dict(), separators=(",", ":")).encode()
    assert parse_policy(data).resource == resource


@pytest.fixture
def edge_root(tmp_path: Path) -> Path:
    for name in ("a.jpg", "seg-1.ts", "seg-12.ts"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "hello").mkdir()
    (tmp_path / "hello" / "world").write_bytes(b"x")
    return tmp_path


@pytest.fixture
def edge_client(edge_root: Path, rsa_key: PrivateKey, clock: FakeClock) -> Iterator[TestClient]:
    app = EdgeApp(
        edge_root,
        public_keys={RSA_KEY_ID: rsa_key.public_key()},
        public_url=MEDIA,
        clock=clock,
    )
    with TestClient(app, base_url=MEDIA) as client:
        yield client


@pytest.mark.parametrize(
    ("resource", "target", "expected"),
    [case for case in CASES if "X" not in case[1] and "-.ts" not in case[1]],
)
def test_the_edge_decides_each_form_as_cloudfront(
    edge_client: TestClient,
    signer: Signer,
    clock: FakeClock,
    resource: str,
    target: str,
    expected: bool,
) -> None:
    """Signed as raw JSON (any signer's policy), sent as cookies to the local edge."""
    condition = {"DateLessThan": {"AWS:EpochTime": clock.epoch + 3600}}
    policy = json.dumps({"Statement": [{"Resource": resource, "Condition": condition}]})
    cookies = signer.signed_cookies(policy.encode())
    edge_client.cookies.clear()
    response = edge_client.get(
        target, headers={"cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    )
    decision = response.headers["x-cfcookies-decision"]
    if expected:
        assert decision != "resource_mismatch", (resource, target)
        assert response.status_code in (200, 403, 404), response.status_code
    else:
        assert decision == "resource_mismatch", (resource, target, decision)
        assert response.status_code == 403


@pytest.mark.parametrize("prefix", ["/a\\?b/", "/a?b/", "/a/\\?/", "/a%5C?/"])
def test_the_prefix_helpers_refuse_both_forms(prefix: str) -> None:
    """A folder holds neither a wildcard nor a separator: refused, never rewritten."""
    with pytest.raises(ResourceError):
        normalize_prefix(prefix)
    with pytest.raises(ResourceError):
        prefix_resource(MEDIA, prefix)


def test_an_encoded_question_mark_in_a_prefix_stays_encoded() -> None:
    """``%3F`` is a literal '?' in a folder name: it stays encoded, neither wildcard nor \\?."""
    resource = prefix_resource(MEDIA, "/a%3Fb/")
    assert resource == MEDIA + "/a%3Fb/*"
    assert validate_resource(resource) == resource
    assert resource_matches(resource, MEDIA + "/a%3Fb/c.ts")
    assert not resource_matches(resource, MEDIA + "/aXb/c.ts")
