"""The abstract store classes: ``ObjectStore`` and its async twin ``AsyncObjectStore``.

A store implements ``get``, ``put``, ``exists`` and ``delete`` (and ``keys`` if it can list);
every other member is derived here once.
"""

from __future__ import annotations

import abc
import threading
from typing import Any, AsyncIterator, Callable, Iterable, Iterator, Mapping, Union

from storage._lifecycle import CLOSED, OPEN, LifecycleMixin, accepts_prefix, derive_capabilities
from storage.capabilities import Capabilities
from storage.errors import ObjectNotFound, PartialFailure, StoreError, UnsupportedOperation

__all__ = ["AsyncObjectStore", "Items", "ObjectStore"]

#: What ``put_many`` takes: a mapping, or an iterable of ``(key, value)`` pairs.
Items = Union[Mapping[str, Any], Iterable["tuple[str, Any]"]]


def iter_items(items: Items) -> Iterator[tuple[str, Any]]:
    """Yield ``(key, value)`` pairs from a mapping or an iterable of pairs."""
    if isinstance(items, Mapping):
        return iter(items.items())
    return iter(items)


def raise_partial(operation: str, store: str, failed: dict[str, BaseException], done: list[str]) -> None:
    """Raise ``PartialFailure`` for a batch operation if any key failed."""
    if failed:
        raise PartialFailure(
            f"{len(failed)} of {len(failed) + len(done)} keys failed: {', '.join(sorted(failed)[:10])}",
            failed=failed, succeeded=done, store=store, operation=operation,
        )


def _filter_legacy_keys(legacy: Callable[[Any], Iterable[str]]) -> Callable[..., Iterator[str]]:
    def keys(self: Any, prefix: str = "") -> Iterator[str]:
        for key in legacy(self):
            if key.startswith(prefix):
                yield key

    keys.__doc__ = legacy.__doc__
    return keys


def _filter_legacy_async_keys(legacy: Callable[[Any], Any]) -> Callable[..., AsyncIterator[str]]:
    async def keys(self: Any, prefix: str = "") -> AsyncIterator[str]:
        listing = legacy(self)
        if hasattr(listing, "__aiter__"):
            async for key in listing:
                if key.startswith(prefix):
                    yield key
        else:
            for key in await listing if hasattr(listing, "__await__") else listing:
                if key.startswith(prefix):
                    yield key

    keys.__doc__ = legacy.__doc__
    return keys


