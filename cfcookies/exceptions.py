"""The exceptions cfcookies raises, in one tree.

::

    CloudFrontCookieError
    ├── ConfigurationError (ValueError)      a setting that cannot work; raised at start-up
    │   ├── CookieSizeError                  the cookies would exceed what browsers accept
    │   ├── UnknownOptionError (TypeError)   an option cfcookies does not have (names the one meant)
    │   └── SettingError                     a CFCOOKIES_* setting whose text cannot be read
    ├── GrantLimitError (ValueError)         a grant beyond what one browser session can hold
    ├── MiddlewareMissingError (RuntimeError) grant()/revoke() on a request no middleware handles
    ├── KeyLoadError (ValueError)            a private or public key that cannot be used
    │   ├── EncryptedKeyError                encrypted key without (or with a wrong) passphrase
    │   └── UnsupportedKeyError              not RSA-2048 or ECDSA P-256
    ├── PolicyError (ValueError)             a policy, resource, time or IP range that is wrong
    │   ├── ResourceError                    a resource or prefix CloudFront would not match
    │   ├── PolicyTimeError                  a time that cannot be right
    │   │   └── NaiveDatetimeError (TypeError) a datetime without a timezone
    │   ├── IPAddressError                   not an IPv4 address or CIDR range
    │   └── MalformedPolicyError             policy JSON CloudFront would reject
    ├── SigningError                         the signing call itself failed
    ├── SignedURLError (ValueError)          a URL that cannot be signed as given
    ├── PlaylistError (ValueError)           a playlist or manifest that cannot be rewritten
    ├── PlaylistLinkError                    a playlist link refused (``reason`` says which check)
    ├── PlaylistSourceError                  the origin could not give a playlist
    │   └── PlaylistNotFoundError            the origin holds no such playlist
    ├── AWSError                             an AWS API call failed (see cfcookies.aws)
    │   ├── AWSCredentialsError              no usable credentials or region, or AWS rejected them
    │   ├── AWSAccessDeniedError             the caller lacks a permission (IAM, KMS, a policy)
    │   ├── AWSNotFoundError                 the secret, parameter, key, group or distribution
    │   ├── AWSConflictError                 the resource's state forbids the change
    │   │   ├── PreconditionFailedError      it changed since it was read (ETag): run again
    │   │   └── ResourceInUseError           still in a key group, or trusted by a behavior
    │   └── KeyGroupQuotaError               past the account's quota of keys per key group
    ├── RotationRefusedError                 a rotation step that would break cookies in use
    ├── DenyListFullError                    the revocation deny-list has no room left
    └── VerificationError                    a request CloudFront would refuse (403)
        ├── MissingKeyPairIdError            no Key-Pair-Id query parameter or cookie
        ├── UnknownKeyError                  the key pair ID is not trusted
        ├── MalformedSignatureError          the signature is not CloudFront base64
        ├── MalformedRequestPolicyError      the policy is not valid base64 JSON
        ├── UnsupportedHashAlgorithmError    Hash-Algorithm is neither SHA1 nor SHA256
        ├── BadSignatureError                the signature does not match the policy
        ├── NotYetValidError                 now is on or before DateGreaterThan
        ├── ExpiredError                     now is at or after DateLessThan
        ├── IPMismatchError                  the client IP is outside AWS:SourceIp
        ├── ResourceMismatchError            the URL does not match the policy's Resource
        └── SessionCookieError               the edge's revocation check refuses the request
            ├── MissingSessionError          no session cookie, or no policy cookie beside it
            ├── MalformedSessionError        not a session token
            ├── ForgedSessionError           its MAC matches no secret for this policy
            ├── SessionExpiredError          now is at or after its expiry
            ├── SessionRevokedError          the session or its user is on the deny-list
            └── DenyListUnavailableError     the deny-list could not be read (fail closed)

    WeakHashWarning (UserWarning)            SHA-1 asked for with an ECDSA key

Messages say what was wrong and how to fix it, and never contain key material or cookie
values.
"""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "AWSAccessDeniedError",
    "AWSConflictError",
    "AWSCredentialsError",
    "AWSError",
    "AWSNotFoundError",
    "BadSignatureError",
    "CloudFrontCookieError",
    "ConfigurationError",
    "CookieSizeError",
    "DenyListFullError",
    "DenyListUnavailableError",
    "EncryptedKeyError",
    "ExpiredError",
    "ForgedSessionError",
    "GrantLimitError",
    "IPAddressError",
    "IPMismatchError",
    "KeyGroupQuotaError",
    "KeyLoadError",
    "MalformedPolicyError",
    "MalformedRequestPolicyError",
    "MalformedSessionError",
    "MalformedSignatureError",
    "MiddlewareMissingError",
    "MissingKeyPairIdError",
    "MissingSessionError",
    "NaiveDatetimeError",
    "NotYetValidError",
    "PlaylistError",
    "PlaylistLinkError",
    "PlaylistNotFoundError",
    "PlaylistSourceError",
    "PolicyError",
    "PolicyTimeError",
    "PreconditionFailedError",
    "ResourceError",
    "ResourceInUseError",
    "ResourceMismatchError",
    "RotationRefusedError",
    "SessionCookieError",
    "SessionExpiredError",
    "SessionRevokedError",
    "SettingError",
    "SignedURLError",
    "SigningError",
    "UnknownKeyError",
    "UnknownOptionError",
    "UnsupportedHashAlgorithmError",
    "UnsupportedKeyError",
    "VerificationError",
    "WeakHashWarning",
]


