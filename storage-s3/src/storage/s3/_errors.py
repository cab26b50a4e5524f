"""Translation of botocore's exceptions into ``storage.errors`` types (SPEC §3).

Messages are built from the error code, the bucket, the operation and the key; the server's
text is kept only for errors that cannot carry credentials. Errors of the HTTP libraries
(urllib3's, aiohttp's) that botocore lets through, such as an error answer whose body breaks
off, are transport failures like botocore's own.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Mapping, Optional

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    FlexibleChecksumError,
    HTTPClientError,
    IncompleteReadError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from urllib3.exceptions import HTTPError as URLLib3Error

from storage.errors import (
    AlreadyExists,
    InvalidKey,
    InvalidRange,
    ObjectNotFound,
    PermissionDenied,
    StoreError,
    StoreUnavailable,
    UnsupportedOperation,
)

__all__ = ["BucketNotFound", "SourceChanged", "error_for_code", "translate"]

_MISSING_OBJECT = frozenset({"NoSuchKey", "404", "NotFound"})
_DENIED = frozenset({
    "403", "AccessDenied", "AccountProblem", "AllAccessDisabled", "ExpiredToken", "Forbidden",
    "InvalidAccessKeyId", "InvalidToken", "SignatureDoesNotMatch", "TokenRefreshRequired",
})
_UNAVAILABLE = frozenset({
    "InternalError", "RequestLimitExceeded", "RequestTimeout", "ServiceUnavailable", "SlowDown",
    "Throttling", "ThrottlingException",
})
_NO_CREDENTIALS = (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError)
#: Failures to reach the server or to receive its whole answer (a body that ends early included).
_UNREACHABLE = (
    BotocoreConnectionError, HTTPClientError, IncompleteReadError, URLLib3Error, ConnectionError, TimeoutError,
    asyncio.TimeoutError,
)


class BucketNotFound(StoreError):
    """The store's bucket does not exist (no object is missing: the bucket is)."""


class SourceChanged(StoreError):
    """The source of a copy in parts was replaced while it was being copied (copying again can succeed)."""

    retryable = True


def _from_aiohttp(err: BaseException) -> bool:
    """Whether ``err`` is one of aiohttp's client errors; aiohttp is not imported for the question.

    No aiohttp error can exist while aiohttp is not loaded, so the sync store never imports it.
    """
    aiohttp = sys.modules.get("aiohttp")
    return aiohttp is not None and isinstance(err, aiohttp.ClientError)


def error_for_code(
    code: str,
    message: str = "",
    *,
    bucket: str,
    where: Mapping[str, Any],
    status: int = 0,
    bucket_call: bool = False,
) -> StoreError:
    """Return the ``StoreError`` for an S3 error ``code`` (with HTTP ``status`` and server ``message``)."""
    if code == "NoSuchBucket" or (bucket_call and code in _MISSING_OBJECT):
        return BucketNotFound(f"bucket {bucket!r} does not exist", **where)
    if code in _MISSING_OBJECT:
        return ObjectNotFound(**where)
    if code in _DENIED:
        return PermissionDenied(f"access to bucket {bucket!r} denied ({code})", **where)
    if code == "NotImplemented":  # 501 from a server lacking the feature: retrying cannot help
        return UnsupportedOperation(f"the server does not implement this request ({code})", **where)
    if code in _UNAVAILABLE or status >= 500:
        return StoreUnavailable(f"the server did not complete the request ({code or status})", **where)
    if code == "PreconditionFailed":
        return AlreadyExists(**where)
    if code == "InvalidRange":
        return InvalidRange("the range starts beyond the object", **where)
    if code == "KeyTooLongError":
        return InvalidKey("key is too long for S3", **where)
    label = code or str(status)
    return StoreError(f"{label}: {message.strip()}" if message.strip() else label, **where)


def translate(
    err: BaseException,
    *,
    store: str,
    bucket: str,
    operation: str,
    key: Optional[str] = None,
    bucket_call: bool = False,
) -> BaseException:
    """Return the ``StoreError`` that stands for ``err``, chained to it; other errors unchanged.

    ``bucket_call`` says the request addressed the bucket itself, so "not found" means the bucket.
    """
    if isinstance(err, StoreError):
        return err
    where: dict[str, Any] = {"store": store, "operation": operation, "key": key}
    translated: StoreError
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        translated = error_for_code(
            str(error.get("Code", "")), str(error.get("Message", "")), bucket=bucket, where=where,
            status=status if isinstance(status, int) else 0, bucket_call=bucket_call,
        )
    elif isinstance(err, _NO_CREDENTIALS):
        translated = PermissionDenied(f"no usable credentials for bucket {bucket!r}", **where)
    elif isinstance(err, FlexibleChecksumError):
        translated = StoreUnavailable("the body does not match its checksum (damaged in transit)", **where)
    elif isinstance(err, _UNREACHABLE) or _from_aiohttp(err):
        translated = StoreUnavailable(f"cannot reach the S3 endpoint ({type(err).__name__})", **where)
    elif isinstance(err, BotoCoreError):
        translated = StoreError(f"{type(err).__name__}: {err}", **where)
    else:
        return err
    translated.__cause__ = err
    translated.__suppress_context__ = True
    return translated
