"""cfcookies.state: the state cookie's record, its codec, and the one cache of verified states."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer

from cfcookies.state import State, StateCodec

NEW = b"n" * 32
OLD = b"o" * 32
STATE = State(
    ("/videos/a/",), 1_900_000_000, "K2JCJMDEHXQW5F", "SHA1", "example.test", 1_800_000_000
)
FULL = State(
    ("/videos/a/", "/videos/b/"),
    1_900_000_000,
    "K2JCJMDEHXQW5F",
    "SHA256",
    None,
    1_800_000_000,
    "sid",
    "user-1",
    "192.0.2.1/32",
    "digest",
)


@pytest.mark.parametrize("state", [STATE, FULL], ids=["minimal", "every-field"])
def test_a_state_survives_its_payload(state: State) -> None:
    """to_payload and from_payload are inverse for every state the middleware writes."""
    assert State.from_payload(state.to_payload()) == state


def _payload(**changes: Any) -> dict[str, Any]:
    payload = FULL.to_payload()
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not _DROP}


_DROP = object()


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param([], id="not-a-dict"),
        pytest.param(_payload(p=_DROP), id="no-prefixes"),
        pytest.param(_payload(e="1900000000"), id="expiry-as-text"),
        pytest.param(_payload(g=1.5), id="grant-time-not-whole"),
        pytest.param(_payload(h="MD5"), id="unknown-hash"),
        pytest.param(_payload(k=None), id="key-id-not-text"),
        pytest.param(_payload(d=0), id="domain-not-text"),
        pytest.param(_payload(s=7), id="session-id-not-text"),
        pytest.param(_payload(p=["/videos/b/", "/videos/a/"]), id="prefixes-unsorted"),
        pytest.param(_payload(p=["/videos/", "/videos/a/"]), id="prefixes-not-merged"),
        pytest.param(_payload(p=["/videos/a"]), id="prefix-not-normalised"),
        pytest.param(_payload(p=["/users/ /"]), id="prefix-refused"),
    ],
)
def test_a_payload_the_middleware_would_not_write_reads_as_no_state(payload: Any) -> None:
    """A field missing or of the wrong type, or prefixes not merged and normalised, is no
    state: never a guess."""
    assert State.from_payload(payload) is None


def test_values_are_itsdangerous_urlsafe_serializer_values() -> None:
    """The codec writes what URLSafeSerializer reads with the same secret and salt, and reads
    what it writes (long payloads compressed in its own format)."""
    codec = StateCodec([NEW])
    reader = URLSafeSerializer(NEW, salt="cfcookies.state.v1")
    long_state = State(
        tuple(f"/videos/course-{n:03d}/" for n in range(20)),
        STATE.expires,
        STATE.key_pair_id,
        STATE.hash_algorithm,
        STATE.domain,
        STATE.granted_at,
    )
    for state in (STATE, long_state):
        value = codec.dumps(state)
        assert reader.loads(value) == state.to_payload()
        assert codec.loads(reader.dumps(state.to_payload())) == state
    assert codec.dumps(long_state).startswith(".")  # zlib-compressed: folders share prefixes
    assert not codec.dumps(STATE).startswith(".")


def test_an_older_secret_still_reads_and_only_the_newest_signs() -> None:
    """Secrets are listed newest first: rotation logs nobody out."""
    before = StateCodec([OLD]).dumps(STATE)
    rotated = StateCodec([NEW, OLD])
    assert rotated.loads(before) == STATE
    assert StateCodec([NEW]).loads(rotated.dumps(STATE)) == STATE
    assert StateCodec([OLD]).loads(rotated.dumps(STATE)) is None


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("garbage", id="garbage"),
        pytest.param("x" * 5000, id="longer-than-any-cookie"),
        pytest.param(StateCodec([OLD]).dumps(STATE), id="another-secret"),
        pytest.param(StateCodec([NEW]).dumps(STATE)[:-2] + "AA", id="tampered-mac"),
        pytest.param(
            URLSafeSerializer(NEW, salt="cfcookies.state.v1").dumps([1]), id="not-a-state"
        ),
    ],
)
def test_a_value_that_is_not_an_authentic_state_reads_as_none_and_is_not_kept(value: str) -> None:
    """Forged values neither hold memory nor evict the states of real sessions."""
    codec = StateCodec([NEW])
    assert codec.loads(value) is None
    assert codec.cache_len() == 0


def test_the_cache_is_bounded_and_forgets_the_oldest_first() -> None:
    """A full cache drops its oldest state, which still reads (verified again)."""
    codec = StateCodec([NEW], cache_size=3)
    values = [
        codec.dumps(State(STATE.prefixes, STATE.expires + n, *_rest(STATE))) for n in range(4)
    ]
    for value in values:
        assert codec.loads(value) is not None
    assert codec.cache_len() == 3
    assert codec.loads(values[0]) is not None  # verified again, not lost


def _rest(state: State) -> tuple[Any, ...]:
    return (state.key_pair_id, state.hash_algorithm, state.domain, state.granted_at)


def test_quiet_holds_only_for_the_same_context_key_and_time() -> None:
    """A state judged to need nothing stays so until its time, for the context and key it was
    judged in: another host, answer or key asks again."""
    codec = StateCodec([NEW])
    value = codec.dumps(STATE)
    context = ("app.example.test", None, None, None)
    codec.remember_quiet(value, context, until=100, key_pair_id="K1")  # not verified: ignored
    assert not codec.quiet(value, context, now=50, key_pair_id="K1")
    assert codec.loads(value) == STATE
    codec.remember_quiet(value, context, until=100, key_pair_id="K1")
    assert codec.quiet(value, context, now=99, key_pair_id="K1")
    assert not codec.quiet(value, context, now=100, key_pair_id="K1")
    assert not codec.quiet(value, context, now=50, key_pair_id="K2")
    assert not codec.quiet(value, ("other.example.test", None, None, None), 50, "K1")
    assert not codec.quiet(value, ("app.example.test", ("/a/",), None, None), 50, "K1")


def test_binding_digests_are_keyed_and_short() -> None:
    """The app's session identifier is recorded as a keyed digest: equal for equal inputs,
    different per secret, never the identifier itself."""
    codec = StateCodec([NEW])
    digest = codec.binding_digest("session-123")
    assert digest == codec.binding_digest("session-123")
    assert digest != StateCodec([OLD]).binding_digest("session-123")
    assert "session-123" not in digest
    assert len(digest) == 22
    assert codec.binding_digest(None) == ""
    assert len({codec.binding_digest(str(n)) for n in range(1000)}) == 1000


_TEXT = st.text(max_size=12)
_FOLDER = st.from_regex(r"/[a-z0-9%._~-]{1,12}/", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(
    prefixes=st.lists(_FOLDER, max_size=4, unique=True).map(lambda p: tuple(sorted(p))),
    expires=st.integers(0, 2**40),
    key_pair_id=_TEXT,
    hash_algorithm=st.sampled_from(["SHA1", "SHA256"]),
    domain=st.one_of(st.none(), _TEXT),
    granted_at=st.integers(0, 2**40),
    extra=st.tuples(_TEXT, _TEXT, _TEXT, _TEXT),
)
def test_values_are_byte_for_byte_what_itsdangerous_writes(
    prefixes: tuple[str, ...],
    expires: int,
    key_pair_id: str,
    hash_algorithm: Any,
    domain: str | None,
    granted_at: int,
    extra: tuple[str, str, str, str],
) -> None:
    """The JSON written directly is json.dumps' to the byte, the MAC is itsdangerous's own,
    and URLSafeSerializer reads the value back."""
    state = State(prefixes, expires, key_pair_id, hash_algorithm, domain, granted_at, *extra)
    reference = URLSafeSerializer([OLD, NEW], salt="cfcookies.state.v1")
    ours = StateCodec([NEW, OLD]).dumps(state)
    payload = state.to_payload()
    text = json.dumps(payload, separators=(",", ":")).encode()
    body, _, _ = ours.rpartition(".")
    assert reference.make_signer().sign(body).decode() == ours  # itsdangerous's own HMAC
    if not body.startswith("."):  # uncompressed: the JSON written directly is json.dumps'
        assert base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)) == text
    assert reference.loads(ours) == payload
