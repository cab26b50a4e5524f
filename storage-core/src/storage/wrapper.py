"""The one base of every decorator: ``StoreWrapper`` and its async twin ``AsyncStoreWrapper``.

A wrapper forwards every member to the store it wraps, explicitly (never ``__getattr__``), and
each decorator overrides only what it changes::

    class ShoutingStore(StoreWrapper):
        def get(self, key):
            return super().get(key).upper()

Lifecycle passes through: ``open()`` opens the wrapped stores first, then the wrapper;
``close()`` closes the wrapper, then every store below it once, each after every wrapper above
it that uses it (a base shared by two layers outlives both), even if one of the closes fails.
``capabilities`` are derived from the wrapped stores, ``validate_stack()`` refuses impossible
stacks at load time, and ``repr`` shows the chain: ``PrefixStore('p/') -> FilesystemStore('/x')``.

The operations the core derives from ``get``/``put`` (``stat``, ``get_range``, ``copy``,
``rename``, ``open_read``, ``open_write``, ``list_dir``) are handed to the wrapped store, so a
backend's native range reads, server-side copies and streams work through the layer, as long as
the layer passes values through: a layer that overrides ``get``/``put`` (a value transform) gets
the core's derived default instead, through its own ``get``/``put``. An override that keeps
values (logging, key mapping through ``_stored_key``) is marked ``@passes_values``; a value
transform that ignores the key is marked ``@same_for_every_key`` (copying and renaming the stored
bytes then still forward). The ``native_*`` capability flags follow: a layer reports one only for
an operation it forwards and its store does natively.

Decorators over several stores (mirroring, caching) subclass ``MultiStoreWrapper`` /
``AsyncMultiStoreWrapper``, list their stores in ``wrapped()`` and override ``forwards``.

A store written against the seed's interface (not an ``ObjectStore`` subclass, a ``keys()``
without a prefix, a ``put`` returning True, a plain ``KeyError`` for a missing key) is adapted
when it is wrapped: see ``as_store`` and ``as_async_store``.
"""

from __future__ import annotations

import inspect
from contextvars import ContextVar
from typing import (
    Any,
    AsyncIterator,
    BinaryIO,
    Callable,
    ClassVar,
    Iterable,
    Iterator,
    Mapping,
    Optional,
    Sequence,
    TypeVar,
)

from storage._base import AsyncObjectStore, Items, ObjectStore
from storage._lifecycle import OPEN, LifecycleMixin, accepts_prefix, instance_lock
from storage.capabilities import Capabilities
from storage.errors import (
    AlreadyExists,
    ConfigError,
    InvalidValue,
    ObjectNotFound,
    StoreError,
    UnsupportedOperation,
)
from storage.metadata import ListResult, ObjectInfo
from storage.streams import AsyncFileAdapter

__all__ = [
    "AsyncMultiStoreWrapper",
    "AsyncStoreWrapper",
    "MultiStoreWrapper",
    "StoreWrapper",
    "as_async_store",
    "as_store",
    "close_all",
    "instance_lock",
    "open_all",
    "passes_values",
    "same_for_every_key",
]

F = TypeVar("F", bound=Callable[..., Any])

#: What each capability flag lets a store do, for messages.
_ABILITY = {
    "read": "read",
    "write": "write",
    "delete": "delete",
    "listing": "list its keys",
}


#: The members the core's derived default of each operation goes through. A layer forwards the
#: operation to its store when every one of them passes values through (see ``passes_values``).
DERIVED_FROM: Mapping[str, tuple[str, ...]] = {
    "stat": ("get",),
    "get_range": ("get",),
    "open_read": ("get",),
    "open_write": ("put",),
    "copy": ("get", "put"),
    "rename": ("get", "put", "exists", "delete", "copy"),
    "list_dir": ("keys",),
}

#: Operations that move stored bytes as they are: valid through a key-independent value transform.
_MOVES = frozenset({"copy", "rename"})

#: Each ``native_*`` capability flag and the operation it is about (conditional writes are
#: ``put(if_absent=True)``, which every layer forwards).
_NATIVE_FLAGS = {"native_range": "get_range", "native_metadata": "stat", "native_copy": "copy"}

