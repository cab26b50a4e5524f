"""The per-key steps of copy_store, sync_stores and clear_store, as plans for both drivers."""

from __future__ import annotations

import datetime
from typing import Any, Mapping, Optional

from storage.errors import ObjectNotFound
from storage.utils._reports import COPIED, DELETED, UNCHANGED, UPDATED
from storage.utils._sansio import Call, Plan

__all__ = [
    "CHUNK_SIZE",
    "COARSE_SLACK",
    "FINE_SLACK",
    "STREAM_THRESHOLD",
    "SyncRun",
    "can_stat",
    "clear_plan",
    "compare_stats",
    "copy_plan",
    "etag_digest",
    "lists_target",
    "same_content",
    "stream_plan",
    "sync_plan",
    "transfer_plan",
]

#: Fields of a ``stat`` result holding a content hash: equal bytes have equal hashes whatever the backend.
_CONTENT_HASHES = ("sha256", "content_hash", "md5")

#: How far a store's modification time may lie behind the write it records: a time in whole
#: seconds up to 2 s (zip archives keep times to 2 s, S3 to 1 s), a finer one a clock tick.
COARSE_SLACK = datetime.timedelta(seconds=2)
FINE_SLACK = datetime.timedelta(milliseconds=10)

#: Attributes through which a bridge (sync seen as async, or async as sync) reaches its store.
_BRIDGED = ("sync_store", "inner")

#: Objects at least this large (by the source's ``stat``) are streamed rather than held whole.
STREAM_THRESHOLD = 8 * 1024 * 1024

#: The size of each read and write of a streamed copy.
CHUNK_SIZE = 1024 * 1024


def can_stat(*stores: Any) -> bool:
    """True if every store answers ``stat(key)`` from metadata (``native_metadata``), cheaply."""
    return all(store.capabilities.native_metadata and callable(getattr(store, "stat", None)) for store in stores)


def etag_digest(store: Any) -> Optional[str]:
    """The content digest that ``store``'s ``stat`` etags are, or None if they are no digest.

    A store declares it as the attribute ``etag_digest`` (a name, e.g. ``"s3-md5"``); a layer
    that forwards ``stat`` has the digest its stores (``capability_sources``) declare alike, a
    bridge that of its store. Equal etags of two stores with one digest mean equal content.
    """
    declared = getattr(store, "etag_digest", None)
    if isinstance(declared, str):
        return declared
    for name in _BRIDGED:
        inner = getattr(store, name, None)
        if inner is not None:
            return etag_digest(inner)
    sources, forwards = getattr(store, "capability_sources", None), getattr(store, "forwards", None)
    if not callable(sources) or not callable(forwards) or not forwards("stat"):
        return None
    digests = {etag_digest(inner) for inner in sources()}
    return digests.pop() if len(digests) == 1 else None


def _field(info: Any, name: str) -> Any:
    if isinstance(info, Mapping):
        return info.get(name)
    return getattr(info, name, None)


def _by_time(source: Any, target: Any) -> Optional[str]:
    """Update if the source changed after the target was written; leave if surely not; else None.

    The target was surely written after the source's last change if its time is later by more
    than the source's time may lie behind (``COARSE_SLACK`` or ``FINE_SLACK``).
    """
    if not isinstance(source, datetime.datetime) or not isinstance(target, datetime.datetime):
        return None
    slack = COARSE_SLACK if source.microsecond == 0 else FINE_SLACK
    try:
        if source > target:
            return UPDATED
        if target - source >= slack:
            return UNCHANGED
    except TypeError:
        pass
    return None


def compare_stats(source: Any, target: Any, trust_etags: bool = False) -> Optional[str]:
    """What to do from two ``stat`` results: copy, update, leave, or None (compare the content).

    In order: no target object copies; different sizes update; a content hash field both
    results have (``sha256``, ``content_hash``, ``md5``) leaves if equal and updates if not;
    with ``trust_etags`` (both stores' etags are one content digest, see ``etag_digest``) equal
    etags leave. Then the modification times decide, as ``aws s3 sync`` does: a source modified
    after the target updates, a target modified surely after the source leaves (see
    ``_by_time``). Anything else (a failed ``stat``, no times, times too close to tell)
    compares the content.
    """
    if isinstance(target, ObjectNotFound):
        return COPIED
    if isinstance(source, BaseException) or isinstance(target, BaseException):
        return None
    sizes = _field(source, "size"), _field(target, "size")
    if None not in sizes and sizes[0] != sizes[1]:
        return UPDATED
    for name in _CONTENT_HASHES:
        hashes = _field(source, name), _field(target, name)
        if None not in hashes:
            return UNCHANGED if hashes[0] == hashes[1] else UPDATED
    etags = _field(source, "etag"), _field(target, "etag")
    if trust_etags and None not in etags and etags[0] == etags[1]:
        return UNCHANGED
    return _by_time(_field(source, "modified"), _field(target, "modified"))


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


def sync_plan(
    source: Any, target: Any, key: str, cheap: bool, sized: bool, absent: bool, trust_etags: bool = False
) -> Plan[str]:
    """Make the target's object equal the source's: copy, update or leave it.

    ``cheap``: both stores ``stat`` cheaply, so objects are compared by it (``compare_stats``,
    with ``trust_etags``) where it can tell; ``sized``: the source does, so large objects are
    streamed (see ``copy_plan``). ``absent``: a listing of the target showed no object at
    ``key``, so it is copied without asking the target first.
    """
    if absent:
        return (yield from copy_plan(source, target, key, True, sized))
    verdict, info = None, None
    if cheap:
        info, old = yield [Call(source, "stat", (key,)), Call(target, "stat", (key,))]
        verdict = compare_stats(info, old, trust_etags)
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
        digest = etag_digest(source)
        self.trust_etags = digest is not None and digest == etag_digest(target)
        self.seen: set[str] = set()

    def plan_for(self, key: str) -> Plan[str]:
        """The plan syncing ``key``."""
        self.seen.add(key)
        absent = self.present is not None and key not in self.present
        return sync_plan(self.source, self.target, key, self.cheap, self.sized, absent, self.trust_etags)

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
