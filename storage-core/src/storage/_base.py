"""The abstract store classes: ``ObjectStore`` and its async twin ``AsyncObjectStore``.

A store implements ``get``, ``put``, ``exists`` and ``delete`` (and ``keys`` if it can list);
every other member is derived here once.
"""

from __future__ import annotations

import abc
import functools
import io
import threading
from typing import Any, AsyncIterator, BinaryIO, Callable, Iterable, Iterator, Mapping, Optional, Union

from storage._lifecycle import CLOSED, OPEN, LifecycleMixin, accepts_prefix, derive_capabilities, instance_lock
from storage._signature import VAR_KEYWORD, parameters
from storage.capabilities import Capabilities
from storage.errors import AlreadyExists, ObjectNotFound, PartialFailure, StoreError, UnsupportedOperation
from storage.mapping import StoreMapping
from storage.metadata import ListResult, ObjectInfo, check_range, split_listing
from storage.streams import AsyncBufferedWriter, AsyncFileAdapter, BufferedObjectWriter
from storage.validation import check_prefix

__all__ = ["AsyncObjectStore", "Items", "ObjectStore"]

#: What ``put_many`` takes: a mapping, or an iterable of ``(key, value)`` pairs.
Items = Union[Mapping[str, Any], Iterable["tuple[str, Any]"]]


def iter_items(items: Items) -> Iterator[tuple[str, Any]]:
    """Yield ``(key, value)`` pairs from a mapping or an iterable of pairs."""
    if isinstance(items, Mapping):
        return iter(items.items())
    return iter(items)


def raise_partial(operation: str, store: str, failed: dict[str, BaseException], done: list[str]) -> None:
    """Raise ``PartialFailure`` for a batch operation if any key failed.

    A batch that did nothing because the store refuses the operation itself raises that
    ``UnsupportedOperation`` instead.
    """
    if failed:
        if not done:
            first = next(iter(failed.values()))
            if all(isinstance(err, UnsupportedOperation) for err in failed.values()):
                raise first
        raise PartialFailure(
            f"{len(failed)} of {len(failed) + len(done)} keys failed: {', '.join(sorted(failed)[:10])}",
            failed=failed, succeeded=done, store=store, operation=operation,
        )


def size_of(value: Any) -> int:
    """The size in bytes of a bytes-like value (``len`` for anything else)."""
    try:
        return memoryview(value).nbytes
    except TypeError:
        return len(value)


def _accepts_if_absent(put: Callable[..., Any]) -> bool:
    params = parameters(put)
    if params is None:
        return True
    return any(p.name == "if_absent" or p.kind == VAR_KEYWORD for p in params)


def _add_if_absent(put: Callable[..., Any]) -> Callable[..., None]:
    """Give a ``put(key, data)`` written without ``if_absent`` the derived check-then-put."""

    @functools.wraps(put)
    def wrapped(self: Any, key: str, data: Any, *, if_absent: bool = False) -> None:
        if not if_absent:
            put(self, key, data)
            return
        with instance_lock(self, "_lifecycle_conditional_lock", threading.Lock):
            if self.exists(key):
                raise AlreadyExists(store=self.store_name, operation="put", key=key)
            put(self, key, data)

    return wrapped


