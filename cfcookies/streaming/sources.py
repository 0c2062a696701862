"""Where the app reads the playlists it serves rewritten: S3, or the distribution itself.

:class:`~cfcookies.streaming.serve.PlaylistServer` asks a :class:`PlaylistSource` for the bytes
of one playlist or manifest, by its media path (``/videos/course-1/master.m3u8``, percent-encoded
as in the URL). Only playlists pass through the app: a source is never asked for a segment.

:class:`S3PlaylistSource`
    ``GetObject`` from the distribution's S3 origin with botocore (the app's own AWS
    credentials: it needs ``s3:GetObject`` on the bucket, and ``s3:ListBucket`` for a missing
    playlist to be a 404 rather than S3's ``AccessDenied``, a 502). The object key is the
    decoded path after ``key_prefix`` (CloudFront's origin path, if the origin has one).
:class:`DistributionPlaylistSource`
    ``GET`` through the distribution itself, with a signed URL valid for about a minute
    (the cookies' own key: no AWS credentials, and CloudFront's cache serves it); canned, or
    with revocation at the edge a custom policy for the file with a session token of the
    app's own, which the revocation Function requires of every signed URL. The signed URL is
    a credential for that one file: it is never logged nor put in a message.

Both read at most ``max_bytes`` (a larger playlist is a failure, not a truncation), time out
after ``timeout`` seconds, and raise :class:`~cfcookies.exceptions.PlaylistNotFoundError`
when the origin holds no such file and :class:`~cfcookies.exceptions.PlaylistSourceError` when
it fails. botocore is imported only by :class:`S3PlaylistSource`: ``import cfcookies.streaming``
does not need it.
"""

from __future__ import annotations

import http.client
import math
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import unquote

from ..exceptions import ConfigurationError, PlaylistNotFoundError, PlaylistSourceError
from ..policy import Policy
from ..query import check_query_session
from ..revocation import mint_session_cookie

if TYPE_CHECKING:
    from ..session import CloudFrontCookies

__all__ = [
    "MAX_SOURCE_BYTES",
    "SOURCE_SESSION_ID",
    "DistributionPlaylistSource",
    "PlaylistSource",
    "S3PlaylistSource",
]

#: The largest playlist a source reads by default (8 MiB): a ten-hour VOD media playlist of
#: two-second segments takes about one.
MAX_SOURCE_BYTES = 8 * 1024 * 1024
#: How long the distribution source's signed URL is valid at least, and the window its expiry
#: is rounded up to, so that one signature serves every fetch of a minute (seconds).
SIGNED_URL_SECONDS = 60
#: The session ID of the token :class:`DistributionPlaylistSource` sends with revocation at
#: the edge: the app's own, never a viewer's (denying it stops the source).
SOURCE_SESSION_ID = "cfcookies-playlist-source"


@runtime_checkable
class PlaylistSource(Protocol):
    """Gives the bytes of a playlist or manifest by its media path."""

    def fetch(self, path: str) -> bytes:
        """The file at ``path`` (``/videos/course-1/master.m3u8``: a clean, percent-encoded
        path, as checked by the server). Raises
        :class:`~cfcookies.exceptions.PlaylistNotFoundError` when the origin holds no such
        file and :class:`~cfcookies.exceptions.PlaylistSourceError` when it fails."""


def _check_limits(max_bytes: object, timeout: object) -> tuple[int, float]:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ConfigurationError(f"max_bytes must be a whole number >= 1, got {max_bytes!r}")
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or not 0 < timeout <= 300
    ):
        raise ConfigurationError(f"timeout must be 0 to 300 seconds (not 0), got {timeout!r}")
    return max_bytes, float(timeout)


def _too_large(where: str, max_bytes: int) -> PlaylistSourceError:
    return PlaylistSourceError(
        f"{where} is larger than max_bytes={max_bytes}; raise max_bytes if it is expected"
    )