class CloudFrontCookieError(Exception):
    """Base class of every error cfcookies raises on purpose."""


class ConfigurationError(CloudFrontCookieError, ValueError):
    """A setting that cannot work. Raised when the object is built, never per request."""


class CookieSizeError(ConfigurationError):
    """The cookies for a grant would exceed what browsers or CloudFront accept."""


class UnknownOptionError(ConfigurationError, TypeError):
    """An option (or a ``CFCOOKIES_*`` setting) that cfcookies does not have; the message names
    the option meant (``same_site`` is ``samesite``). Also a ``TypeError``, as Python's own
    error for an unexpected keyword argument is. ``name`` is the name as given."""

    def __init__(self, message: str, *, name: str) -> None:
        super().__init__(message)
        self.name = name


class SettingError(ConfigurationError):
    """A setting read from text (an environment variable, a config file) that does not hold
    what its option needs. ``setting`` is the setting's name (``CFCOOKIES_LIFETIME``) and
    ``option`` the option's (``lifetime``); the message names the setting and never shows a
    secret's value."""

    def __init__(self, message: str, *, setting: str, option: str) -> None:
        super().__init__(message)
        self.setting = setting
        self.option = option


class GrantLimitError(CloudFrontCookieError, ValueError):
    """A grant the browser could not hold: more folders than ``max_prefixes``, or cookies (the
    state cookie, a folder's policy cookie) over the 4,096 bytes browsers keep.

    ``grant()`` raises it in the view, before anything is issued; the session keeps what it
    held. Nothing of the grant reaches the response.
    """


class MiddlewareMissingError(CloudFrontCookieError, RuntimeError):
    """``grant()`` or ``revoke()`` on a request that no cfcookies middleware handles: nothing
    would set or delete a cookie, so the call fails loudly instead (as Starlette's
    ``request.session`` does without ``SessionMiddleware``). The message names the middleware to
    install for the request's framework. A ``RuntimeError``: the call is right, the app around
    it is not set up for it.
    """


class KeyLoadError(CloudFrontCookieError, ValueError):
    """A key that cannot be read or used."""


class EncryptedKeyError(KeyLoadError):
    """The private key is encrypted and no (or a wrong) passphrase was given."""