class ObjectStore(LifecycleMixin, abc.ABC):
    """A synchronous key -> bytes store.

    Subclasses implement ``get``, ``put``, ``exists`` and ``delete``, and ``keys`` when they can
    list. Stateful stores override ``_open``/``_close``; they are opened on first use, by ``with``
    or by ``open()``, and using them after ``close()`` raises ``StoreClosed``.
    """

    CAPABILITIES = Capabilities(listing=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        keys = cls.__dict__.get("keys")
        if keys is not None and not accepts_prefix(keys):
            cls.keys = _filter_legacy_keys(keys)  # type: ignore[method-assign]
        derive_capabilities(cls)

    @abc.abstractmethod
    def get(self, key: str) -> Any:
        """Return the object stored at ``key``; ``ObjectNotFound`` if there is none."""

    @abc.abstractmethod
    def put(self, key: str, data: Any) -> None:
        """Store ``data`` at ``key``, replacing any object there, all or nothing."""

    @abc.abstractmethod
    def exists(self, key: str) -> bool:
        """Return whether an object is stored at ``key``."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object at ``key``; ``ObjectNotFound`` if there is none."""

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Iterate lazily over the keys that start with ``prefix``."""
        raise UnsupportedOperation("this store cannot list its keys", store=self.store_name, operation="keys")

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """Return ``{key: object}`` for those of ``keys`` that hold an object."""
        found = {}
        for key in keys:
            try:
                found[key] = self.get(key)
            except ObjectNotFound:
                pass
        return found

    def put_many(self, items: Items) -> None:
        """Store every ``(key, value)`` pair."""
        for key, value in iter_items(items):
            self.put(key, value)

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove every key that holds an object; absent keys are skipped.

        Raises ``PartialFailure`` naming the keys that could not be removed.
        """
        failed: dict[str, BaseException] = {}
        done: list[str] = []
        for key in keys:
            try:
                self.delete(key)
            except ObjectNotFound:
                pass
            except StoreError as err:
                failed[key] = err
                continue
            done.append(key)
        raise_partial("delete_many", self.store_name, failed, done)

    def open(self) -> None:
        """Acquire the store's resources (a no-op if it is open)."""
        if self._state == OPEN:
            return
        with self.__dict__.setdefault("_open_lock", threading.Lock()):
            if self._state != OPEN:
                self._open()
                self._state = OPEN

    def close(self) -> None:
        """Release the store's resources; later use raises ``StoreClosed`` until ``open()``."""
        if self._state == CLOSED:
            return
        was_open = self._state == OPEN
        self._state = CLOSED
        if was_open:
            self._close()

    def _open(self) -> None:
        """Acquire resources; called once per ``open()``."""

    def _close(self) -> None:
        """Release resources; called once per ``close()`` of an open store."""

    def _ensure_open(self, operation: str = "") -> None:
        """Open the store on first use; raise ``StoreClosed`` after ``close()``."""
        if self._state == OPEN:
            return
        if self._state == CLOSED:
            self._raise_closed(operation)
        self.open()

    def __enter__(self) -> Any:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_open_lock", None)
        return state


class AsyncObjectStore(LifecycleMixin, abc.ABC):
    """The asyncio twin of ``ObjectStore``: the same members, as coroutines.

    ``keys`` returns an async iterator; ``async with`` opens and closes the store.
    """

    CAPABILITIES = Capabilities(listing=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        keys = cls.__dict__.get("keys")
        if keys is not None and not accepts_prefix(keys):
            cls.keys = _filter_legacy_async_keys(keys)  # type: ignore[method-assign]
        derive_capabilities(cls)

    @abc.abstractmethod
    async def get(self, key: str) -> Any:
        """Return the object stored at ``key``; ``ObjectNotFound`` if there is none."""

    @abc.abstractmethod
    async def put(self, key: str, data: Any) -> None:
        """Store ``data`` at ``key``, replacing any object there, all or nothing."""

    @abc.abstractmethod
    async def exists(self, key: str) -> bool:
        """Return whether an object is stored at ``key``."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the object at ``key``; ``ObjectNotFound`` if there is none."""

    def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Iterate lazily (``async for``) over the keys that start with ``prefix``."""
        raise UnsupportedOperation("this store cannot list its keys", store=self.store_name, operation="keys")

    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """Return ``{key: object}`` for those of ``keys`` that hold an object."""
        found = {}
        for key in keys:
            try:
                found[key] = await self.get(key)
            except ObjectNotFound:
                pass
        return found

    async def put_many(self, items: Items) -> None:
        """Store every ``(key, value)`` pair."""
        for key, value in iter_items(items):
            await self.put(key, value)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Remove every key that holds an object; absent keys are skipped.

        Raises ``PartialFailure`` naming the keys that could not be removed.
        """
        failed: dict[str, BaseException] = {}
        done: list[str] = []
        for key in keys:
            try:
                await self.delete(key)
            except ObjectNotFound:
                pass
            except StoreError as err:
                failed[key] = err
                continue
            done.append(key)
        raise_partial("delete_many", self.store_name, failed, done)

    async def open(self) -> None:
        """Acquire the store's resources (a no-op if it is open)."""
        if self._state != OPEN:
            await self._open()
            self._state = OPEN

    async def close(self) -> None:
        """Release the store's resources; later use raises ``StoreClosed`` until ``open()``."""
        if self._state == CLOSED:
            return
        was_open = self._state == OPEN
        self._state = CLOSED
        if was_open:
            await self._close()

    async def _open(self) -> None:
        """Acquire resources; called once per ``open()``."""

    async def _close(self) -> None:
        """Release resources; called once per ``close()`` of an open store."""

    async def _ensure_open(self, operation: str = "") -> None:
        """Open the store on first use; raise ``StoreClosed`` after ``close()``."""
        if self._state == OPEN:
            return
        if self._state == CLOSED:
            self._raise_closed(operation)
        await self.open()

    async def __aenter__(self) -> Any:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