class S3PlaylistSource:
    """Playlists read from the distribution's S3 origin with ``GetObject``.

    ``bucket`` is the origin bucket's name; ``key_prefix`` is prepended to the object key
    (``""``, or the origin path without its leading ``/`` and ending in ``/``: ``media/`` when
    CloudFront's origin path is ``/media``). ``client`` is a botocore S3 client to use; without
    one, a client is made with the standard credential chain, ``region_name`` and
    ``endpoint_url``, ``timeout`` seconds to connect and to read, and two attempts.
    """

    def __init__(
        self,
        bucket: str,
        *,
        key_prefix: str = "",
        client: Any = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        max_bytes: int = MAX_SOURCE_BYTES,
        timeout: float = 5.0,
    ) -> None:
        if not isinstance(bucket, str) or not bucket or "/" in bucket:
            raise ConfigurationError(f"bucket must be an S3 bucket's name, got {bucket!r}")
        if not isinstance(key_prefix, str) or (
            key_prefix and (key_prefix.startswith("/") or not key_prefix.endswith("/"))
        ):
            raise ConfigurationError(
                f"key_prefix must be '' or a key prefix ending in '/' without a leading '/' "
                f"(media/ for the origin path /media), got {key_prefix!r}"
            )
        self.bucket, self.key_prefix = bucket, key_prefix
        self.max_bytes, self.timeout = _check_limits(max_bytes, timeout)
        if client is None:
            from botocore.config import Config

            from ..aws._client import make_client

            config = Config(
                connect_timeout=self.timeout,
                read_timeout=self.timeout,
                retries={"total_max_attempts": 2, "mode": "standard"},
            )
            client = make_client(
                "s3", region_name=region_name, endpoint_url=endpoint_url, config=config
            )
        self.client = client

    def __repr__(self) -> str:
        return f"S3PlaylistSource(bucket={self.bucket!r}, key_prefix={self.key_prefix!r})"

    def key_for(self, path: str) -> str:
        """The object key of the media path ``path`` (decoded: S3 keys are not encoded)."""
        try:
            name = unquote(path[1:] if path.startswith("/") else path, errors="strict")
        except UnicodeDecodeError:
            raise PlaylistNotFoundError(
                "the path's escapes are not UTF-8: no S3 key has that name"
            ) from None
        return self.key_prefix + name

    def fetch(self, path: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        from ..aws._client import _aws_error, _error_code

        key = self.key_for(path)
        where = f"s3://{self.bucket}/{key}"
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in ("NoSuchKey", "404", "NotFound"):
                raise PlaylistNotFoundError(f"{where} does not exist") from None
            error = _aws_error(exc, operation="GetObject", resource=where)
            raise PlaylistSourceError(str(error)) from error
        except BotoCoreError as exc:
            error = _aws_error(exc, operation="GetObject", resource=where)
            raise PlaylistSourceError(str(error)) from error
        body = response["Body"]
        try:
            length = response.get("ContentLength")
            if isinstance(length, int) and length > self.max_bytes:
                raise _too_large(where, self.max_bytes)
            data: bytes = body.read(self.max_bytes + 1)
        except (BotoCoreError, OSError) as exc:
            raise PlaylistSourceError(f"reading {where} failed: {type(exc).__name__}") from None
        finally:
            body.close()
        if len(data) > self.max_bytes:
            raise _too_large(where, self.max_bytes)
        return data


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are answers, not followed: a playlist moved elsewhere is the origin's error."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class DistributionPlaylistSource:
    """Playlists fetched through the distribution (``cookies.media_url`` + path) with a signed
    URL of the cookies' key, valid for one to two minutes: canned, or with revocation at the
    edge (``cookies.session_secrets``) a custom policy for that one file carrying a session
    token of the app's own (session ID ``cfcookies-playlist-source``), since the edge's
    Function refuses a signed URL without one.

    Redirects are not followed. A 404 is "not found"; a 403 is a failure (the key is not in
    the distribution's key group, this machine's clock is off, or the file is missing behind
    an S3 origin without ``s3:ListBucket``, which answers 403 for a missing key: allow it, or
    use :class:`S3PlaylistSource`); any other status, a timeout or a network error too. Proxies
    are taken from the environment, as urllib does (``https_proxy``, ``no_proxy``).
    """

    def __init__(
        self,
        cookies: CloudFrontCookies,
        *,
        timeout: float = 5.0,
        max_bytes: int = MAX_SOURCE_BYTES,
    ) -> None:
        self.cookies = cookies
        self.max_bytes, self.timeout = _check_limits(max_bytes, timeout)
        if cookies.session_secrets is not None:
            # (the name of the token's query parameter must be fit for a query, as for folders)
            check_query_session(cookies, SOURCE_SESSION_ID, None, None)
        self._opener = urllib.request.build_opener(_NoRedirects)

    def __repr__(self) -> str:
        return f"DistributionPlaylistSource(media_url={self.cookies.media_url!r})"

    def signed_url(self, path: str) -> str:
        """The URL of ``path`` on the distribution, signed until the end of the minute after
        next (one signature, from the cache, serves a whole minute of fetches)."""
        cookies = self.cookies
        window = SIGNED_URL_SECONDS
        expires = -(-(cookies.now() + window) // window) * window
        url = cookies.media_url + path
        if cookies.session_secrets is None:
            return cookies.signer.sign_url(url, date_less_than=expires)
        # Revocation at the edge: the Function refuses a canned URL and a signed URL without a
        # session token. The token is bound to the policy, so the policy's resource cannot name
        # the token's value: it is this one file with the token's parameter, any value (the
        # '?' matches the query's separator, as in the URLs AWS's signers write).
        name = cookies.session_cookie_name
        signed = cookies.signer.sign_policy(Policy(f"{url}?{name}=*", expires))
        token = mint_session_cookie(
            session_id=SOURCE_SESSION_ID,
            expires=expires,
            secrets=cookies.session_secrets,
            policy=signed.policy_b64,
            clock=cookies.clock,
        )
        query = f"{name}={token}&Policy={signed.policy_b64}&Signature={signed.signature_b64}"
        query += f"&Key-Pair-Id={signed.key_pair_id}"
        if signed.hash_algorithm == "SHA256":
            query += "&Hash-Algorithm=SHA256"
        return f"{url}?{query}"

    def fetch(self, path: str) -> bytes:
        where = f"{self.cookies.media_url}{path}"
        # (media_url is http(s), checked by CloudFrontCookies: no file: or custom scheme)
        request = urllib.request.Request(  # noqa: S310
            self.signed_url(path), headers={"User-Agent": "cfcookies", "Accept": "*/*"}
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                if response.status != 200:
                    raise PlaylistSourceError(f"{where} answered {response.status}, not 200")
                length = response.headers.get("Content-Length")
                if length is not None and length.isdigit() and int(length) > self.max_bytes:
                    raise _too_large(where, self.max_bytes)
                data: bytes = response.read(self.max_bytes + 1)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 404:
                raise PlaylistNotFoundError(f"{where} does not exist (404)") from None
            hint = {
                403: "; the key may not be trusted by the distribution, the clock may be off, "
                "or the file is missing behind an S3 origin without s3:ListBucket",
            }.get(exc.code, "")
            raise PlaylistSourceError(f"{where} answered {exc.code}{hint}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise PlaylistSourceError(f"fetching {where} failed: {self._why(exc)}") from None
        if len(data) > self.max_bytes:
            raise _too_large(where, self.max_bytes)
        return data

    def _why(self, exc: Exception) -> str:
        """What went wrong, never the URL (it is signed): a timeout, the system's words for a
        network error (``Connection refused``), or the error's type."""
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            return f"timed out after {self.timeout:g} s"
        if isinstance(reason, OSError) and reason.strerror:
            return reason.strerror
        return type(reason if isinstance(reason, BaseException) else exc).__name__
