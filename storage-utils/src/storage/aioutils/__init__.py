"""Async twins of the decorators and copy tools of ``storage.utils`` (the seed's ``storage.aioutils``).

Each class is the ``Async``-prefixed twin of the ``storage.utils`` class, sharing its logic;
``AsyncFanoutStore`` is the async ``MirroringStore`` (``AsyncMirroringStore`` is an alias).
"""

from storage.aioutils._basic import AsyncIdentityStore, AsyncReadonlyStore, AsyncWriteonlyStore
from storage.aioutils._copying import async_clear_store, async_copy_store, async_sync_stores
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
from storage.aioutils._multi import AsyncCachingStore, AsyncFanoutStore, AsyncMirroringStore
from storage.aioutils._observing import AsyncExceptionLoggingStore, AsyncLoggingStore, AsyncNotifyingStore
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
]
