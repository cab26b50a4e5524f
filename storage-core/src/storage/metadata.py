"""Object metadata, directory listings and byte ranges: I/O-free logic shared by every store."""

from __future__ import annotations

import datetime
from typing import Any, Iterable, NamedTuple, Optional

from storage.errors import InvalidRange

__all__ = ["ListResult", "ObjectInfo", "check_range", "split_listing", "utc_from_timestamp"]


class ObjectInfo(NamedTuple):
    """What ``stat`` tells about an object (immutable; ``_replace`` makes a changed copy).

    ``modified`` is an aware UTC datetime, or None where the backend records no time;
    ``etag`` is the backend's content tag, or None where it has none.
    """

    key: str
    size: int
    modified: Optional[datetime.datetime] = None
    etag: Optional[str] = None

    def as_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values (``modified`` in ISO 8601)."""
        return {
            "key": self.key,
            "size": self.size,
            "modified": self.modified.isoformat() if self.modified else None,
            "etag": self.etag,
        }


class ListResult:
    """The immediate children of a prefix: object ``keys`` and sub-``prefixes`` (ending in ``/``)."""

    __slots__ = ("keys", "prefixes")

    def __init__(self, keys: Optional[list[str]] = None, prefixes: Optional[list[str]] = None) -> None:
        self.keys: list[str] = [] if keys is None else keys
        self.prefixes: list[str] = [] if prefixes is None else prefixes

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ListResult):
            return NotImplemented
        return self.keys == other.keys and self.prefixes == other.prefixes

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ListResult(keys={self.keys!r}, prefixes={self.prefixes!r})"


def split_listing(keys: Iterable[str], prefix: str) -> ListResult:
    """Group ``keys`` (all starting with ``prefix``) into direct keys and ``/``-delimited prefixes."""
    direct: list[str] = []
    prefixes: set[str] = set()
    start = len(prefix)
    for key in keys:
        cut = key.find("/", start)
        if cut < 0:
            direct.append(key)
        else:
            prefixes.add(key[: cut + 1])
    return ListResult(sorted(direct), sorted(prefixes))


def check_range(start: Any, end: Any, store: str = "", key: str = "") -> tuple[int, Optional[int]]:
    """Validate a ``[start, end)`` byte range: ``0 <= start``, and ``end`` None or ``>= start``."""
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        raise InvalidRange(f"start must be an int >= 0, not {start!r}", store=store, operation="get_range", key=key)
    if end is not None and (not isinstance(end, int) or isinstance(end, bool) or end < start):
        raise InvalidRange(
            f"end must be None or an int >= start ({start}), not {end!r}", store=store, operation="get_range", key=key
        )
    return start, end


def utc_from_timestamp(timestamp: float) -> datetime.datetime:
    """An aware UTC datetime from a POSIX timestamp."""
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
