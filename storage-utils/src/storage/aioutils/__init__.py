"""Async twins of the decorators and copy tools of ``storage.utils`` (the seed's ``storage.aioutils``).

Each class is the ``Async``-prefixed twin of the ``storage.utils`` class, sharing its logic;
``AsyncFanoutStore`` is the async ``MirroringStore`` (``AsyncMirroringStore`` is an alias).
"""

from storage.aioutils._basic import AsyncIdentityStore, AsyncReadonlyStore, AsyncWriteonlyStore
from storage.aioutils._copying import async_clear_store, async_copy_store, async_sync_stores
from storage.aioutils._encrypting import AsyncEncryptingStore
from storage.aioutils._keyed import (
    AsyncHashPrefixStore,
    AsyncKeyTransformingStore,
    AsyncKeyValidatingStore,
    AsyncPrefixStore,
    AsyncRegexRoutingStore,
    AsyncRegexValidatingStore,
    AsyncUrlEncodingStore,
    AsyncUrlValidatingStore,
)
from storage.aioutils._limits import AsyncConcurrencyLimitStore
from storage.aioutils._metrics import AsyncMetricsStore
from storage.aioutils._multi import AsyncCachingStore, AsyncFanoutStore, AsyncMirroringStore
from storage.aioutils._observing import AsyncExceptionLoggingStore, AsyncLoggingStore, AsyncNotifyingStore
from storage.aioutils._retry import AsyncRetryStore
from storage.aioutils._routing import AsyncRoutingStore
from storage.aioutils._timeout import AsyncTimeoutStore
from storage.aioutils._transforming import (
    AsyncBase64Store,
    AsyncBufferStore,
    AsyncGzipStore,
    AsyncJsonStore,
    AsyncTextEncodingStore,
    AsyncTransformingStore,
)

__all__ = [
    "AsyncBase64Store",
    "AsyncBufferStore",
    "AsyncCachingStore",
    "AsyncExceptionLoggingStore",
    "AsyncFanoutStore",
    "AsyncGzipStore",
    "AsyncHashPrefixStore",
    "AsyncIdentityStore",
    "AsyncJsonStore",
    "AsyncKeyTransformingStore",
    "AsyncKeyValidatingStore",
    "AsyncLoggingStore",
    "AsyncMirroringStore",
    "AsyncNotifyingStore",
    "AsyncPrefixStore",
    "AsyncReadonlyStore",
    "AsyncRegexRoutingStore",
    "AsyncRegexValidatingStore",
    "AsyncTextEncodingStore",
    "AsyncTransformingStore",
    "AsyncUrlEncodingStore",
    "AsyncUrlValidatingStore",
    "AsyncWriteonlyStore",
    "async_clear_store",
    "async_copy_store",
    "async_sync_stores",
    "AsyncConcurrencyLimitStore",
    "AsyncEncryptingStore",
    "AsyncMetricsStore",
    "AsyncRetryStore",
    "AsyncRoutingStore",
    "AsyncTimeoutStore",
]
