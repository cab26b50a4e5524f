"""Checks on keys and values shared by every store (SPEC §2, §4)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from storage.errors import InvalidKey, InvalidValue

__all__ = [
    "MAX_SEGMENT_BYTES",
    "RESERVED_SEGMENT_PREFIX",
    "check_bytes",
    "check_key",
    "check_path_key",
    "check_path_prefix",
    "check_prefix",
]

#: Longest segment (file name) most filesystems and archive tools accept, in UTF-8 bytes.
MAX_SEGMENT_BYTES = 255

#: Segments starting with this are the stores' own temporary files, never keys.
RESERVED_SEGMENT_PREFIX = ".storage-tmp-"


def check_key(key: Any, store: str = "", operation: str = "") -> str:
    """Return ``key`` if it is a non-empty ``str``, else raise ``InvalidKey``."""
    if not isinstance(key, str):
        raise InvalidKey(
            f"keys are str, not {type(key).__name__}", store=store, operation=operation, key=repr(key)
        )
    if not key:
        raise InvalidKey("key is empty", store=store, operation=operation, key=key)
    return key


def _segment_problem(segment: str) -> str:
    if segment == "":
        return "has an empty segment"
    if segment in (".", ".."):
        return f"has a {segment!r} segment"
    if "\\" in segment:
        return "contains a backslash"
    if "\x00" in segment:
        return "contains a NUL character"
    if segment.startswith(RESERVED_SEGMENT_PREFIX):
        return f"uses the reserved prefix {RESERVED_SEGMENT_PREFIX!r}"
    try:
        size = len(segment.encode("utf-8"))
    except UnicodeEncodeError:
        return "is not valid Unicode (lone surrogate)"
    if size > MAX_SEGMENT_BYTES:
        return f"has a segment longer than {MAX_SEGMENT_BYTES} bytes"
    return ""


@lru_cache(maxsize=65536)
def _path_key_problem(key: str) -> str:
    """Return what makes the non-empty ``key`` unfit for a relative path, or ``""`` if nothing does.

    A pure function of the key, cached: stores check the same keys over and over.
    """
    if key.startswith("/"):
        return "is absolute"
    for segment in key.split("/"):
        problem = _segment_problem(segment)
        if problem:
            return problem
    return ""


def check_path_key(key: Any, store: str = "", operation: str = "") -> str:
    """Return ``key`` if it maps safely onto a relative path, else raise ``InvalidKey``.

    Refused: empty keys, absolute keys, ``.``, ``..`` and empty segments, backslashes, NUL,
    lone surrogates, over-long segments and the reserved temporary-file prefix.
    """
    if key.__class__ is not str or not key:
        key = str(check_key(key, store, operation))
    problem = _path_key_problem(key)
    if problem:
        raise InvalidKey(f"key {problem}", store=store, operation=operation, key=key)
    return key  # type: ignore[no-any-return]


def check_prefix(prefix: Any, store: str = "", operation: str = "keys") -> str:
    """Return ``prefix`` if it is a ``str`` (empty for every key), else raise ``InvalidKey``."""
    if isinstance(prefix, str):
        return prefix
    raise InvalidKey(
        f"prefixes are str, not {type(prefix).__name__}", store=store, operation=operation, key=repr(prefix)
    )


def check_path_prefix(prefix: Any, store: str = "", operation: str = "keys") -> str:
    """Return ``prefix`` if every complete segment in it is valid; the last may be partial."""
    text = check_prefix(prefix, store, operation)
    if not text:
        return text
    if text.startswith("/"):
        raise InvalidKey("prefix is absolute", store=store, operation=operation, key=text)
    *whole, last = text.split("/")
    for segment in whole:
        problem = _segment_problem(segment)
        if problem:
            raise InvalidKey(f"prefix {problem}", store=store, operation=operation, key=text)
    if "\\" in last or "\x00" in last:
        raise InvalidKey(
            "prefix contains a backslash or NUL", store=store, operation=operation, key=text
        )
    return text


def check_bytes(data: Any, store: str = "", key: str = "") -> memoryview:
    """Return a byte view of ``data``; anything not bytes-like raises ``InvalidValue``."""
    if isinstance(data, str):
        raise InvalidValue(
            "values are bytes-like, not str (encode it, or use TextEncodingStore)",
            store=store, operation="put", key=key,
        )
    try:
        view = memoryview(data)
    except TypeError:
        raise InvalidValue(
            f"values are bytes-like, not {type(data).__name__}",
            store=store, operation="put", key=key,
        ) from None
    if view.ndim != 1 or view.itemsize != 1 or not view.c_contiguous:
        view = memoryview(view.tobytes())
    return view
