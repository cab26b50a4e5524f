"""``StoreMapping``: a ``MutableMapping`` view of a store, for code that expects a dict."""

from __future__ import annotations

from typing import Any, Iterator, MutableMapping

from storage.errors import InvalidKey, ObjectNotFound

__all__ = ["StoreMapping"]


class StoreMapping(MutableMapping[str, Any]):
    """``mapping[key]`` gets, ``mapping[key] = value`` puts, ``del`` deletes, iteration lists keys.

    A missing key raises ``ObjectNotFound``, which is a ``KeyError``, so ``get``/``pop``/``in``
    behave as on a dict. ``len()`` counts the keys by listing them.
    """

    def __init__(self, store: Any) -> None:
        self.store = store

    def __getitem__(self, key: str) -> Any:
        return self.store.get(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self.store.put(key, value)

    def __delitem__(self, key: str) -> None:
        self.store.delete(key)

    def __contains__(self, key: object) -> bool:
        try:
            return bool(self.store.exists(key))
        except (InvalidKey, ObjectNotFound):
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(self.store.keys())

    def __len__(self) -> int:
        return sum(1 for _ in self.store.keys())

    def __repr__(self) -> str:
        return f"StoreMapping({self.store!r})"