_PASSES_VALUES: set[Callable[..., Any]] = set()
_SAME_FOR_EVERY_KEY: set[Callable[..., Any]] = set()


def passes_values(method: F) -> F:
    """Mark a wrapper method that stores and returns exactly what the wrapped store does.

    It may observe the call, or map the key the way the layer's ``_stored_key`` does; the
    operations derived from it are then forwarded to the wrapped store natively.
    """
    _PASSES_VALUES.add(method)
    return method


def same_for_every_key(method: F) -> F:
    """Mark a ``get``/``put`` whose value transform does not depend on the key.

    Copying or renaming the stored bytes then copies or renames the value, so ``copy`` and
    ``rename`` are still forwarded natively (ranges, sizes and streams are not).
    """
    _SAME_FOR_EVERY_KEY.add(method)
    return method


def _forwards(cls: type, operation: str) -> bool:
    """True if every member ``operation`` is derived from passes values through in ``cls``."""
    allowed = _PASSES_VALUES | _SAME_FOR_EVERY_KEY if operation in _MOVES else _PASSES_VALUES
    return all(getattr(cls, name, None) in allowed for name in DERIVED_FROM[operation])


def _as_caller(info: ObjectInfo, key: str) -> ObjectInfo:
    """``info`` about the stored object, named by the caller's ``key``."""
    return info if info.key == key else info._replace(key=key)


# Seed-interface adapters ----------------------------------------------------------------------


def _translate(err: Exception, store: str, operation: str, key: Optional[str]) -> Exception:
    """Map a seed store's plain exception onto the ``storage.errors`` type it means."""
    if isinstance(err, StoreError):
        return err
    if isinstance(err, KeyError):
        return ObjectNotFound(store=store, operation=operation, key=key)
    if isinstance(err, NotImplementedError):
        return UnsupportedOperation(str(err) or "not supported", store=store, operation=operation, key=key)
    return err


def _class_keys_take_prefix(inner: Any) -> bool:
    method = getattr(type(inner), "keys", None)
    return method is None or accepts_prefix(method)


class _Seed(LifecycleMixin):
    """What both adapters share: the adapted object, its name, capabilities and repr."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    @property
    def store_name(self) -> str:
        """The adapted store's class name."""
        return type(self.inner).__name__

    @property
    def capabilities(self) -> Capabilities:
        """Everything, and listing if the store has ``keys``."""
        return Capabilities(listing=callable(getattr(self.inner, "keys", None)))

    def __repr__(self) -> str:
        return repr(self.inner)


class _SeedStore(_Seed, ObjectStore):
    """A seed-style sync store (duck-typed, not an ``ObjectStore``) seen through the contract."""

    def _call(self, operation: str, key: Optional[str], *args: Any) -> Any:
        if self._state != OPEN:
            self._ensure_open(operation)
        try:
            return getattr(self.inner, operation)(*args)
        except Exception as err:
            translated = _translate(err, self.store_name, operation, key)
            if translated is err:
                raise
            raise translated from err

    def get(self, key: str) -> Any:
        """The adapted store's ``get``."""
        return self._call("get", key, key)

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """The adapted store's ``put``, its return value dropped (``if_absent``: checked first)."""
        if if_absent and self.exists(key):
            raise AlreadyExists(store=self.store_name, operation="put", key=key)
        self._call("put", key, key, data)

    def exists(self, key: str) -> bool:
        """The adapted store's ``exists``."""
        return bool(self._call("exists", key, key))

    def delete(self, key: str) -> None:
        """The adapted store's ``delete``."""
        self._call("delete", key, key)

    def keys(self, prefix: str = "") -> Iterator[str]:
        """The adapted store's keys under ``prefix``, filtered here if it cannot filter."""
        if _class_keys_take_prefix(self.inner):
            return iter(self._call("keys", None, prefix))
        return (key for key in self._call("keys", None) if key.startswith(prefix))

    def _open(self) -> None:
        opener = getattr(self.inner, "open", None) or getattr(self.inner, "__enter__", None)
        if opener is not None:
            opener()

    def _close(self) -> None:
        closer = getattr(self.inner, "close", None)
        if closer is not None:
            closer()
        elif hasattr(self.inner, "__exit__"):
            self.inner.__exit__(None, None, None)

