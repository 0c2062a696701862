"""The state cookie: what the middleware issued to one browser, signed, host-only on the app.

:class:`State` is the record; :class:`StateCodec` writes and reads it in itsdangerous's
``URLSafeSerializer`` format (compact JSON, base64url, an HMAC keyed by the newest secret; older
secrets still read). This is the only module that uses itsdangerous: other signed values keyed by
the state secrets (the playlist links of :mod:`cfcookies.streaming.serve`) are written by a
:class:`TokenCodec` the codec makes for them, under a salt of their own.

The codec also holds the one cache of the per-request path: states already verified, keyed by
the cookie's value, each remembering until when a request carrying it needs nothing (see
:meth:`StateCodec.quiet`). Only authentic states enter it, so forged values neither hold memory
nor evict real sessions. Reads take no lock (a ``dict`` lookup is atomic); writes take one.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import threading
import zlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from itsdangerous import BadData, URLSafeSerializer
from itsdangerous.encoding import base64_encode

from .cookies import MAX_COOKIE_BYTES
from .exceptions import ConfigurationError, ResourceError
from .grants import merge_prefixes
from .policy import JSON_PLAIN
from .signing import HashAlgorithm

__all__ = ["State", "StateCodec", "StateFields", "TokenCodec"]

_SALT = "cfcookies.state.v1"
#: Verified states kept (one per active browser, as far as it goes).
STATE_CACHE_SIZE = 4096
#: A payload longer than this is zlib-compressed when that makes it shorter (itsdangerous's own
#: "." format, which the serializer reads back): folders share long common prefixes.
_COMPRESS_ABOVE = 256


@dataclass(frozen=True, init=False)
class State:
    """What the middleware issued to this browser, as recorded in its state cookie."""

    prefixes: tuple[str, ...]
    expires: int  # DateLessThan of the issued policies
    key_pair_id: str
    hash_algorithm: HashAlgorithm
    domain: str | None
    granted_at: int  # when the session first got cookies; renewals keep it
    session_id: str = ""  # the edge session cookie's id ("" when revocation is off)
    user_id: str = ""
    ip_address: str = ""  # the AWS:SourceIp the policies are bound to ("" when unbound)
    binding: str = ""  # digest of the app's session it was issued to ("" without session_binding)

    def __init__(
        self,
        prefixes: tuple[str, ...],
        expires: int,
        key_pair_id: str,
        hash_algorithm: HashAlgorithm,
        domain: str | None,
        granted_at: int,
        session_id: str = "",
        user_id: str = "",
        ip_address: str = "",
        binding: str = "",
    ) -> None:
        # One is built on every login and renewal: the fields go straight into the instance's
        # dictionary (the generated frozen __init__ calls object.__setattr__ once per field,
        # a third of a cached login).
        fields = self.__dict__
        fields["prefixes"] = prefixes
        fields["expires"] = expires
        fields["key_pair_id"] = key_pair_id
        fields["hash_algorithm"] = hash_algorithm
        fields["domain"] = domain
        fields["granted_at"] = granted_at
        fields["session_id"] = session_id
        fields["user_id"] = user_id
        fields["ip_address"] = ip_address
        fields["binding"] = binding

    def to_payload(self) -> dict[str, object]:
        payload: dict[str, object] = {
            "p": list(self.prefixes),
            "e": self.expires,
            "k": self.key_pair_id,
            "h": self.hash_algorithm,
            "d": self.domain or "",
            "g": self.granted_at,
        }
        if self.session_id:
            payload["s"] = self.session_id
            payload["u"] = self.user_id
        if self.ip_address:
            payload["i"] = self.ip_address
        if self.binding:
            payload["b"] = self.binding
        return payload

    @classmethod
    def from_payload(cls, payload: object) -> State | None:
        """The state a verified payload records, or None if it is not one this module writes
        (a field missing or of the wrong type, prefixes not merged and normalised)."""
        if not isinstance(payload, dict):
            return None
        try:
            prefixes = payload["p"]
            expires = payload["e"]
            key_pair_id = payload["k"]
            hash_algorithm = payload["h"]
            domain = payload["d"]
            granted_at = payload["g"]
        except KeyError:
            return None
        optional = tuple(payload.get(name, "") for name in ("s", "u", "i", "b"))
        if not all(isinstance(v, str) for v in optional):
            return None
        if (
            not isinstance(prefixes, list)
            or not all(isinstance(p, str) for p in prefixes)
            or not isinstance(expires, int)
            or not isinstance(granted_at, int)
            or not isinstance(key_pair_id, str)
            or hash_algorithm not in ("SHA1", "SHA256")
            or not isinstance(domain, str)
        ):
            return None
        try:
            merged = merge_prefixes(prefixes)
        except ResourceError:
            return None
        if list(merged) != prefixes:
            return None
        session_id, user_id, ip_address, binding = optional
        return cls(
            merged,
            expires,
            key_pair_id,
            hash_algorithm,
            domain or None,
            granted_at,
            session_id,
            user_id,
            ip_address,
            binding,
        )


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> bytes:
    """Unpadded base64url, as itsdangerous writes it."""
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=")


def _payload_json(state: State) -> bytes:
    """``json.dumps(state.to_payload(), separators=(",", ":")).encode()``, written directly
    when no string needs an escape (normalised prefixes, key IDs, hosts never do)."""
    texts = "".join(state.prefixes) + state.key_pair_id + (state.domain or "") + state.session_id
    texts += state.user_id + state.ip_address + state.binding
    if (
        not JSON_PLAIN.fullmatch(texts)
        or type(state.expires) is not int
        or type(state.granted_at) is not int
    ):
        return json.dumps(state.to_payload(), separators=(",", ":")).encode()
    folders = '"' + '","'.join(state.prefixes) + '"' if state.prefixes else ""
    text = (
        f'{{"p":[{folders}],"e":{state.expires},'
        f'"k":"{state.key_pair_id}","h":"{state.hash_algorithm}","d":"{state.domain or ""}",'
        f'"g":{state.granted_at}'
    )
    if state.session_id:
        text += f',"s":"{state.session_id}","u":"{state.user_id}"'
    if state.ip_address:
        text += f',"i":"{state.ip_address}"'
    if state.binding:
        text += f',"b":"{state.binding}"'
    return (text + "}").encode()


#: A state's fields, in :class:`State`'s order (what a login compares with the last state).
StateFields = tuple[tuple[str, ...], int, str, HashAlgorithm, "str | None", int, str, str, str, str]


class TokenCodec:
    """Signed, URL-safe tokens keyed by the state secrets under a salt of their own.

    A token is itsdangerous's ``URLSafeSerializer`` format (compact JSON, base64url, an HMAC),
    so it holds only ``A-Z a-z 0-9 - _ .``: safe in a URL path segment. The salt derives a key
    of its own, so a state cookie is no token and a token no state cookie, although both are
    signed with the same secrets; the newest secret signs, every listed one verifies.
    """

    #: Longer tokens are not even verified (no token this library writes comes near).
    max_length = 4096

    def __init__(self, secret_keys: Sequence[bytes], *, salt: str) -> None:
        # (oldest first, as itsdangerous wants them: it signs with the last one)
        self._serializer = URLSafeSerializer(list(secret_keys), salt=salt)

    def __repr__(self) -> str:
        return "TokenCodec(<secrets hidden>)"

    def dumps(self, payload: dict[str, object]) -> str:
        """The token of ``payload`` (JSON-serializable)."""
        return self._serializer.dumps(payload)

    def loads(self, token: str) -> object | None:
        """The payload of an authentic token, or None (forged, malformed, too long)."""
        if not isinstance(token, str) or len(token) > self.max_length:
            return None
        try:
            payload: object = self._serializer.loads(token)
        except (BadData, ValueError, TypeError, RecursionError):
            return None
        return payload


class _Known:
    """A verified state, and (context, until, key pair ID): requests carrying it in that
    context need nothing until then while that key is active. One attribute, replaced whole,
    so that a reader never sees half of an update."""

    __slots__ = ("quiet", "state")

    def __init__(self, state: State) -> None:
        self.state = state
        self.quiet: tuple[Hashable, int, str] | None = None


class StateCodec:
    """Writes and reads state cookie values; remembers the states it verified.

    ``secrets`` are the state secrets, newest first (at least 32 bytes each): the newest signs,
    all of them verify, so a secret can be rotated without logging anyone out.
    """

    def __init__(self, secrets: Sequence[bytes], *, cache_size: int = STATE_CACHE_SIZE) -> None:
        # itsdangerous signs with the last key and accepts all: the caller lists newest first.
        self._serializer = URLSafeSerializer(list(reversed(secrets)), salt=_SALT)
        # Values are written as the serializer writes them and read back by the serializer
        # itself; the keyed HMAC is prepared once instead of on every login.
        signer = self._serializer.make_signer()
        key = signer.derive_key()
        # HMAC (RFC 2104) as itsdangerous computes it: H(key ^ opad, H(key ^ ipad, message)),
        # the two keyed hashes started once and copied per value.
        digest = signer.digest_method
        block = digest().block_size
        padded = (digest(key).digest() if len(key) > block else key).ljust(block, b"\0")
        self._inner = digest(bytes(b ^ 0x36 for b in padded))
        self._outer = digest(bytes(b ^ 0x5C for b in padded))
        self._binding_mac = hmac.new(key + b"|session-binding", digestmod=hashlib.sha256)
        self._sep = signer.sep
        self.cache_size = cache_size
        self._known: dict[str, _Known] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"StateCodec(cache_size={self.cache_size})"

    def token_codec(self, salt: str) -> TokenCodec:
        """A :class:`TokenCodec` keyed by these secrets under ``salt`` (which must differ from
        the state cookie's: give each kind of token its own)."""
        if salt == _SALT:
            raise ConfigurationError(
                "a token codec needs a salt of its own, not the state cookie's"
            )
        return TokenCodec(self._serializer.secret_keys, salt=salt)

    # -- writing -------------------------------------------------------------------------------

    def dumps(self, state: State) -> str:
        """The cookie value of ``state``. Its zlib step (a leading ``.``) is taken only for a
        long payload it shortens: on a few dozen bytes it buys nothing and costs more than the
        HMAC. This runs at every login: the JSON is written directly when nothing in it needs
        an escape, and the HMAC is its two keyed hashes, prepared once."""
        data = _payload_json(state)
        payload = _b64(data)
        if len(data) > _COMPRESS_ABOVE:
            compressed = zlib.compress(data)
            if len(compressed) < len(data) - 1:
                payload = b"." + _b64(compressed)
        inner = self._inner.copy()
        inner.update(payload)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return (payload + self._sep + _b64(outer.digest())).decode("ascii")

    def binding_digest(self, value: str | None) -> str:
        """What a state records of the app's session identifier ``value``: a keyed digest, so
        the identifier itself never travels in a second cookie."""
        if value is None:
            return ""
        mac = self._binding_mac.copy()
        mac.update(str(value).encode("utf-8", "surrogatepass"))
        return base64_encode(mac.digest()[:16]).decode("ascii")

    # -- reading -------------------------------------------------------------------------------

    def loads(self, raw: str) -> State | None:
        """The state of an authentic cookie value, or None (forged, stale or malformed)."""
        known = self._known.get(raw)
        if known is not None:
            return known.state
        if len(raw) > MAX_COOKIE_BYTES:  # longer than any state cookie dumps can write
            return None
        try:
            state = State.from_payload(self._serializer.loads(raw))
        except (BadData, ValueError, TypeError, RecursionError):
            return None
        if state is not None and self.cache_size:
            with self._lock:
                if raw not in self._known:
                    if len(self._known) >= self.cache_size:
                        del self._known[next(iter(self._known))]  # the oldest
                    self._known[raw] = _Known(state)
        return state

    # -- the steady state ----------------------------------------------------------------------

    def remember_quiet(self, raw: str, context: Hashable, until: int, key_pair_id: str) -> None:
        """Record that requests carrying ``raw`` in ``context`` (host, the app's answer, ...)
        need nothing until ``until`` while ``key_pair_id`` is the active key."""
        known = self._known.get(raw)
        if known is not None:
            known.quiet = (context, until, key_pair_id)

    def quiet(self, raw: str, context: Hashable, now: int, key_pair_id: str) -> bool:
        """Whether a request carrying ``raw`` in ``context`` certainly needs nothing now."""
        known = self._known.get(raw)
        if known is None or known.quiet is None:
            return False
        remembered, until, remembered_key = known.quiet
        return now < until and remembered_key == key_pair_id and remembered == context

    def cache_len(self) -> int:
        """How many verified states are remembered."""
        return len(self._known)
