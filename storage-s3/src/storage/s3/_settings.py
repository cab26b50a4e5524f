"""The configuration of a bucket store, checked once and shared by the sync and async stores.

Everything here is I/O-free: it validates the constructor's arguments and turns them into the
keyword arguments of ``boto3``/``aioboto3``'s ``client("s3", ...)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Union
from urllib.parse import urlsplit, urlunsplit

from botocore.config import Config

from storage.errors import ConfigError

__all__ = [
    "DEFAULT_MAX_CONCURRENCY", "DEFAULT_MULTIPART_COPY_THRESHOLD", "DEFAULT_MULTIPART_THRESHOLD", "MAX_COPY_SIZE",
    "BotocoreConfig", "BucketSettings", "pick_endpoint",
]

MIB = 1024 * 1024
#: Objects larger than this are uploaded in parts.
DEFAULT_MULTIPART_THRESHOLD = 8 * MIB
#: CopyObject copies at most this many bytes; larger objects are copied in parts (UploadPartCopy).
MAX_COPY_SIZE = 5 * 1024 * MIB
#: Objects larger than this are copied in parts of this size.
DEFAULT_MULTIPART_COPY_THRESHOLD = MAX_COPY_SIZE
#: How many requests ``get_many``/``put_many``/``delete_many`` keep in flight.
DEFAULT_MAX_CONCURRENCY = 10
#: botocore's connection pool is at least this large.
DEFAULT_MAX_POOL_CONNECTIONS = 10
#: Attempts (first try included) made by botocore's "standard" retry mode unless configured.
DEFAULT_MAX_ATTEMPTS = 5

#: A botocore ``Config``, or the keyword arguments of one.
BotocoreConfig = Union[Config, Mapping[str, Any], None]


def _redact_url(url: str) -> str:
    """Return ``url`` without user info, query or fragment (the parts that can carry secrets)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _as_config(value: BotocoreConfig, name: str) -> Optional[Config]:
    if value is None or isinstance(value, Config):
        return value
    if not isinstance(value, Mapping):
        raise ConfigError(f"{name} must be a botocore Config or a mapping, not {type(value).__name__}")
    try:
        return Config(**value)
    except TypeError as err:
        raise ConfigError(f"{name}: {err}") from err


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, not {value!r}")
    return value


def _copy_threshold(value: Any) -> int:
    threshold = _positive_int(value, "multipart_copy_threshold")
    if threshold > MAX_COPY_SIZE:
        raise ConfigError(f"multipart_copy_threshold must be at most {MAX_COPY_SIZE} (5 GiB), not {value!r}")
    return threshold


def _optional_str(value: Any, name: str) -> Optional[str]:
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{name} must be a string, not {type(value).__name__}")
    return value or None


def _endpoint(value: Any) -> Optional[str]:
    url = _optional_str(value, "endpoint_url")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"endpoint_url must be an http(s) URL, not {_redact_url(url)!r}")
    return url


@dataclass(frozen=True)
class BucketSettings:
    """Validated settings of one bucket store; secrets are kept out of ``repr``."""

    bucket_name: str
    endpoint_url: Optional[str] = None
    region_name: Optional[str] = None
    access_key: Optional[str] = field(default=None, repr=False)
    secret_key: Optional[str] = field(default=None, repr=False)
    config: Optional[Config] = field(default=None, repr=False)
    multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    multipart_copy_threshold: int = DEFAULT_MULTIPART_COPY_THRESHOLD

    @classmethod
    def create(
        cls,
        *,
        bucket_name: Any,
        endpoint_url: Any = None,
        s3_access_key: Any = None,
        s3_secret_key: Any = None,
        botocore_config: BotocoreConfig = None,
        region_name: Any = None,
        multipart_threshold: Any = DEFAULT_MULTIPART_THRESHOLD,
        max_concurrency: Any = DEFAULT_MAX_CONCURRENCY,
        multipart_copy_threshold: Any = DEFAULT_MULTIPART_COPY_THRESHOLD,
        config_name: str = "botocore_config",
    ) -> BucketSettings:
        """Check the constructor arguments of a bucket store; ``ConfigError`` names the bad one."""
        if not isinstance(bucket_name, str) or not bucket_name:
            raise ConfigError(f"bucket_name must be a non-empty string, not {bucket_name!r}")
        access_key = _optional_str(s3_access_key, "s3_access_key")
        secret_key = _optional_str(s3_secret_key, "s3_secret_key")
        if (access_key is None) != (secret_key is None):
            raise ConfigError("give both s3_access_key and s3_secret_key, or neither (boto3's credential chain)")
        return cls(
            bucket_name=bucket_name,
            endpoint_url=_endpoint(endpoint_url),
            region_name=_optional_str(region_name, "region_name"),
            access_key=access_key,
            secret_key=secret_key,
            config=_as_config(botocore_config, config_name),
            multipart_threshold=_positive_int(multipart_threshold, "multipart_threshold"),
            max_concurrency=_positive_int(max_concurrency, "max_concurrency"),
            multipart_copy_threshold=_copy_threshold(multipart_copy_threshold),
        )

    @property
    def public_endpoint(self) -> Optional[str]:
        """The endpoint URL as it may be shown in messages and reprs."""
        return None if self.endpoint_url is None else _redact_url(self.endpoint_url)

    def describe(self) -> str:
        """The constructor-like arguments shown in a store's ``repr`` (never a secret)."""
        parts = [f"bucket_name={self.bucket_name!r}"]
        if self.endpoint_url is not None:
            parts.append(f"endpoint_url={self.public_endpoint!r}")
        if self.region_name is not None:
            parts.append(f"region_name={self.region_name!r}")
        return ", ".join(parts)

    def botocore_config(self) -> Config:
        """The client configuration: standard retries and a pool fitting ``max_concurrency``.

        Options given by the user override these defaults; a ``retries`` mapping without a
        ``mode`` still gets the standard mode.
        """
        defaults = Config(
            retries={"mode": "standard", "total_max_attempts": DEFAULT_MAX_ATTEMPTS},
            max_pool_connections=max(DEFAULT_MAX_POOL_CONNECTIONS, self.max_concurrency),
        )
        if self.config is None:
            return defaults
        merged = defaults.merge(self.config)
        retries = dict(merged.retries or {})
        retries.setdefault("mode", "standard")
        return merged.merge(Config(retries=retries))

    @property
    def max_attempts(self) -> int:
        """How many times a request is tried in all (botocore's retries, and the stores' own re-reads)."""
        retries = self.botocore_config().retries or {}
        if "total_max_attempts" in retries:
            return max(1, int(retries["total_max_attempts"]))
        if "max_attempts" in retries:
            return max(1, int(retries["max_attempts"]) + 1)
        return DEFAULT_MAX_ATTEMPTS

    def client_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``session.client("s3", ...)``."""
        kwargs: dict[str, Any] = {"config": self.botocore_config()}
        if self.endpoint_url is not None:
            kwargs["endpoint_url"] = self.endpoint_url
        if self.region_name is not None:
            kwargs["region_name"] = self.region_name
        if self.access_key is not None:
            kwargs["aws_access_key_id"] = self.access_key
            kwargs["aws_secret_access_key"] = self.secret_key
        return kwargs


def pick_endpoint(s3_url: Any, endpoint_url: Any) -> Any:
    """Return the endpoint given as ``s3_url`` (the seed's name) or ``endpoint_url``, refusing two."""
    if s3_url is not None and endpoint_url is not None and s3_url != endpoint_url:
        raise ConfigError("give the endpoint as s3_url or as endpoint_url, not both")
    return endpoint_url if s3_url is None else s3_url