async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class _SeedAsyncStore(_Seed, AsyncObjectStore):
    """A seed-style async store (duck-typed coroutines) seen through the contract."""

    async def _call(self, operation: str, key: Optional[str], *args: Any) -> Any:
        if self._state != OPEN:
            await self._ensure_open(operation)
        try:
            return await _maybe_await(getattr(self.inner, operation)(*args))
        except Exception as err:
            translated = _translate(err, self.store_name, operation, key)
            if translated is err:
                raise
            raise translated from err

    async def get(self, key: str) -> Any:
        """The adapted store's ``get``."""
        return await self._call("get", key, key)

    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """The adapted store's ``put``, its return value dropped (``if_absent``: checked first)."""
        if if_absent and await self.exists(key):
            raise AlreadyExists(store=self.store_name, operation="put", key=key)
        await self._call("put", key, key, data)

    async def exists(self, key: str) -> bool:
        """The adapted store's ``exists``."""
        return bool(await self._call("exists", key, key))

    async def delete(self, key: str) -> None:
        """The adapted store's ``delete``."""
        await self._call("delete", key, key)

    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """The adapted store's keys under ``prefix``, filtered here if it cannot filter."""
        takes_prefix = _class_keys_take_prefix(self.inner)
        if self._state != OPEN:
            await self._ensure_open("keys")
        listing = self.inner.keys(prefix) if takes_prefix else self.inner.keys()
        if hasattr(listing, "__aiter__"):
            async for key in listing:
                if key.startswith(prefix):
                    yield key
            return
        for key in await _maybe_await(listing):
            if key.startswith(prefix):
                yield key

    async def _open(self) -> None:
        opener = getattr(self.inner, "open", None) or getattr(self.inner, "__aenter__", None)
        if opener is not None:
            await _maybe_await(opener())

    async def _close(self) -> None:
        closer = getattr(self.inner, "close", None)
        if closer is not None:
            await _maybe_await(closer())
        elif hasattr(self.inner, "__aexit__"):
            await self.inner.__aexit__(None, None, None)


#: The methods of a store written against the seed's interface; a partial one has some of them.
_SEED_METHODS = ("get", "put", "exists", "delete", "keys")


def _check_seed(store: Any) -> None:
    if not any(callable(getattr(store, name, None)) for name in _SEED_METHODS):
        raise InvalidValue(
            f"a wrapper wraps a store, not a {type(store).__name__} (it has none of the methods "
            f"{', '.join(_SEED_METHODS)})",
            operation="wrap",
        )


def as_store(store: Any) -> ObjectStore:
    """Return ``store`` if it is an ``ObjectStore``, else an adapter giving it the contract.

    Anything with none of a store's methods (a store's name, say) is refused with ``InvalidValue``.
    """
    if isinstance(store, ObjectStore):
        return store
    _check_seed(store)
    return _SeedStore(store)


def as_async_store(store: Any) -> AsyncObjectStore:
    """Return ``store`` if it is an ``AsyncObjectStore``, else an adapter giving it the contract.

    Anything with none of a store's methods (a store's name, say) is refused with ``InvalidValue``.
    """
    if isinstance(store, AsyncObjectStore):
        return store
    _check_seed(store)
    return _SeedAsyncStore(store)


# Lifecycle over several stores ---------------------------------------------------------------

#: The ids of the stores whose closing a tree close in progress orders itself: a wrapper among
#: them closes only itself, not the stores below it.
_CLOSED_BY_TREE: ContextVar[frozenset[int]] = ContextVar("storage_closed_by_tree", default=frozenset())