def _add_async_if_absent(put: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(put)
    async def wrapped(self: Any, key: str, data: Any, *, if_absent: bool = False) -> None:
        if not if_absent:
            await put(self, key, data)
            return
        import asyncio

        async with instance_lock(self, "_lifecycle_conditional_lock", asyncio.Lock):
            if await self.exists(key):
                raise AlreadyExists(store=self.store_name, operation="put", key=key)
            await put(self, key, data)

    return wrapped


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


def _adapt_subclass(
    cls: type, filter_keys: Callable[[Any], Callable[..., Any]], add_if_absent: Callable[[Any], Callable[..., Any]]
) -> None:
    """Adapt a store class written for the seed's interface, then derive its capabilities."""
    keys = cls.__dict__.get("keys")
    if keys is not None and not accepts_prefix(keys):
        cls.keys = filter_keys(keys)  # type: ignore[attr-defined]
    put = cls.__dict__.get("put")
    if put is not None and not getattr(put, "__isabstractmethod__", False) and not _accepts_if_absent(put):
        cls.put = add_if_absent(put)  # type: ignore[attr-defined]
    derive_capabilities(cls)


class ObjectStore(LifecycleMixin, abc.ABC):
    """A synchronous key -> bytes store.

    Subclasses implement ``get``, ``put``, ``exists`` and ``delete``, and ``keys`` when they can
    list. Stateful stores override ``_open``/``_close``; they are opened on first use, by ``with``
    or by ``open()``, and using them after ``close()`` raises ``StoreClosed``.
    """

    CAPABILITIES = Capabilities(listing=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _adapt_subclass(cls, _filter_legacy_keys, _add_if_absent)

    @abc.abstractmethod
    def get(self, key: str) -> Any:
        """Return the object stored at ``key``; ``ObjectNotFound`` if there is none."""

    @abc.abstractmethod
    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` at ``key``, replacing any object there, all or nothing.

        With ``if_absent=True`` an existing object is left alone and ``AlreadyExists`` raised.
        A subclass whose ``put`` lacks ``if_absent`` gets a derived check-then-put (atomic within
        this process only); ``capabilities.native_conditional_write`` says which one a store has.
        """

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

    def stat(self, key: str) -> ObjectInfo:
        """Return the size (and, where the backend keeps them, time and etag) of ``key``."""
        return ObjectInfo(key, size_of(self.get(key)))

    def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """Return bytes ``[start:end)`` of the object (``end=None``: to the end), as slicing does."""
        start, end = check_range(start, end, self.store_name, key)
        return bytes(memoryview(self.get(key))[start:end])

    def copy(self, source: str, target: str) -> None:
        """Store the object at ``source`` also at ``target``, replacing any object there."""
        self.put(target, self.get(source))

    def rename(self, source: str, target: str) -> None:
        """Move the object at ``source`` to ``target``, replacing any object there."""
        if source == target:
            if not self.exists(source):
                raise ObjectNotFound(store=self.store_name, operation="rename", key=source)
            return
        self.copy(source, target)
        self.delete(source)

    def open_read(self, key: str) -> BinaryIO:
        """Return a binary file object reading the object (buffered whole unless the backend streams)."""
        return io.BytesIO(bytes(self.get(key)))

    def open_write(self, key: str) -> BinaryIO:
        """Return a binary file object whose content becomes the object at ``key`` on ``close()``.

        Nothing is stored until the file is closed, and nothing at all if a ``with`` block around
        it raises (or ``discard()`` is called).
        """
        return BufferedObjectWriter(lambda data: self.put(key, data))

    def list_dir(self, prefix: str = "") -> ListResult:
        """Return the immediate children of ``prefix``: object keys and ``/``-ending sub-prefixes."""
        return split_listing(self.keys(check_prefix(prefix, self.store_name, "list_dir")), prefix)

    def as_mapping(self) -> StoreMapping:
        """Return a ``MutableMapping`` view of this store."""
        return StoreMapping(self)

    def open(self) -> None:
        """Acquire the store's resources (a no-op if it is open)."""
        if self._state == OPEN:
            return
        with instance_lock(self, "_lifecycle_open_lock", threading.Lock):
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



class AsyncObjectStore(LifecycleMixin, abc.ABC):
    """The asyncio twin of ``ObjectStore``: the same members, as coroutines.

    ``keys`` returns an async iterator; ``async with`` opens and closes the store.
    """

    CAPABILITIES = Capabilities(listing=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _adapt_subclass(cls, _filter_legacy_async_keys, _add_async_if_absent)

    @abc.abstractmethod
    async def get(self, key: str) -> Any:
        """Return the object stored at ``key``; ``ObjectNotFound`` if there is none."""

    @abc.abstractmethod
    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` at ``key``, replacing any object there, all or nothing.

        With ``if_absent=True`` an existing object is left alone and ``AlreadyExists`` raised.
        """

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

    async def stat(self, key: str) -> ObjectInfo:
        """Return the size (and, where the backend keeps them, time and etag) of ``key``."""
        return ObjectInfo(key, size_of(await self.get(key)))

    async def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """Return bytes ``[start:end)`` of the object (``end=None``: to the end), as slicing does."""
        start, end = check_range(start, end, self.store_name, key)
        return bytes(memoryview(await self.get(key))[start:end])

    async def copy(self, source: str, target: str) -> None:
        """Store the object at ``source`` also at ``target``, replacing any object there."""
        await self.put(target, await self.get(source))

    async def rename(self, source: str, target: str) -> None:
        """Move the object at ``source`` to ``target``, replacing any object there."""
        if source == target:
            if not await self.exists(source):
                raise ObjectNotFound(store=self.store_name, operation="rename", key=source)
            return
        await self.copy(source, target)
        await self.delete(source)

    async def open_read(self, key: str) -> AsyncFileAdapter:
        """Return an async file object (``await f.read()``) reading the object."""
        return AsyncFileAdapter(io.BytesIO(bytes(await self.get(key))))

    async def open_write(self, key: str) -> AsyncFileAdapter:
        """Return an async file object whose content becomes the object at ``key`` on ``close()``.

        Nothing is stored until it is closed, and nothing if an ``async with`` block around it raises.
        """

        async def commit(data: bytes) -> None:
            await self.put(key, data)

        return AsyncBufferedWriter(commit)

    async def list_dir(self, prefix: str = "") -> ListResult:
        """Return the immediate children of ``prefix``: object keys and ``/``-ending sub-prefixes."""
        check_prefix(prefix, self.store_name, "list_dir")
        return split_listing([key async for key in self.keys(prefix)], prefix)

    async def open(self) -> None:
        """Acquire the store's resources (a no-op if it is open); concurrent first uses open once."""
        if self._state == OPEN:
            return
        import asyncio

        async with instance_lock(self, "_lifecycle_open_lock", asyncio.Lock):
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
