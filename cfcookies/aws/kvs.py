"""The deny-list in the CloudFront KeyValueStore that the revocation function reads.

:class:`KeyValueStoreDenyList` writes the same keys and values as
:class:`~cfcookies.revocation.LocalDenyList` (the entry format is
:mod:`cfcookies.revocation.deny_list`'s), and the function's HMAC secrets beside them, through
botocore's ``cloudfront-keyvaluestore`` client, within the KeyValueStore's quotas.

Writing to a KeyValueStore needs SigV4A, which botocore signs only with ``awscrt``
(``pip install 'cfcookies[crt]'``): :func:`require_crt` says so before anything is sent.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..clock import epoch_now
from ..exceptions import ConfigurationError, DenyListFullError
from ..policy import Clock, TimeInput, system_clock
from ..revocation.deny_list import (
    _FULL_REMEDY,
    KVS_MAX_STORE_BYTES,
    _entry_applies,
    _EntryWriter,
    _is_stale,
)
from ..revocation.function import DEFAULT_PREVIOUS_SECRET_KEY, DEFAULT_SECRET_KEY, _check_kvs_key
from ..revocation.token import _check_secret
from ._client import _aws_error, _error_code

__all__ = [
    "KVS_MAX_BYTES_PER_UPDATE",
    "KVS_MAX_KEYS_PER_UPDATE",
    "KVS_MAX_KEY_BYTES",
    "KVS_MAX_VALUE_BYTES",
    "KeyValueStoreDenyList",
    "crt_available",
    "require_crt",
]


logger = logging.getLogger("cfcookies")

#: KeyValueStore quotas: UpdateKeys takes at most 50 keys or 3 MB; a key is at most 512 bytes,
#: a value at most 1 KB.
KVS_MAX_KEYS_PER_UPDATE = 50
KVS_MAX_BYTES_PER_UPDATE = 3 * 1024 * 1024
KVS_MAX_KEY_BYTES = 512
KVS_MAX_VALUE_BYTES = 1024


def crt_available() -> bool:
    """Whether ``awscrt`` (botocore's SigV4A signer, needed by the KeyValueStore API) is there."""
    return importlib.util.find_spec("awscrt") is not None


def require_crt() -> None:
    """Raise :class:`ConfigurationError` unless the KeyValueStore API can be signed."""
    if not crt_available():
        raise ConfigurationError(
            "the CloudFront KeyValueStore API is signed with SigV4A, which botocore does only "
            "with awscrt; install it with pip install 'cfcookies[crt]'"
        )


class KeyValueStoreDenyList(_EntryWriter):
    """The deny-list in the CloudFront KeyValueStore that the function reads.

    ``client`` is a botocore ``cloudfront-keyvaluestore`` client (one is made from a new botocore
    session when omitted). Writes go through ``DescribeKeyValueStore`` for the ETag, then
    ``UpdateKeys`` in batches of at most 50 keys and 3 MB, retried once on an ETag conflict.
    """

    def __init__(
        self,
        *,
        kvs_arn: str,
        client: Any = None,
        key_prefix: str = "",
        secret_key: str = DEFAULT_SECRET_KEY,
        previous_secret_key: str = DEFAULT_PREVIOUS_SECRET_KEY,
        clock: Clock = system_clock,
    ) -> None:
        super().__init__(key_prefix=key_prefix, clock=clock)
        require_crt()
        self._secret_key = _check_kvs_key(secret_key, "secret_key")
        self._previous_secret_key = _check_kvs_key(previous_secret_key, "previous_secret_key")
        if (
            not isinstance(kvs_arn, str)
            or not kvs_arn.startswith("arn:aws")
            or (":key-value-store/" not in kvs_arn)
        ):
            raise ConfigurationError(
                f"kvs_arn must be a KeyValueStore ARN like arn:aws:cloudfront::111122223333:"
                f"key-value-store/<id>, got {kvs_arn!r}"
            )
        self.kvs_arn = kvs_arn
        if client is None:  # pragma: no cover - needs credentials, exercised by users
            import botocore.session

            client = botocore.session.get_session().create_client(
                "cloudfront-keyvaluestore", region_name="us-east-1"
            )
        self._client = client

    def __repr__(self) -> str:
        return f"KeyValueStoreDenyList(kvs_arn={self.kvs_arn!r})"

    def revoke_session(self, session_id: str, *, until: TimeInput) -> None:
        self.update(puts=[self._session_entry(session_id, until)])

    def revoke_user(
        self, user_id: str, *, until: TimeInput, issued_before: TimeInput | None = None
    ) -> None:
        self.update(puts=[self._user_entry(user_id, until, issued_before)])

    def revoke_sessions(self, session_ids: Sequence[str], *, until: TimeInput) -> None:
        """Revoke many sessions in as few ``UpdateKeys`` calls as the quotas allow."""
        self.update(puts=[self._session_entry(sid, until) for sid in session_ids])

    def is_revoked(self, session_id: str, user_id: str | None, *, issued_at: int, now: int) -> bool:
        for key in self._keys_for(session_id, user_id):
            value = self._get(key)
            if value is not None and _entry_applies(value, now=now, issued_at=issued_at):
                return True
        return False

    def set_secrets(self, current: str, *, previous: str | None = None) -> None:
        """Store the function's HMAC secrets (deleting the previous one when not given)."""
        _check_secret(current, "current")
        puts = [(self._secret_key, current)]
        deletes: list[str] = []
        if previous is not None:
            _check_secret(previous, "previous")
            puts.append((self._previous_secret_key, previous))
        elif self._get(self._previous_secret_key) is not None:
            deletes.append(self._previous_secret_key)
        self.update(puts=puts, deletes=deletes)

    def rotate_secret(self, new: str) -> None:
        """Make ``new`` the current secret and keep the old current one as the previous one."""
        _check_secret(new, "new")
        old = self._get(self._secret_key)
        self.set_secrets(new, previous=old)

    def purge_expired(self) -> int:
        """Delete the deny-list entries (under this prefix) whose ``until`` has passed."""
        now = epoch_now(self._clock)
        prefixes = (f"{self._prefix}revoked:", f"{self._prefix}revoked-user:")
        stale: list[str] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"KvsARN": self.kvs_arn}
            if token:
                kwargs["NextToken"] = token
            page = self._call("ListKeys", self._client.list_keys, **kwargs)
            for item in page.get("Items", []):
                key, value = item["Key"], item["Value"]
                if key.startswith(prefixes) and _is_stale(value, now):
                    stale.append(key)
            token = page.get("NextToken")
            if not token:
                break
        if stale:
            self.update(deletes=stale)
        return len(stale)

    def update(self, *, puts: Sequence[tuple[str, str]] = (), deletes: Sequence[str] = ()) -> None:
        """Apply puts and deletes in ``UpdateKeys`` batches within the KeyValueStore quotas."""
        operations: list[tuple[str, str | None]] = [(k, v) for k, v in puts]
        operations += [(k, None) for k in deletes]
        for key, value in operations:
            if len(key.encode("utf-8")) > KVS_MAX_KEY_BYTES:
                raise ConfigurationError(f"a KeyValueStore key is at most 512 bytes: {key[:40]!r}")
            if value is not None and len(value.encode("utf-8")) > KVS_MAX_VALUE_BYTES:
                raise ConfigurationError("a KeyValueStore value is at most 1 KB")
        etag: str | None = None
        for batch in _batches(operations):
            etag = self._update_batch(batch, etag)

    def _update_batch(self, batch: list[tuple[str, str | None]], etag: str | None) -> str:
        request: dict[str, Any] = {"KvsARN": self.kvs_arn}
        put_items = [{"Key": k, "Value": v} for k, v in batch if v is not None]
        delete_items = [{"Key": k} for k, v in batch if v is None]
        if put_items:
            request["Puts"] = put_items
        if delete_items:
            request["Deletes"] = delete_items
        for attempt in range(2):
            if etag is None:
                etag = self._describe_etag()
            try:
                response = self._client.update_keys(IfMatch=etag, **request)
            except Exception as exc:
                code = _error_code(exc)
                if code == "ConflictException" and attempt == 0:
                    etag = None
                    continue
                if code == "ServiceQuotaExceededException":
                    raise DenyListFullError(
                        f"the KeyValueStore {self.kvs_arn} is full (5 MB); the update was not "
                        f"recorded: {_FULL_REMEDY}"
                    ) from None
                raise _aws_error(exc, operation="UpdateKeys") from None
            total = response.get("TotalSizeInBytes")
            if isinstance(total, int) and total > KVS_MAX_STORE_BYTES * 0.8:
                logger.warning(
                    "cfcookies: the KeyValueStore holds %d of %d bytes; %s",
                    total,
                    KVS_MAX_STORE_BYTES,
                    _FULL_REMEDY,
                    extra={"event": "cfcookies.deny_list.nearly_full", "bytes": total},
                )
            return str(response["ETag"])
        raise AssertionError("unreachable")  # pragma: no cover

    def _describe_etag(self) -> str:
        response = self._call(
            "DescribeKeyValueStore", self._client.describe_key_value_store, KvsARN=self.kvs_arn
        )
        return str(response["ETag"])

    def _get(self, key: str) -> str | None:
        try:
            response = self._client.get_key(KvsARN=self.kvs_arn, Key=key)
        except Exception as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                return None
            raise _aws_error(exc, operation="GetKey") from None
        return str(response["Value"])

    @staticmethod
    def _call(action: str, method: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = method(**kwargs)
        except Exception as exc:
            raise _aws_error(exc, operation=action) from None
        return result


def _batches(
    operations: Sequence[tuple[str, str | None]],
) -> Iterator[list[tuple[str, str | None]]]:
    batch: list[tuple[str, str | None]] = []
    size = 0
    for key, value in operations:
        item = len(key.encode("utf-8")) + len((value or "").encode("utf-8"))
        if batch and (
            len(batch) >= KVS_MAX_KEYS_PER_UPDATE or size + item > KVS_MAX_BYTES_PER_UPDATE
        ):
            yield batch
            batch, size = [], 0
        batch.append((key, value))
        size += item
    if batch:
        yield batch
