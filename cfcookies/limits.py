"""What one session can hold: folders, and cookies a browser keeps whole.

A browser keeps a cookie of at most 4,096 bytes and about 150 cookies per domain; a grant that
would need more loses a cookie silently, and the folder stops playing with no error anywhere.
:class:`SessionLimits` says why a set of folders cannot be held, before anything is issued.

The check runs in every ``grant()`` call, so it is arithmetic first: the sizes are bounded
from the lengths of what they are made of, and only a grant near a limit is measured exactly
(its state cookie written with stand-ins of full length, as it could be written).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from itsdangerous.encoding import base64_encode

from .cookies import MAX_COOKIE_BYTES, CookieAttributes
from .policy import Policy, prefix_resource
from .signing import COOKIE_POLICY
from .state import State

if TYPE_CHECKING:
    from .session import CloudFrontCookies

__all__ = ["SessionLimits"]

#: Bytes kept free under the 4,096 a browser keeps per cookie: the bound of a grant's state
#: cookie is computed with stand-ins for the values only known when it is written.
_STATE_MARGIN = 64
#: Stand-ins of realistic length and entropy for what is only known when a state is written.
_SID_STAND_IN = base64_encode(hashlib.sha256(b"cfcookies session id").digest()[:16]).decode()
_BINDING_STAND_IN = base64_encode(hashlib.sha256(b"cfcookies binding").digest()[:16]).decode()
_FAR = 9_999_999_999
_MAX_AGE = len("; Max-Age=9999999999")


def _b64_length(size: int) -> int:
    """Length of unpadded base64 of ``size`` bytes."""
    return (4 * size + 2) // 3


class SessionLimits:
    """Why a session could not hold a set of folders, or None.

    ``dump_value`` writes a state cookie value as the middleware would; ``stand_in`` builds the
    largest state a session with these folders and this user ID could be written with.
    """

    def __init__(
        self,
        *,
        media_url: str,
        max_prefixes: int,
        cloudfront_attributes: CookieAttributes,
        state_attributes: CookieAttributes,
        state_cookie_name: str,
        persistent: bool,
        bound: bool,
        dump_value: Callable[[State], str],
        stand_in: Callable[[tuple[str, ...], str], State],
        with_user_id: bool,
    ) -> None:
        self.media_url = media_url
        self.max_prefixes = max_prefixes
        self._attributes = cloudfront_attributes
        self._dump_value = dump_value
        self._stand_in = stand_in
        self._ip = "255.255.255.255/32" if bound else None
        self._max_age = _MAX_AGE if persistent else 0
        self._with_user_id = with_user_id
        # The fixed parts of the two sizes, measured once: a policy JSON whose resource is
        # the distribution's root, and a state value of no folders and no user ID.
        root = prefix_resource(media_url, "/")
        self._root_policy_json = len(Policy(root, _FAR, None, self._ip).to_json())
        empty = stand_in((), "")
        self._state_json_base = len(json.dumps(empty.to_payload(), separators=(",", ":")))
        self._mac_length = len(dump_value(empty).rsplit(".", 1)[1]) + 1
        self._state_line_base = (
            len(state_cookie_name) + 1 + len("; " + state_attributes.suffix("/")) + self._max_age
        )
        self._fits_up_to = self._largest_total_that_fits()

    def _largest_total_that_fits(self) -> int:
        """The largest "total" (the folders' characters, 3 per folder and 12 per character of
        the user ID, the most JSON writes for one) that certainly fits: each folder's policy
        cookie and the state cookie's bound grow with it, so up to it :meth:`problem` needs no
        other check."""
        low, high = 0, MAX_COOKIE_BYTES
        while low < high:  # the largest total whose longest folder and state both fit
            middle = (low + high + 1) // 2
            folder = "/" + "a" * max(0, middle - 1)
            bound = self._state_line_base + _b64_length(self._state_json_base + middle)
            if (
                self.policy_cookie_bytes(folder) <= MAX_COOKIE_BYTES
                and bound + self._mac_length <= MAX_COOKIE_BYTES - _STATE_MARGIN
            ):
                low = middle
            else:
                high = middle - 1
        return low

    @classmethod
    def of(cls, cookies: CloudFrontCookies) -> SessionLimits:
        """The limits of a configured middleware."""
        bound = cookies.client_ip is not None
        return cls(
            media_url=cookies.media_url,
            max_prefixes=cookies.max_prefixes,
            cloudfront_attributes=cookies.cloudfront_attributes,
            state_attributes=cookies.state_attributes,
            state_cookie_name=cookies.state_cookie_name,
            persistent=cookies.persistent,
            bound=bound,
            dump_value=cookies.codec.dumps,
            stand_in=stand_in_state(
                key_pair_id_length=len(cookies.keys.active().key_pair_id),
                domain=cookies.cookie_domain,
                session_ids=cookies.session_secrets is not None,
                bound=bound,
                binding=cookies.session_binding is not None,
            ),
            with_user_id=cookies.session_secrets is not None,
        )

    def problem(self, prefixes: tuple[str, ...], user_id: str = "") -> str | None:
        """Why a session could not hold ``prefixes`` (merged, normalised), or None."""
        count = len(prefixes)
        if (
            count <= self.max_prefixes
            and sum(map(len, prefixes)) + 3 * count + 12 * len(user_id) <= self._fits_up_to
        ):
            return None  # (far from every limit: the common case, decided by arithmetic)
        if count > self.max_prefixes:
            return (
                f"{len(prefixes)} folders granted to one session; max_prefixes="
                f"{self.max_prefixes} fit in the browser's cookie jar. Grant a common parent "
                f"folder instead"
            )
        if prefixes:
            longest = max(prefixes, key=len)  # (the longest folder: the largest policy cookie)
            size = self.policy_cookie_bytes(longest)
            if size > MAX_COOKIE_BYTES:
                return (
                    f"the CloudFront-Policy cookie for the folder {longest[:80]!r} would be "
                    f"{size} bytes; browsers keep {MAX_COOKIE_BYTES}. Grant a shorter folder"
                )
        size = self.state_line_bytes(prefixes, user_id)
        if size > MAX_COOKIE_BYTES - _STATE_MARGIN:
            return (
                f"the session's state cookie would be about {size} bytes for "
                f"{len(prefixes)} folders ({sum(map(len, prefixes))} characters); browsers keep "
                f"{MAX_COOKIE_BYTES}. Grant fewer or shorter folders (a common parent folder)"
            )
        return None

    def policy_cookie_bytes(self, prefix: str) -> int:
        """The longest ``Set-Cookie`` line of the ``CloudFront-Policy`` cookie for ``prefix``.

        A normalised prefix holds nothing JSON escapes, so its policy's JSON is the root's
        with the prefix in place of the ``/``."""
        json_length = self._root_policy_json - 1 + len(prefix)
        return (
            len(COOKIE_POLICY)
            + 1
            + -(-json_length // 3) * 4
            + len("; " + self._attributes.suffix(prefix))
            + self._max_age
        )

    def state_line_bytes(self, prefixes: tuple[str, ...], user_id: str) -> int:
        """The longest ``Set-Cookie`` line of the state cookie of a session holding
        ``prefixes``: bounded from the lengths (uncompressed), and measured as written (perhaps
        compressed) only when that bound is near the limit."""
        json_length = self._state_json_base + sum(map(len, prefixes)) + 3 * len(prefixes)
        if prefixes:
            json_length -= 1  # n items take n - 1 commas
        if self._with_user_id and user_id:
            json_length += len(json.dumps(user_id)) - 2
        bound = self._state_line_base + _b64_length(json_length) + self._mac_length
        if bound <= MAX_COOKIE_BYTES - _STATE_MARGIN:
            return bound
        value = self._dump_value(self._stand_in(prefixes, user_id))
        return self._state_line_base + len(value)


def stand_in_state(
    *,
    key_pair_id_length: int,
    domain: str | None,
    session_ids: bool,
    bound: bool,
    binding: bool,
) -> Callable[[tuple[str, ...], str], State]:
    """A builder of the largest state written for given folders and user ID: stand-ins of full
    length for the session ID, the key pair ID, the bound address and the times."""
    key_pair_id = "K" * max(32, key_pair_id_length)

    def build(prefixes: tuple[str, ...], user_id: str) -> State:
        return State(
            prefixes,
            _FAR,
            key_pair_id,
            "SHA256",
            domain,
            _FAR,
            _SID_STAND_IN if session_ids else "",
            user_id,
            "255.255.255.255/32" if bound else "",
            _BINDING_STAND_IN if binding else "",
        )

    return build
