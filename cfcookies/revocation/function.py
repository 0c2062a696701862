"""The CloudFront Function that enforces revocation at the edge: :func:`function_code`.

A viewer-request CloudFront Function (runtime ``cloudfront-js-2.0``) reads the secret (current,
then previous during a rotation) from the CloudFront KeyValueStore associated with it, checks
the MAC and the expiry, and looks the session and the user up in the deny-list kept in the same
store. Anything missing, forged, expired, revoked or bound to another policy gets CloudFront's
own ``403 AccessDenied`` XML, and so does any error reading the store (fail closed); otherwise
the request goes on unchanged, and CloudFront's signed-cookie check still applies.

The JavaScript lives beside this module as ``function.js`` (package data), so that it reads,
lints and diffs as JavaScript. It is a template: :func:`function_code` fills its
``__COOKIE__``, ``__SECRET__``, ``__PREVIOUS__`` and ``__PREFIX__`` placeholders with JSON
strings, after checking that they cannot break out of them. Publishing it is
:func:`cfcookies.aws.publish_function`'s job.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

from ..exceptions import ConfigurationError
from .deny_list import _check_prefix
from .token import POLICY_COOKIE, SESSION_COOKIE

__all__ = [
    "DEFAULT_PREVIOUS_SECRET_KEY",
    "DEFAULT_SECRET_KEY",
    "FUNCTION_RUNTIME",
    "MAX_FUNCTION_SIZE",
    "function_code",
]


#: KeyValueStore key holding the current HMAC secret.
DEFAULT_SECRET_KEY = "__cfcookies_secret"  # noqa: S105 - a key name, not a secret
#: KeyValueStore key holding the previous HMAC secret, accepted during a rotation.
DEFAULT_PREVIOUS_SECRET_KEY = "__cfcookies_secret_previous"  # noqa: S105 - a key name
#: The CloudFront Functions runtime that can read a KeyValueStore.
FUNCTION_RUNTIME = "cloudfront-js-2.0"
#: CloudFront's function size quota (bytes, not adjustable).
MAX_FUNCTION_SIZE = 10 * 1024

_COOKIE_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+^_`|~.-]{1,128}")
_KVS_KEY = re.compile(r"[A-Za-z0-9_.:/-]{1,200}")


@functools.cache
def _template() -> str:
    """The function's JavaScript with its placeholders (``function.js``, read once)."""
    return resources.files(__package__).joinpath("function.js").read_text(encoding="utf-8")


def _check_kvs_key(value: object, field: str) -> str:
    if not isinstance(value, str) or not _KVS_KEY.fullmatch(value):
        raise ConfigurationError(
            f"{field} must be 1 to 200 characters of A-Z a-z 0-9 _ . : / -, got {value!r}"
        )
    return value


def function_code(
    *,
    cookie_name: str = SESSION_COOKIE,
    kvs_secret_key: str = DEFAULT_SECRET_KEY,
    kvs_previous_secret_key: str = DEFAULT_PREVIOUS_SECRET_KEY,
    key_prefix: str = "",
) -> str:
    """The viewer-request JavaScript (runtime ``cloudfront-js-2.0``) that enforces revocation.

    The function only adds a check: a request it lets through is returned unchanged, so the
    behaviour's trusted key groups still make CloudFront verify the signed cookies. Associate the
    KeyValueStore holding the secrets and the deny-list with the function.
    """
    if not isinstance(cookie_name, str) or not _COOKIE_NAME.fullmatch(cookie_name):
        raise ConfigurationError(f"cookie_name must be a cookie token, got {cookie_name!r}")
    if cookie_name == POLICY_COOKIE:
        raise ConfigurationError(f"cookie_name must not be {POLICY_COOKIE}, which it is bound to")
    _check_kvs_key(kvs_secret_key, "kvs_secret_key")
    _check_kvs_key(kvs_previous_secret_key, "kvs_previous_secret_key")
    if kvs_secret_key == kvs_previous_secret_key:
        raise ConfigurationError("kvs_secret_key and kvs_previous_secret_key must differ")
    _check_prefix(key_prefix)
    code = (
        _template()
        .replace("__COOKIE__", json.dumps(cookie_name))
        .replace("__SECRET__", json.dumps(kvs_secret_key))
        .replace("__PREVIOUS__", json.dumps(kvs_previous_secret_key))
        .replace("__PREFIX__", json.dumps(key_prefix))
    )
    size = len(code.encode("utf-8"))
    if size > MAX_FUNCTION_SIZE:  # pragma: no cover - the inputs are bounded well below this
        raise ConfigurationError(f"the function is {size} bytes; CloudFront allows 10 KB")
    return code
