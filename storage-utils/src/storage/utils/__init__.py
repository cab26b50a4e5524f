"""Decorators over stores, and copy_store / sync_stores / clear_store (the seed's ``storage.utils``).

Every decorator is a ``storage.wrapper.StoreWrapper``: it forwards lifecycle and capabilities to
the stores it wraps and shows the chain in ``repr``. The async twins live in ``storage.aioutils``.
"""

from storage.utils._basic import IdentityStore, ReadonlyStore, WriteonlyStore
from storage.utils._copying import clear_store, copy_store, sync_stores
from storage.utils._encrypting import EncryptingStore
from storage.utils._keyed import (
    HashPrefixStore,
    KeyTransformingStore,
    KeyValidatingStore,
    PrefixStore,
    RegexRoutingStore,
    RegexValidatingStore,
    UrlEncodingStore,
    UrlValidatingStore,
)
from storage.utils._keymaps import (
    HashPrefixKeyTransformer,
    KeyTransformer,
    PrefixKeyTransformer,
    RegexValidator,
    RoutingKeyTransformer,
    UrlEncodingKeyTransformer,
    ValidatingKeyTransformer,
    validate_http_url_key,
)
from storage.utils._limits import ConcurrencyLimitStore
from storage.utils._meter import format_metrics
from storage.utils._metrics import MetricsStore
from storage.utils._multi import CachingStore, MirroringStore
from storage.utils._observing import ExceptionLoggingStore, LoggingStore, NotifyingStore
from storage.utils._reports import CopyReport
from storage.utils._retry import RetryStore
from storage.utils._routing import RoutingStore
from storage.utils._timeout import TimeoutStore
from storage.utils._transforming import (
    Base64Store,
    BufferStore,
    GzipStore,
    JsonStore,
    TextEncodingStore,
    TransformingStore,
)
from storage.utils._transforms import (
    Base64Transformer,
    BufferTransformer,
    DataTransformer,
    GzipTransformer,
    JsonTransformer,
    TextEncodingTransformer,
)

__all__ = [
    "Base64Store",
    "Base64Transformer",
    "BufferStore",
    "BufferTransformer",
    "CachingStore",
    "CopyReport",
    "DataTransformer",
    "ExceptionLoggingStore",
    "GzipStore",
    "GzipTransformer",
    "HashPrefixKeyTransformer",
    "HashPrefixStore",
    "IdentityStore",
    "JsonStore",
    "JsonTransformer",
    "KeyTransformer",
    "KeyTransformingStore",
    "KeyValidatingStore",
    "LoggingStore",
    "MirroringStore",
    "NotifyingStore",
    "PrefixKeyTransformer",
    "PrefixStore",
    "ReadonlyStore",
    "RegexRoutingStore",
    "RegexValidatingStore",
    "RegexValidator",
    "RoutingKeyTransformer",
    "TextEncodingStore",
    "TextEncodingTransformer",
    "TransformingStore",
    "UrlEncodingKeyTransformer",
    "UrlEncodingStore",
    "UrlValidatingStore",
    "ValidatingKeyTransformer",
    "WriteonlyStore",
    "clear_store",
    "copy_store",
    "sync_stores",
    "validate_http_url_key",
    "ConcurrencyLimitStore",
    "EncryptingStore",
    "MetricsStore",
    "RetryStore",
    "RoutingStore",
    "TimeoutStore",
    "format_metrics",
]