class UnsupportedKeyError(KeyLoadError):
    """A key of a type or size CloudFront does not accept (it takes RSA-2048 and ECDSA P-256)."""


class PolicyError(CloudFrontCookieError, ValueError):
    """A policy, or a part of one, that CloudFront would reject or misread."""


class ResourceError(PolicyError):
    """A resource URL or path prefix that cannot be put in a policy safely."""


class PolicyTimeError(PolicyError):
    """A time that cannot be right: milliseconds for seconds, a start after the end, ..."""


class NaiveDatetimeError(PolicyTimeError, TypeError):
    """A ``datetime`` without a timezone: cfcookies will not guess which one was meant."""


class IPAddressError(PolicyError):
    """Not an IPv4 address or CIDR range (CloudFront's ``AWS:SourceIp`` is IPv4 only)."""


class MalformedPolicyError(PolicyError):
    """Policy JSON that CloudFront would answer with ``MalformedPolicy``."""


class SigningError(CloudFrontCookieError):
    """The cryptographic signing call failed."""


class SignedURLError(CloudFrontCookieError, ValueError):
    """A URL that cannot be signed as given (it already carries signing parameters, ...)."""


class PlaylistError(CloudFrontCookieError, ValueError):
    """An HLS playlist or DASH manifest that cannot be rewritten safely (malformed, or a URI
    that already carries CloudFront signing parameters)."""