def _closing_order(top: Any) -> list[Any]:
    """Every distinct store below ``top``, each after every store below ``top`` that wraps it."""
    seen = {id(top)}
    finished: list[Any] = []

    def visit(store: Any) -> None:
        if id(store) in seen:
            return
        seen.add(id(store))
        if isinstance(store, _Layer):
            for below in store._wrapped_stores():
                visit(below)
        finished.append(store)

    for below in top._wrapped_stores():
        visit(below)
    finished.reverse()
    return finished


def _close_quietly(stores: Iterable[Any], close: Callable[[Any], Any]) -> Optional[BaseException]:
    first: Optional[BaseException] = None
    for store in stores:
        try:
            close(store)
        except Exception as err:
            first = first or err
    return first


def open_all(stores: Sequence[ObjectStore]) -> None:
    """Open ``stores`` in order; if one fails, close those already opened and re-raise."""
    for index, store in enumerate(stores):
        try:
            store.open()
        except BaseException:
            _close_quietly(reversed(stores[:index]), lambda s: s.close())
            raise


def close_all(stores: Sequence[ObjectStore]) -> None:
    """Close every store, even if some fail; then raise the first failure."""
    error = _close_quietly(stores, lambda s: s.close())
    if error is not None:
        raise error


async def _async_open_all(stores: Sequence[AsyncObjectStore]) -> None:
    for index, store in enumerate(stores):
        try:
            await store.open()
        except BaseException:
            for opened in reversed(stores[:index]):
                try:
                    await opened.close()
                except Exception:
                    pass
            raise


async def _async_close_all(stores: Sequence[AsyncObjectStore]) -> None:
    first: Optional[BaseException] = None
    for store in stores:
        try:
            await store.close()
        except Exception as err:
            first = first or err
    if first is not None:
        raise first


# The layer logic both kinds share ------------------------------------------------------------


class _Layer(LifecycleMixin):
    """What a wrapper derives from the stores it wraps; no I/O, so sync and async share it."""

    #: Capability flags a decorator sets on top of what it wraps (e.g. ``{"write": False}``).
    CAPABILITY_CHANGES: ClassVar[Mapping[str, bool]] = {}
    #: Capability flags each wrapped store must have: ``{"store": ("write",)}``, by role.
    REQUIRES: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def wrapped(self) -> list[tuple[str, Any]]:
        """The wrapped stores as ``(role, store)`` pairs, bases in opening order."""
        raise NotImplementedError

    def _wrapped_stores(self) -> list[Any]:
        return [store for _, store in self.wrapped()]

    @property
    def capabilities(self) -> Capabilities:
        """What every wrapped store can do, changed by ``CAPABILITY_CHANGES``.

        A ``native_*`` flag (range, metadata, copy) is kept only if this layer ``forwards`` the
        operation; otherwise the layer derives it through its own ``get``/``put``. Conditional
        writes are passed on: every layer forwards ``put(if_absent=True)``.
        """
        stores = self.capability_sources()
        merged: Capabilities = stores[0].capabilities.merge_all(s.capabilities for s in stores[1:])
        native = {flag: getattr(merged, flag) and self.forwards(op) for flag, op in _NATIVE_FLAGS.items()}
        return merged.replace(**{**native, **self.CAPABILITY_CHANGES})

    def forwards(self, operation: str) -> bool:
        """True if this layer hands ``operation`` (a key of ``DERIVED_FROM``) to the wrapped store.

        By default: if every member the derived default goes through passes values through.
        """
        return _forwards(type(self), operation)

    def _stored_key(self, key: str, operation: str) -> str:
        """The key the wrapped store holds the caller's ``key`` under (the same by default)."""
        return key

    def _stored_prefix(self, prefix: str) -> Optional[str]:
        """The prefix to ``list_dir`` below for the caller's ``prefix`` (the same by default).

        None if the layer's key mapping scatters directories: ``list_dir`` is then derived.
        """
        return prefix

    def _listed_dir(self, listed: ListResult, prefix: str) -> ListResult:
        """The caller's view of the wrapped store's ``list_dir`` result (the same by default)."""
        return listed

    def capability_sources(self) -> list[Any]:
        """The stores whose capabilities this layer has (all wrapped stores by default)."""
        return self._wrapped_stores()

    def requirements(self, role: str) -> tuple[str, ...]:
        """The capability flags the store in ``role`` must have (``REQUIRES`` by default)."""
        return self.REQUIRES.get(role, ())

    def validate_stack(self) -> None:
        """Raise ``ConfigError`` if a wrapped store lacks a capability this layer needs."""
        for role, store in self.wrapped():
            for flag in self.requirements(role):
                if not getattr(store.capabilities, flag):
                    raise ConfigError(
                        f"{type(self).__name__} needs its {role} to {_ABILITY.get(flag, flag)}, "
                        f"but {store!r} cannot",
                        store=self.store_name, operation="validate_stack",
                    )

    def repr_args(self) -> str:
        """The constructor arguments shown in ``repr`` (never a secret)."""
        return ""

    def __repr__(self) -> str:
        pairs = self.wrapped()
        head = f"{type(self).__name__}({self.repr_args()})"
        if len(pairs) == 1:
            return f"{head} -> {pairs[0][1]!r}"
        return f"{head} -> [{', '.join(f'{role}={store!r}' for role, store in pairs)}]"


