"""The per-key steps of copy_store, sync_stores and clear_store, as plans for both drivers."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from storage.errors import ObjectNotFound
from storage.utils._reports import COPIED, DELETED, UNCHANGED, UPDATED
from storage.utils._sansio import Call, Plan

__all__ = [
    "CHUNK_SIZE",
    "STREAM_THRESHOLD",
    "SyncRun",
    "can_stat",
    "clear_plan",
    "compare_stats",
    "copy_plan",
    "lists_target",
    "same_content",
    "stream_plan",
    "sync_plan",
    "transfer_plan",
]

#: Content hashes that identify the bytes whatever the backend; equal etags also mean equal.
_CONTENT_HASHES = ("sha256", "content_hash", "md5")

#: Objects at least this large (by the source's ``stat``) are streamed rather than held whole.
STREAM_THRESHOLD = 8 * 1024 * 1024

#: The size of each read and write of a streamed copy.
CHUNK_SIZE = 1024 * 1024


def can_stat(*stores: Any) -> bool:
    """True if every store answers ``stat(key)`` from metadata (``native_metadata``), cheaply."""
    return all(store.capabilities.native_metadata and callable(getattr(store, "stat", None)) for store in stores)


def _field(info: Any, name: str) -> Any:
    if isinstance(info, Mapping):
        return info.get(name)
    return getattr(info, name, None)


def compare_stats(source: Any, target: Any) -> Optional[str]:
    """What to do from two ``stat`` results: copy, update, leave, or None (compare content)."""
    if isinstance(target, ObjectNotFound):
        return COPIED
    if isinstance(source, BaseException) or isinstance(target, BaseException):
        return None
    sizes = _field(source, "size"), _field(target, "size")
    if None not in sizes and sizes[0] != sizes[1]:
        return UPDATED
    for name in (*_CONTENT_HASHES, "etag"):
        hashes = _field(source, name), _field(target, name)
        if None in hashes:
            continue
        if hashes[0] == hashes[1]:
            return UNCHANGED
        if name != "etag":
            return UPDATED
    return None


def same_content(first: Any, second: Any) -> bool:
    """True if two stored values are equal (bytes-like values compared as bytes)."""
    try:
        return memoryview(first).tobytes() == memoryview(second).tobytes()
    except TypeError:
        return bool(first == second)


def _is_large(info: Any) -> bool:
    size = _field(info, "size")
    return isinstance(size, int) and size >= STREAM_THRESHOLD


def _quietly(call: Call) -> Plan[None]:
    """Make a clean-up call whose own failure must not hide the error being handled."""
    try:
        yield call
    except Exception:
        return


def _pump(reader: Any, writer: Any) -> Plan[None]:
    """Move everything ``reader`` holds into ``writer``, ``CHUNK_SIZE`` bytes at a time."""
    while True:
        data = yield Call(reader, "read", (CHUNK_SIZE,))
        if not data:
            return
        while data:
            written = yield Call(writer, "write", (data,))
            data = data[len(data) if written is None else written :]


def _write_from(reader: Any, target: Any, key: str) -> Plan[None]:
    """Stream ``reader`` into a new object of ``target``; discard it (nothing stored) on failure."""
    writer = yield Call(target, "open_write", (key,))
    try:
        yield from _pump(reader, writer)
    except Exception:
        yield from _quietly(Call(writer, "discard"))
        raise
    yield Call(writer, "close")


def stream_plan(source: Any, target: Any, key: str) -> Plan[None]:
    """Copy one object with ``open_read``/``open_write``: memory bounded to a chunk, not the object."""
    reader = yield Call(source, "open_read", (key,))
    try:
        yield from _write_from(reader, target, key)
    except Exception:
        yield from _quietly(Call(reader, "close"))
        raise
    yield from _quietly(Call(reader, "close"))


def transfer_plan(source: Any, target: Any, key: str, info: Any) -> Plan[None]:
    """Store the source's object in the target: streamed if ``info`` (its stat) says it is large."""
    if _is_large(info):
        yield from stream_plan(source, target, key)
        return
    data = yield Call(source, "get", (key,))
    yield Call(target, "put", (key, data))


def copy_plan(source: Any, target: Any, key: str, overwrite: bool, sized: bool) -> Plan[str]:
    """Copy one object (unless ``overwrite`` is false and the target has it).

    With ``sized`` (the source's ``stat`` is cheap) the size is looked up first, and a large
    object is streamed instead of being held in memory whole.
    """
    if not overwrite and (yield Call(target, "exists", (key,))):
        return UNCHANGED
    info = (yield Call(source, "stat", (key,))) if sized else None
    yield from transfer_plan(source, target, key, info)
    return COPIED


def sync_plan(source: Any, target: Any, key: str, cheap: bool, sized: bool, absent: bool) -> Plan[str]:
    """Make the target's object equal the source's: copy, update or leave it.

    ``cheap``: both stores ``stat`` cheaply, so objects are compared by it; ``sized``: the
    source does, so large objects are streamed (see ``copy_plan``). ``absent``: a listing of the
    target showed no object at ``key``, so it is copied without asking the target first.
    """
    if absent:
        return (yield from copy_plan(source, target, key, True, sized))
    verdict, info = None, None
    if cheap:
        info, old = yield [Call(source, "stat", (key,)), Call(target, "stat", (key,))]
        verdict = compare_stats(info, old)
    if verdict == UNCHANGED:
        return UNCHANGED
    if verdict is not None:
        yield from transfer_plan(source, target, key, info)
        return verdict
    data, old = yield [Call(source, "get", (key,)), Call(target, "get", (key,))]
    if isinstance(data, BaseException):
        raise data
    if isinstance(old, ObjectNotFound):
        verdict = COPIED
    elif isinstance(old, BaseException):
        raise old
    elif same_content(data, old):
        return UNCHANGED
    else:
        verdict = UPDATED
    yield Call(target, "put", (key, data))
    return verdict


class SyncRun:
    """One sync_stores run's plans, shared by both drivers.

    ``present`` is the target's keys from one listing made before the run (``None``: not listed);
    a key missing from it is copied without a request to the target first. Only keys are held.
    """

    def __init__(self, source: Any, target: Any, present: Optional[set[str]]) -> None:
        self.source, self.target, self.present = source, target, present
        self.cheap, self.sized = can_stat(source, target), can_stat(source)
        self.seen: set[str] = set()

    def plan_for(self, key: str) -> Plan[str]:
        """The plan syncing ``key``."""
        self.seen.add(key)
        absent = self.present is not None and key not in self.present
        return sync_plan(self.source, self.target, key, self.cheap, self.sized, absent)

    def extra(self) -> list[str]:
        """The target's keys the source did not have (the run must have listed the target)."""
        return sorted((self.present or set()) - self.seen)


def lists_target(target: Any, delete: bool) -> bool:
    """Whether a sync lists the target first: always with ``delete``, else where it can list."""
    return delete or bool(target.capabilities.listing)


def clear_plan(store: Any, key: str) -> Plan[str]:
    """Delete one object; one already gone counts as deleted."""
    try:
        yield Call(store, "delete", (key,))
    except ObjectNotFound:
        pass
    return DELETED
