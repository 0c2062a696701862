"""The checks each option of :class:`cfcookies.session.CloudFrontCookies` gets once, at start-up,
and the objects built from them (the key ring, the deny-list writer).

Each ``check_*`` returns the value as the middleware keeps it, or raises
:class:`~cfcookies.exceptions.ConfigurationError` saying what to change.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import timedelta
from urllib.parse import urlsplit

from .config import Seconds
from .cookies import (
    MAX_COOKIES_PER_DOMAIN,
    domain_matches,
    public_suffix,
    registrable_domain,
    validate_cookie_domain,
)
from .exceptions import ConfigurationError, ResourceError
from .keys import KeyRing, KeySource, PrivateKey, SigningKey
from .metrics import Metrics
from .policy import Clock, prefix_resource
from .revocation import (
    DenyList,
    DenyOutbox,
    DenyWriteFailure,
    DenyWriter,
    FileOutbox,
    SessionSecrets,
)


def seconds(value: Seconds, name: str) -> int:
    """``value`` (a timedelta or whole seconds) in whole seconds."""
    if isinstance(value, timedelta):
        total = value.total_seconds()
        if total != int(total):
            raise ConfigurationError(f"{name} must be whole seconds, got {value!r}")
        return int(total)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{name} must be a timedelta or whole seconds, got {value!r}")
    return value


def check_times(lifetime: int, renew_before: int, granularity: int) -> None:
    """The cookie lifetime, when renewal starts, and the rounding of expiry times."""
    if not 60 <= lifetime <= 7 * 24 * 3600:
        raise ConfigurationError(
            f"lifetime must be between 60 seconds and 7 days, got {lifetime} s; "
            f"keep it short and let renewal extend it"
        )
    if not 0 < renew_before < lifetime:
        raise ConfigurationError(
            f"renew_before ({renew_before} s) must be more than 0 and less than "
            f"lifetime ({lifetime} s)"
        )
    if not 1 <= granularity <= lifetime - renew_before:
        raise ConfigurationError(
            f"granularity ({granularity} s) must be at least 1 s and at most "
            f"lifetime - renew_before ({lifetime - renew_before} s), or fresh "
            f"cookies would already be due for renewal"
        )


def check_max_prefixes(max_prefixes: object) -> int:
    if (
        isinstance(max_prefixes, bool)
        or not isinstance(max_prefixes, int)
        or not (1 <= max_prefixes <= 50)
    ):
        raise ConfigurationError(
            f"max_prefixes must be 1 to 50 (three to five cookies per prefix; browsers "
            f"keep about {MAX_COOKIES_PER_DOMAIN} per domain), got {max_prefixes!r}"
        )
    return max_prefixes


def check_cookie_budget(max_prefixes: int, per_folder: int) -> None:
    """Refuse a ``max_prefixes`` whose cookies a browser would not all keep: beyond about
    150 cookies per domain, Chromium drops the oldest, and a folder that loses one of its
    cookies stops playing with no error anywhere."""
    needed = max_prefixes * per_folder + 1  # + the state cookie
    if needed > MAX_COOKIES_PER_DOMAIN:
        fits = (MAX_COOKIES_PER_DOMAIN - 1) // per_folder
        raise ConfigurationError(
            f"max_prefixes={max_prefixes} can take {needed} cookies ({per_folder} per "
            f"folder and the state cookie); browsers keep about {MAX_COOKIES_PER_DOMAIN} "
            f"per domain and drop the oldest beyond that, breaking the folders that lose "
            f"one. Set max_prefixes to {fits} or less, and grant common parent folders"
        )


def check_media_url(media_url: object, insecure_allow_http: bool) -> tuple[str, str]:
    """The distribution's origin (no trailing ``/``) and its host name, lower case."""
    if not isinstance(media_url, str):
        raise ConfigurationError("media_url must be a str like https://media.example.com")
    parts = urlsplit(media_url.strip())
    if parts.scheme != "https" and not (parts.scheme == "http" and insecure_allow_http):
        raise ConfigurationError(
            f"media_url must start with https:// (CloudFront cookies are Secure), got "
            f"{media_url!r}; pass insecure_allow_http=True for local http development"
        )
    if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigurationError(
            f"media_url must be the distribution's origin only, like "
            f"https://media.example.com, got {media_url!r}; grant paths with prefixes"
        )
    try:
        prefix_resource(media_url, "/")
    except ResourceError as exc:
        raise ConfigurationError(f"media_url: {exc}") from None
    return media_url.strip().rstrip("/"), parts.hostname.lower()


def build_keys(
    keys: KeyRing | SigningKey | None,
    key_pair_id: str | None,
    private_key: PrivateKey | KeySource | None,
    passphrase: str | bytes | None,
) -> KeyRing:
    """The key ring from ``keys=`` or from ``key_pair_id=`` with ``private_key=``."""
    if keys is not None:
        if key_pair_id is not None or private_key is not None:
            raise ConfigurationError("pass keys= or key_pair_id= with private_key=, not both")
        return keys if isinstance(keys, KeyRing) else KeyRing(keys)
    if key_pair_id is None or private_key is None:
        raise ConfigurationError(
            "pass key_pair_id= (the CloudFront public key ID) and private_key= (a path, "
            "PEM or a loaded key), or keys=KeyRing(...)"
        )
    return KeyRing.from_key(key_pair_id, private_key, passphrase=passphrase)