class MultiStoreWrapper(_Layer, ObjectStore):
    """A sync decorator over the stores ``wrapped()`` lists: lifecycle, capabilities, repr."""

    def open(self) -> None:
        """Open the wrapped stores, then this one."""
        if self._state == OPEN:
            return
        stores = self._wrapped_stores()
        open_all(stores)
        try:
            super().open()
        except BaseException:
            _close_quietly(reversed(stores), lambda s: s.close())
            raise

    def close(self) -> None:
        """Close this store, then every store below it once, wrappers before their bases, even if a close fails."""
        closing = _CLOSED_BY_TREE.get()
        if id(self) in closing:
            super().close()
            return
        below = _closing_order(self)
        token = _CLOSED_BY_TREE.set(closing.union(map(id, below)))
        try:
            try:
                super().close()
            finally:
                close_all(below)
        finally:
            _CLOSED_BY_TREE.reset(token)

    def _check(self, operation: str) -> None:
        """Open on first use; ``StoreClosed`` after ``close()``."""
        if self._state != OPEN:
            self._ensure_open(operation)


class AsyncMultiStoreWrapper(_Layer, AsyncObjectStore):
    """An async decorator over the stores ``wrapped()`` lists: lifecycle, capabilities, repr."""

    async def open(self) -> None:
        """Open the wrapped stores, then this one."""
        if self._state == OPEN:
            return
        stores = self._wrapped_stores()
        await _async_open_all(stores)
        try:
            await super().open()
        except BaseException:
            await _async_close_all(list(reversed(stores)))
            raise

    async def close(self) -> None:
        """Close this store, then every store below it once, wrappers before their bases, even if a close fails."""
        closing = _CLOSED_BY_TREE.get()
        if id(self) in closing:
            await super().close()
            return
        below = _closing_order(self)
        token = _CLOSED_BY_TREE.set(closing.union(map(id, below)))
        try:
            try:
                await super().close()
            finally:
                await _async_close_all(below)
        finally:
            _CLOSED_BY_TREE.reset(token)

    async def _check(self, operation: str) -> None:
        """Open on first use; ``StoreClosed`` after ``close()``."""
        if self._state != OPEN:
            await self._ensure_open(operation)