class PlaylistLinkError(CloudFrontCookieError):
    """A playlist link that is not given (:meth:`PlaylistServer.link
    <cfcookies.streaming.serve.PlaylistServer.link>`) or not honoured (its ``answer``: a 403).

    ``reason`` is a stable code: ``no_session`` (no state cookie, or one issued to another of
    the app's sessions), ``session_expired``, ``not_granted`` (the folder is not the session's,
    or the path is not under the link's), ``not_a_playlist`` (only ``.m3u8`` and ``.mpd``),
    ``unclean_path`` (``..``, ``//``, encoded separators: refused, never rewritten),
    ``bad_token``, ``link_expired``, ``ip_mismatch``, ``revoked`` and
    ``deny_list_unavailable`` (fail closed) and ``session_ending`` (the folder's query would
    outlive the deny-list entry of the session's logout). Messages never contain the token.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class PlaylistSourceError(CloudFrontCookieError):
    """The origin (S3, the distribution) could not give a playlist: an error, a timeout, an
    answer too large. The app answers 502. Messages never contain signed URLs."""


class PlaylistNotFoundError(PlaylistSourceError):
    """The origin holds no playlist at that path. The app answers 404."""


class AWSError(CloudFrontCookieError):
    """An AWS API call made through botocore failed."""


class AWSCredentialsError(AWSError):
    """No usable AWS credentials or region: nothing was sent, or AWS rejected who we are."""


class AWSAccessDeniedError(AWSError):
    """AWS refused the call: the caller lacks a permission (IAM, KMS or a resource policy)."""


class AWSNotFoundError(AWSError):
    """The secret, parameter, public key, key group or distribution does not exist."""


class AWSConflictError(AWSError):
    """The resource is in a state that forbids the change."""


class PreconditionFailedError(AWSConflictError):
    """The resource changed since it was read (its ETag no longer matches): run again."""


class ResourceInUseError(AWSConflictError):
    """The public key is still in a key group, or the key group still trusted by a behavior."""


class KeyGroupQuotaError(AWSError):
    """CloudFront refused a key past the account's quota of public keys per key group
    (``TooManyPublicKeysInKeyGroup``; five unless the account had it raised)."""


class RotationRefusedError(CloudFrontCookieError):
    """A rotation step that would break cookies in use; the message says when it will be safe.

    ``allowed_at`` is the first moment the step may run, or ``None`` when waiting cannot help.
    """

    def __init__(self, message: str, *, allowed_at: datetime | None = None) -> None:
        super().__init__(message)
        self.allowed_at = allowed_at


class DenyListFullError(CloudFrontCookieError):
    """The deny-list cannot take another entry (a KeyValueStore holds at most 5 MB).

    The revocation was not recorded: purge lapsed entries (``cfcookies aws revoke purge``),
    shorten ``max_session_age`` so that entries lapse sooner, or revoke users instead of many
    sessions.
    """


class VerificationError(CloudFrontCookieError):
    """A request that CloudFront would refuse with a 403.

    ``reason`` is a stable machine-readable code (see :mod:`cfcookies.verify`), ``code`` the
    ``<Code>`` CloudFront puts in its XML error body.
    """

    reason: str = "access_denied"
    code: str = "AccessDenied"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MissingKeyPairIdError(VerificationError):
    reason = "missing_key_pair_id"
    code = "MissingKey"


class UnknownKeyError(VerificationError):
    reason = "unknown_key"
    code = "InvalidKey"

    def __init__(self, message: str, *, key_pair_id: str) -> None:
        super().__init__(message)
        self.key_pair_id = key_pair_id


class MalformedSignatureError(VerificationError):
    reason = "malformed_signature"
    code = "MalformedSignature"


class MalformedRequestPolicyError(VerificationError):
    reason = "malformed_policy"
    code = "MalformedPolicy"


class UnsupportedHashAlgorithmError(VerificationError):
    reason = "unsupported_hash_algorithm"
    code = "AccessDenied"


class BadSignatureError(VerificationError):
    reason = "bad_signature"
    code = "AccessDenied"


class NotYetValidError(VerificationError):
    reason = "not_yet_valid"
    code = "AccessDenied"

    def __init__(self, message: str, *, date_greater_than: int, now: int) -> None:
        super().__init__(message)
        self.date_greater_than = date_greater_than
        self.now = now


class ExpiredError(VerificationError):
    reason = "expired"
    code = "AccessDenied"

    def __init__(self, message: str, *, date_less_than: int, now: int) -> None:
        super().__init__(message)
        self.date_less_than = date_less_than
        self.now = now


class IPMismatchError(VerificationError):
    reason = "ip_mismatch"
    code = "AccessDenied"

    def __init__(self, message: str, *, ip_address: str, client_ip: str | None) -> None:
        super().__init__(message)
        self.ip_address = ip_address
        self.client_ip = client_ip


class ResourceMismatchError(VerificationError):
    reason = "resource_mismatch"
    code = "AccessDenied"

    def __init__(self, message: str, *, resource: str, url: str) -> None:
        super().__init__(message)
        self.resource = resource
        self.url = url


class SessionCookieError(VerificationError):
    """The revocation session cookie does not let the request through (403 AccessDenied)."""

    reason = "session_invalid"
    code = "AccessDenied"


class MissingSessionError(SessionCookieError):
    reason = "session_missing"


class MalformedSessionError(SessionCookieError):
    reason = "session_malformed"


class ForgedSessionError(SessionCookieError):
    reason = "session_bad_signature"


class SessionExpiredError(SessionCookieError):
    reason = "session_expired"

    def __init__(self, message: str, *, expires: int, now: int) -> None:
        super().__init__(message)
        self.expires = expires
        self.now = now


class SessionRevokedError(SessionCookieError):
    reason = "session_revoked"

    def __init__(self, message: str, *, session_id: str, user_id: str | None) -> None:
        super().__init__(message)
        self.session_id = session_id
        self.user_id = user_id


class DenyListUnavailableError(SessionCookieError):
    """The deny-list could not be read: the request is refused (fail closed)."""

    reason = "deny_list_unavailable"


class WeakHashWarning(UserWarning):
    """``hash_algorithm="SHA1"`` was asked for with an ECDSA key.

    It is honoured (a verifier may need it), but CloudFront documents ECDSA signatures with
    SHA-256 and the AWS CLI refuses ECDSA with SHA-1; leave ``hash_algorithm`` unset instead.
    """
