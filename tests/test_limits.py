"""cfcookies.limits: what one session can hold, bounded by arithmetic and measured when near."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfcookies.cookies import MAX_COOKIE_BYTES, dump_cookie
from cfcookies.keys import PrivateKey
from cfcookies.policy import Policy, normalize_prefix, prefix_resource
from cfcookies.revocation import SessionSecrets
from cfcookies.session import CloudFrontCookies
from cfcookies.signing import COOKIE_POLICY, cf_b64encode
from tests.support import RSA_KEY_ID, FakeClock

MEDIA = "https://media.example.test"
SECRET = "state-secret-" + "s" * 32
#: The clock fixture is only read by these tests, never moved.
_FIXTURE = [HealthCheck.function_scoped_fixture]

_SEGMENT = st.text(
    alphabet=st.sampled_from(list("abcXYZ019-_.~!$&'()+=@\u00e9\u4e2d")),
    min_size=1,
    max_size=40,
).filter(lambda s: s not in (".", ".."))


def _cookies(key: PrivateKey, clock: FakeClock, **options: Any) -> CloudFrontCookies:
    return CloudFrontCookies(
        media_url=MEDIA,
        cookie_domain="example.test",
        key_pair_id=RSA_KEY_ID,
        private_key=key,
        state_secret=SECRET,
        clock=clock,
        **options,
    )


def _exact_policy_line(cookies: CloudFrontCookies, prefix: str, bound: bool) -> int:
    """The CloudFront-Policy Set-Cookie line as written, for the largest expiry."""
    ip = "255.255.255.255/32" if bound else None
    policy = Policy(prefix_resource(MEDIA, prefix), 9_999_999_999, None, ip)
    value = cf_b64encode(policy.to_json())
    max_age = 9_999_999_999 if cookies.persistent else None
    return len(
        dump_cookie(
            COOKIE_POLICY,
            value,
            path=prefix,
            attributes=cookies.cloudfront_attributes,
            max_age=max_age,
        )
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(segments=st.lists(_SEGMENT, min_size=1, max_size=6), persistent=st.booleans())
def test_the_policy_cookie_bound_is_the_line_as_written(
    rsa_key: PrivateKey, clock: FakeClock, segments: list[str], persistent: bool
) -> None:
    """The arithmetic size of a folder's CloudFront-Policy line equals the line written
    (normalised prefixes hold nothing that JSON escapes)."""
    prefix = normalize_prefix("/" + "/".join(segments))
    for bound in (False, True):
        cookies = _cookies(
            rsa_key,
            clock,
            persistent=persistent,
            client_ip=(lambda request: "10.0.0.1") if bound else None,
        )
        assert cookies.limits.policy_cookie_bytes(prefix) == _exact_policy_line(
            cookies, prefix, bound
        )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    folders=st.lists(_SEGMENT, min_size=0, max_size=20, unique=True),
    user_id=st.text(max_size=30),
)
def test_the_state_cookie_bound_is_never_below_the_line_as_written(
    rsa_key: PrivateKey, clock: FakeClock, folders: list[str], user_id: str
) -> None:
    """The bound of a state cookie is at least its stand-in as written (compressed or not),
    and exact when no compression applies."""
    cookies = _cookies(rsa_key, clock, session_secrets=SessionSecrets("k" * 32))
    prefixes = tuple(sorted(normalize_prefix(f"/courses/{name}") for name in folders))
    limits = cookies.limits
    stand_in = limits._stand_in(prefixes, user_id)
    written = len(cookies.dump_state(stand_in).split("; Path=")[0]) + len(
        "; " + cookies.state_attributes.suffix("/")
    )
    assert limits.state_line_bytes(prefixes, user_id) >= written
    payload = json.dumps(stand_in.to_payload(), separators=(",", ":"))
    if len(payload) <= 256:
        assert limits.state_line_bytes(prefixes, user_id) == written


def test_a_grant_near_the_limit_is_measured_compressed(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """Folders whose state would overflow uncompressed, but fit compressed, are accepted: the
    bound is only a first look."""
    cookies = _cookies(rsa_key, clock, max_prefixes=20)
    prefixes = tuple(
        sorted(
            normalize_prefix("/videos/" + "common-course-name-" * 8 + f"{n:03d}") for n in range(20)
        )
    )
    uncompressed = sum(len(p) + 3 for p in prefixes) * 4 // 3
    assert uncompressed > MAX_COOKIE_BYTES
    assert cookies.grant_problem(prefixes) is None


@pytest.mark.parametrize("count", [21, 50])
def test_more_folders_than_max_prefixes_is_a_problem(
    rsa_key: PrivateKey, clock: FakeClock, count: int
) -> None:
    """A grant beyond max_prefixes names the limit and what to do."""
    cookies = _cookies(rsa_key, clock)
    prefixes = tuple(f"/f{n:02d}/" for n in range(count))
    problem = cookies.grant_problem(prefixes)
    assert problem is not None
    assert "max_prefixes=20" in problem