class StoreWrapper(MultiStoreWrapper):
    """A sync decorator forwarding every member to ``store``; override what you change."""

    def __init__(self, store: Any) -> None:
        self.store: ObjectStore = as_store(store)

    def wrapped(self) -> list[tuple[str, Any]]:
        """The one wrapped store."""
        return [("store", self.store)]

    @passes_values
    def get(self, key: str) -> Any:
        """Return the object at ``key`` from the wrapped store."""
        if self._state != OPEN:
            self._ensure_open("get")
        return self.store.get(key)

    @passes_values
    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` at ``key`` in the wrapped store (``if_absent``: only if no object is there)."""
        if self._state != OPEN:
            self._ensure_open("put")
        self.store.put(key, data, if_absent=if_absent)

    @passes_values
    def exists(self, key: str) -> bool:
        """Return whether the wrapped store holds ``key``."""
        if self._state != OPEN:
            self._ensure_open("exists")
        return self.store.exists(key)

    @passes_values
    def delete(self, key: str) -> None:
        """Remove ``key`` from the wrapped store."""
        if self._state != OPEN:
            self._ensure_open("delete")
        self.store.delete(key)

    @passes_values
    def keys(self, prefix: str = "") -> Iterator[str]:
        """Iterate over the wrapped store's keys under ``prefix``."""
        self._check("keys")
        return self.store.keys(prefix)

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The wrapped store's ``get_many``, or one ``get`` per key if ``get`` is overridden."""
        self._check("get_many")
        if type(self).get is StoreWrapper.get:
            return self.store.get_many(keys)
        return super().get_many(keys)

    def put_many(self, items: Items) -> None:
        """The wrapped store's ``put_many``, or one ``put`` per item if ``put`` is overridden."""
        self._check("put_many")
        if type(self).put is StoreWrapper.put:
            self.store.put_many(items)
        else:
            super().put_many(items)

    def delete_many(self, keys: Iterable[str]) -> None:
        """The wrapped store's ``delete_many``, or one ``delete`` per key if ``delete`` is overridden."""
        self._check("delete_many")
        if type(self).delete is StoreWrapper.delete:
            self.store.delete_many(keys)
        else:
            super().delete_many(keys)



    def stat(self, key: str) -> ObjectInfo:
        """The wrapped store's ``stat`` of the stored key, named by ``key``; derived if values change."""
        self._check("stat")
        if not self.forwards("stat"):
            return super().stat(key)
        return _as_caller(self.store.stat(self._stored_key(key, "stat")), key)

    def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """The wrapped store's ``get_range``; derived (through ``get``) if values change."""
        self._check("get_range")
        if not self.forwards("get_range"):
            return super().get_range(key, start, end)
        return self.store.get_range(self._stored_key(key, "get_range"), start, end)

    @passes_values
    def copy(self, source: str, target: str) -> None:
        """The wrapped store's ``copy``; derived (``get`` then ``put``) if values change."""
        self._check("copy")
        if not self.forwards("copy"):
            super().copy(source, target)
            return
        self.store.copy(self._stored_key(source, "copy"), self._stored_key(target, "copy"))

    def rename(self, source: str, target: str) -> None:
        """The wrapped store's ``rename``; derived (copy, then delete) if values change."""
        self._check("rename")
        if not self.forwards("rename"):
            super().rename(source, target)
            return
        self.store.rename(self._stored_key(source, "rename"), self._stored_key(target, "rename"))

    def open_read(self, key: str) -> BinaryIO:
        """The wrapped store's ``open_read``; derived (through ``get``) if values change."""
        self._check("open_read")
        if not self.forwards("open_read"):
            return super().open_read(key)
        return self.store.open_read(self._stored_key(key, "open_read"))

    def open_write(self, key: str) -> BinaryIO:
        """The wrapped store's ``open_write``; derived (buffered, then ``put``) if values change."""
        self._check("open_write")
        if not self.forwards("open_write"):
            return super().open_write(key)
        return self.store.open_write(self._stored_key(key, "open_write"))

    def list_dir(self, prefix: str = "") -> ListResult:
        """The wrapped store's ``list_dir`` under the stored prefix; derived (from ``keys``) otherwise."""
        self._check("list_dir")
        stored = self._stored_prefix(prefix) if self.forwards("list_dir") else None
        if stored is None:
            return super().list_dir(prefix)
        return self._listed_dir(self.store.list_dir(stored), prefix)


class AsyncStoreWrapper(AsyncMultiStoreWrapper):
    """An async decorator forwarding every member to ``store``; override what you change."""

    def __init__(self, store: Any) -> None:
        self.store: AsyncObjectStore = as_async_store(store)

    def wrapped(self) -> list[tuple[str, Any]]:
        """The one wrapped store."""
        return [("store", self.store)]

    @passes_values
    async def get(self, key: str) -> Any:
        """Return the object at ``key`` from the wrapped store."""
        await self._check("get")
        return await self.store.get(key)

    @passes_values
    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` at ``key`` in the wrapped store (``if_absent``: only if no object is there)."""
        await self._check("put")
        await self.store.put(key, data, if_absent=if_absent)

    @passes_values
    async def exists(self, key: str) -> bool:
        """Return whether the wrapped store holds ``key``."""
        await self._check("exists")
        return await self.store.exists(key)

    @passes_values
    async def delete(self, key: str) -> None:
        """Remove ``key`` from the wrapped store."""
        await self._check("delete")
        await self.store.delete(key)

    @passes_values
    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Iterate over the wrapped store's keys under ``prefix``."""
        await self._check("keys")
        async for key in self.store.keys(prefix):
            yield key

    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The wrapped store's ``get_many``, or one ``get`` per key if ``get`` is overridden."""
        await self._check("get_many")
        if type(self).get is AsyncStoreWrapper.get:
            return await self.store.get_many(keys)
        return await super().get_many(keys)

    async def put_many(self, items: Items) -> None:
        """The wrapped store's ``put_many``, or one ``put`` per item if ``put`` is overridden."""
        await self._check("put_many")
        if type(self).put is AsyncStoreWrapper.put:
            await self.store.put_many(items)
        else:
            await super().put_many(items)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """The wrapped store's ``delete_many``, or one ``delete`` per key if ``delete`` is overridden."""
        await self._check("delete_many")
        if type(self).delete is AsyncStoreWrapper.delete:
            await self.store.delete_many(keys)
        else:
            await super().delete_many(keys)

    async def stat(self, key: str) -> ObjectInfo:
        """The wrapped store's ``stat`` of the stored key, named by ``key``; derived if values change."""
        await self._check("stat")
        if not self.forwards("stat"):
            return await super().stat(key)
        return _as_caller(await self.store.stat(self._stored_key(key, "stat")), key)

    async def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """The wrapped store's ``get_range``; derived (through ``get``) if values change."""
        await self._check("get_range")
        if not self.forwards("get_range"):
            return await super().get_range(key, start, end)
        return await self.store.get_range(self._stored_key(key, "get_range"), start, end)

    @passes_values
    async def copy(self, source: str, target: str) -> None:
        """The wrapped store's ``copy``; derived (``get`` then ``put``) if values change."""
        await self._check("copy")
        if not self.forwards("copy"):
            await super().copy(source, target)
            return
        await self.store.copy(self._stored_key(source, "copy"), self._stored_key(target, "copy"))

    async def rename(self, source: str, target: str) -> None:
        """The wrapped store's ``rename``; derived (copy, then delete) if values change."""
        await self._check("rename")
        if not self.forwards("rename"):
            await super().rename(source, target)
            return
        await self.store.rename(self._stored_key(source, "rename"), self._stored_key(target, "rename"))

    async def open_read(self, key: str) -> AsyncFileAdapter:
        """The wrapped store's ``open_read``; derived (through ``get``) if values change."""
        await self._check("open_read")
        if not self.forwards("open_read"):
            return await super().open_read(key)
        return await self.store.open_read(self._stored_key(key, "open_read"))

    async def open_write(self, key: str) -> AsyncFileAdapter:
        """The wrapped store's ``open_write``; derived (buffered, then ``put``) if values change."""
        await self._check("open_write")
        if not self.forwards("open_write"):
            return await super().open_write(key)
        return await self.store.open_write(self._stored_key(key, "open_write"))

    async def list_dir(self, prefix: str = "") -> ListResult:
        """The wrapped store's ``list_dir`` under the stored prefix; derived (from ``keys``) otherwise."""
        await self._check("list_dir")
        stored = self._stored_prefix(prefix) if self.forwards("list_dir") else None
        if stored is None:
            return await super().list_dir(prefix)
        return self._listed_dir(await self.store.list_dir(stored), prefix)
