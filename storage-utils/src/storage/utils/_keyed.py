"""KeyTransformingStore and the key-mapping and key-validating stores built on it."""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Optional

from storage._lifecycle import OPEN
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
from storage.utils._keymaps import KeyTransformer, PrefixKeyTransformer
from storage.utils._mixins import KeyMapping
from storage.wrapper import StoreWrapper, passes_values

__all__ = [
    "HashPrefixStore",
    "KeyTransformingStore",
    "KeyValidatingStore",
    "PrefixStore",
    "RegexRoutingStore",
    "RegexValidatingStore",
    "UrlEncodingStore",
    "UrlValidatingStore",
]


class KeyTransformingStore(KeyMapping, StoreWrapper):
    """Maps every key with ``transformer`` (a ``KeyTransformer``) before the wrapped store sees it.

    ``keys(prefix)`` lists the wrapped store under the transformer's pushed-down prefix and
    maps the stored keys back, skipping those the transformer did not make.
    """

    def __init__(self, store: Any, transformer: Optional[KeyTransformer] = None) -> None:
        super().__init__(store)
        self._set_key_transformer(transformer)

    @passes_values
    def get(self, key: str) -> Any:
        """Return the object at the mapped key."""
        stored = self._map(key, "get")
        if self._state != OPEN:
            self._ensure_open("get")
        return self.store.get(stored)

    @passes_values
    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` at the mapped key."""
        stored = self._map(key, "put")
        if self._state != OPEN:
            self._ensure_open("put")
        self.store.put(stored, data, if_absent=if_absent)

    @passes_values
    def exists(self, key: str) -> bool:
        """Return whether the mapped key holds an object."""
        stored = self._map(key, "exists")
        if self._state != OPEN:
            self._ensure_open("exists")
        return self.store.exists(stored)

    @passes_values
    def delete(self, key: str) -> None:
        """Remove the object at the mapped key."""
        stored = self._map(key, "delete")
        if self._state != OPEN:
            self._ensure_open("delete")
        self.store.delete(stored)

    @passes_values
    def keys(self, prefix: str = "") -> Iterator[str]:
        """Iterate over the caller's keys that start with ``prefix``."""
        return self._mapped(super().keys(self._list_prefix(prefix)), prefix)

    def _mapped(self, stored_keys: Iterable[str], prefix: str) -> Iterator[str]:
        for stored in stored_keys:
            key = self._listed(stored, prefix)
            if key is not None:
                yield key


class KeyValidatingStore(KeyValidating, KeyTransformingStore):
    """Refuses keys that ``validator`` rejects, with ``KeyRejected`` (a ``KeyError``)."""


class RegexValidatingStore(RegexValidating, KeyTransformingStore):
    """Accepts only keys that ``re.match`` ``pattern``."""


class UrlValidatingStore(UrlValidating, KeyTransformingStore):
    """Accepts only http and https URLs as keys."""


class PrefixStore(Prefix, KeyTransformingStore):
    """Stores ``key`` as ``prefix + key``; ``keys()`` lists only the keys under the prefix.

    A plain non-empty ``str`` key goes straight to the wrapped store, prefixed; any other key
    takes ``KeyTransformingStore``'s path (and its errors).
    """

    @passes_values
    def get(self, key: str) -> Any:
        """Return the object at ``prefix + key``."""
        transformer = self.key_transformer
        if key.__class__ is not str or not key or transformer.__class__ is not PrefixKeyTransformer:
            return super().get(key)
        if self._state != OPEN:
            self._ensure_open("get")
        return self.store.get(transformer.prefix + key)

    @passes_values
    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` at ``prefix + key``."""
        transformer = self.key_transformer
        if key.__class__ is not str or not key or transformer.__class__ is not PrefixKeyTransformer:
            return super().put(key, data, if_absent=if_absent)
        if self._state != OPEN:
            self._ensure_open("put")
        self.store.put(transformer.prefix + key, data, if_absent=if_absent)


class HashPrefixStore(HashPrefix, KeyTransformingStore):
    """Stores ``key`` under a prefix made of its hash, spreading keys over directories."""


class UrlEncodingStore(UrlEncoding, KeyTransformingStore):
    """Percent-encodes each segment of a key, keeping ``/`` as the hierarchy separator."""


class RegexRoutingStore(RegexRouting, KeyTransformingStore):
    """Maps each key with the transformer of the first route whose pattern matches it."""

    @passes_values
    def exists(self, key: str) -> bool:
        """Return whether the routed key holds an object; False if no route matches."""
        try:
            return super().exists(key)
        except UNROUTED:
            return False
