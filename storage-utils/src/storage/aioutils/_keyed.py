"""AsyncKeyTransformingStore and the async key-mapping and key-validating stores."""

from __future__ import annotations

from typing import Any, AsyncIterator, Optional

from storage.utils._flavours import (
    UNROUTED,
    HashPrefix,
    KeyValidating,
    Prefix,
    RegexRouting,
    RegexValidating,
    UrlEncoding,
    UrlValidating,
)
from storage.utils._keymaps import KeyTransformer
from storage.utils._mixins import KeyMapping
from storage.wrapper import AsyncStoreWrapper, passes_values

__all__ = [
    "AsyncHashPrefixStore",
    "AsyncKeyTransformingStore",
    "AsyncKeyValidatingStore",
    "AsyncPrefixStore",
    "AsyncRegexRoutingStore",
    "AsyncRegexValidatingStore",
    "AsyncUrlEncodingStore",
    "AsyncUrlValidatingStore",
]


class AsyncKeyTransformingStore(KeyMapping, AsyncStoreWrapper):
    """Maps every key with ``transformer`` (a ``KeyTransformer``) before the wrapped store sees it."""

    def __init__(self, store: Any, transformer: Optional[KeyTransformer] = None) -> None:
        super().__init__(store)
        self._set_key_transformer(transformer)

    @passes_values
    async def get(self, key: str) -> Any:
        """Return the object at the mapped key."""
        return await super().get(self._map(key, "get"))

    @passes_values
    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` at the mapped key."""
        await super().put(self._map(key, "put"), data, if_absent=if_absent)

    @passes_values
    async def exists(self, key: str) -> bool:
        """Return whether the mapped key holds an object."""
        return await super().exists(self._map(key, "exists"))

    @passes_values
    async def delete(self, key: str) -> None:
        """Remove the object at the mapped key."""
        await super().delete(self._map(key, "delete"))

    @passes_values
    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Iterate over the caller's keys that start with ``prefix``."""
        async for stored in super().keys(self._list_prefix(prefix)):
            key = self._listed(stored, prefix)
            if key is not None:
                yield key


class AsyncKeyValidatingStore(KeyValidating, AsyncKeyTransformingStore):
    """Refuses keys that ``validator`` rejects, with ``KeyRejected`` (a ``KeyError``)."""


class AsyncRegexValidatingStore(RegexValidating, AsyncKeyTransformingStore):
    """Accepts only keys that ``re.match`` ``pattern``."""


class AsyncUrlValidatingStore(UrlValidating, AsyncKeyTransformingStore):
    """Accepts only http and https URLs as keys."""


class AsyncPrefixStore(Prefix, AsyncKeyTransformingStore):
    """Stores ``key`` as ``prefix + key``; ``keys()`` lists only the keys under the prefix."""


class AsyncHashPrefixStore(HashPrefix, AsyncKeyTransformingStore):
    """Stores ``key`` under a prefix made of its hash, spreading keys over directories."""


class AsyncUrlEncodingStore(UrlEncoding, AsyncKeyTransformingStore):
    """Percent-encodes each segment of a key, keeping ``/`` as the hierarchy separator."""


class AsyncRegexRoutingStore(RegexRouting, AsyncKeyTransformingStore):
    """Maps each key with the transformer of the first route whose pattern matches it."""

    @passes_values
    async def exists(self, key: str) -> bool:
        """Return whether the routed key holds an object; False if no route matches."""
        try:
            return await super().exists(key)
        except UNROUTED:
            return False