def check_secrets(secret: str | bytes | Sequence[str | bytes]) -> list[bytes]:
    """The state secrets as bytes, newest first, each at least 32 bytes."""
    secrets: list[str | bytes] = (
        [secret] if isinstance(secret, (str, bytes)) else list(secret or [])
    )
    if not secrets:
        raise ConfigurationError("state_secret is required (32+ random bytes)")
    out: list[bytes] = []
    for item in secrets:
        value = item.encode() if isinstance(item, str) else item
        if not isinstance(value, bytes) or len(value) < 32:
            raise ConfigurationError(
                "each state_secret must be at least 32 bytes; generate one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        out.append(value)
    return out


def check_state_cookie_name(name: str | None, secure: bool) -> str:
    """The state cookie's name: ``__Host-cfcookies`` by default (``cfcookies`` over http)."""
    if name is None:
        # __Host-: browsers take it only from this host, Secure, Path=/ and without Domain,
        # so a sibling subdomain cannot toss a state cookie in front of ours.
        name = "__Host-cfcookies" if secure else "cfcookies"
    if not isinstance(name, str) or name.startswith("CloudFront-"):
        raise ConfigurationError("state_cookie_name must be a str not starting with CloudFront-")
    if name.startswith(("__Host-", "__Secure-")) and not secure:
        raise ConfigurationError(
            f"state_cookie_name {name!r} needs secure=True: browsers refuse "
            f"__Host- and __Secure- cookies without Secure"
        )
    return name


def check_callable(value: object, name: str, what: str) -> None:
    if value is not None and not callable(value):
        raise ConfigurationError(f"{name} must be {what}")


def check_callables(*, grants: object, session_binding: object, client_ip: object) -> None:
    """The callable options, each None or a callable taking the app's request."""
    check_callable(grants, "grants", "a callable (sync or async) or None")
    check_callable(
        session_binding,
        "session_binding",
        "a callable from the request to the app's own session identifier (or None when "
        "there is no session)",
    )
    check_callable(client_ip, "client_ip", "a callable from the request to the viewer's IPv4")


def check_revocation(
    session_secrets: object, deny_list: object, max_session_age: int | None
) -> None:
    """Edge revocation: the session cookie's secrets, and a deny-list that can work."""
    if session_secrets is not None and not isinstance(session_secrets, SessionSecrets):
        raise ConfigurationError("session_secrets must be a cfcookies.revocation.SessionSecrets")
    if deny_list is not None and session_secrets is None:
        raise ConfigurationError(
            "deny_list needs session_secrets: the edge can only deny sessions that carry the "
            "signed session cookie"
        )
    if deny_list is not None and max_session_age is None:
        raise ConfigurationError(
            "deny_list needs max_session_age: a deny-list entry must outlive every renewal "
            "of the session it denies, so sessions need an end (the default is 12 hours)"
        )


def check_deny_wait(deny_wait: object) -> float:
    if (
        isinstance(deny_wait, bool)
        or not isinstance(deny_wait, (int, float))
        or not (0 <= deny_wait <= 30)
    ):
        raise ConfigurationError(f"deny_wait must be 0 to 30 seconds, got {deny_wait!r}")
    return float(deny_wait)


def check_keepalive_path(path: object) -> str | None:
    if path is not None and (not isinstance(path, str) or not path.startswith("/")):
        raise ConfigurationError(f"keepalive_path must start with /, got {path!r}")
    return path


def build_deny_writer(
    deny_list: DenyList | None,
    outbox: str | os.PathLike[str] | DenyOutbox | None,
    on_failure: Callable[[DenyWriteFailure], None] | None,
    timeout: float,
    clock: Clock,
    metrics: Metrics | None = None,
) -> DenyWriter | None:
    """The writer of logouts into ``deny_list`` (None without one), its outbox a file when a
    path is given."""
    if deny_list is None:
        if outbox is not None or on_failure is not None:
            raise ConfigurationError("deny_outbox and on_deny_failure need deny_list=")
        return None
    return DenyWriter(
        deny_list,
        outbox=FileOutbox(outbox) if isinstance(outbox, (str, os.PathLike)) else outbox,
        timeout=timeout,
        on_failure=on_failure,
        clock=clock,
        metrics=metrics,
    )


def check_cookie_domain(cookie_domain: str | None, media_host: str) -> str | None:
    """The CloudFront cookies' ``Domain``: it must cover the media host and stay inside the media
    host's registrable domain (``amazonaws.com`` does not, for a bucket's own host)."""
    if cookie_domain is None:
        return None
    domain = validate_cookie_domain(cookie_domain)
    if not domain_matches(media_host, domain):
        raise ConfigurationError(
            f"cookie domain {domain} does not cover media host {media_host}; set "
            f"cookie_domain to a parent of both the app's host and {media_host}"
        )
    registrable = registrable_domain(media_host)
    if registrable is None or not domain_matches(domain, registrable):
        # A browser keeps a cookie only if its Domain is inside the host's registrable domain.
        raise ConfigurationError(
            f"cookie_domain {domain} is above {registrable or media_host}, the registrable "
            f"domain of media host {media_host} (under the public suffix "
            f"{public_suffix(media_host)}); browsers refuse it. Serve the media from an "
            f"alternate domain name under your own domain (media.example.com) and set "
            f"cookie_domain to that parent (example.com)"
        )
    return domain
