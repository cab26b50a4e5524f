"""The per-key steps of copy_store, sync_stores and clear_store, as plans for both drivers."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from storage.errors import ObjectNotFound
from storage.utils._reports import COPIED, DELETED, UNCHANGED, UPDATED
from storage.utils._sansio import Call, Plan

__all__ = ["can_stat", "clear_plan", "compare_stats", "copy_plan", "same_content", "sync_plan"]

#: Content hashes that identify the bytes whatever the backend; equal etags also mean equal.
_CONTENT_HASHES = ("sha256", "content_hash", "md5")


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


def copy_plan(source: Any, target: Any, key: str, overwrite: bool) -> Plan[str]:
    """Copy one object (unless ``overwrite`` is false and the target has it)."""
    if not overwrite and (yield Call(target, "exists", (key,))):
        return UNCHANGED
    data = yield Call(source, "get", (key,))
    yield Call(target, "put", (key, data))
    return COPIED


def sync_plan(source: Any, target: Any, key: str, cheap: bool) -> Plan[str]:
    """Make the target's object equal the source's: copy, update or leave it."""
    verdict = compare_stats(*(yield [Call(source, "stat", (key,)), Call(target, "stat", (key,))])) if cheap else None
    if verdict == UNCHANGED:
        return UNCHANGED
    if verdict is not None:
        data = yield Call(source, "get", (key,))
        yield Call(target, "put", (key, data))
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


def clear_plan(store: Any, key: str) -> Plan[str]:
    """Delete one object; one already gone counts as deleted."""
    try:
        yield Call(store, "delete", (key,))
    except ObjectNotFound:
        pass
    return DELETED
