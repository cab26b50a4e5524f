"""Formatting of results (sizes, durations, object metadata, copy reports, JSON) and writing bytes out."""

from __future__ import annotations

import datetime
import json
from typing import IO, Any, Mapping, Optional

from storage.cli._errors import Failed
from storage.utils import CopyReport

__all__ = [
    "as_json", "binary", "human_duration", "human_size", "info_dict", "object_bytes", "report_dict", "report_line",
    "size_of", "write_all",
]

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def size_of(value: Any) -> int:
    """The size in bytes of a bytes-like value (``len`` of anything else, 0 if it has none)."""
    try:
        return memoryview(value).nbytes
    except TypeError:
        try:
            return len(value)
        except TypeError:
            return 0


def object_bytes(value: Any, label: str) -> bytes:
    """The bytes of a stored object; ``Failed`` naming ``label`` if it is not bytes-like."""
    try:
        return memoryview(value).tobytes()
    except TypeError:
        raise Failed(f"{label}: the object is a {type(value).__name__}, not bytes") from None


def binary(stream: IO[Any]) -> IO[bytes]:
    """The binary stream below a text stream (the stream itself if it is binary)."""
    below: IO[bytes] = getattr(stream, "buffer", stream)
    return below


def write_all(out: IO[bytes], data: bytes) -> None:
    """Write all of ``data``: an unbuffered stream (``python -u``) may take only part per call."""
    view = memoryview(data)
    while view:
        written = out.write(view)
        view = view[len(view) if written is None else written :]


def human_size(size: float) -> str:
    """``1536`` -> ``1.5 KiB``."""
    for unit in _UNITS:
        if abs(size) < 1024 or unit == _UNITS[-1]:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def human_duration(seconds: float) -> str:
    """``75`` -> ``1:15``; ``3725`` -> ``1:02:05``."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _iso(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc).isoformat()
    return str(value)


def info_dict(key: str, info: Any) -> dict[str, Any]:
    """``stat`` metadata (an ``ObjectInfo``, a mapping or any object with those attributes) as JSON values."""

    def field(name: str) -> Any:
        return info.get(name) if isinstance(info, Mapping) else getattr(info, name, None)

    return {"key": key, "size": field("size"), "modified": _iso(field("modified")), "etag": field("etag")}


def report_dict(report: CopyReport, **extra: Any) -> dict[str, Any]:
    """A copy or sync report as JSON values, with ``extra`` fields first."""
    return {
        **extra,
        "copied": report.copied,
        "updated": report.updated,
        "deleted": report.deleted,
        "unchanged": report.unchanged,
        "failed": report.failed,
        "failed_keys": list(report.failed_keys),
        "errors": {key: " ".join(str(err).split()) for key, err in report.errors.items()},
    }


def report_line(report: CopyReport, read_bytes: int, *, dry_run: bool = False) -> str:
    """One line summing a report up: ``copied 3, updated 1, ... (5 objects, 1.2 KiB read)``."""
    if dry_run:
        head = (f"dry run: would copy {report.copied}, update {report.updated}, delete {report.deleted}; "
                f"unchanged {report.unchanged}, failed {report.failed}")
    else:
        head = (f"copied {report.copied}, updated {report.updated}, deleted {report.deleted}, "
                f"unchanged {report.unchanged}, failed {report.failed}")
    return f"{head} ({report.total} objects, {human_size(read_bytes)} read)"


def as_json(value: Any) -> str:
    """``value`` as one line of JSON."""
    return json.dumps(value, sort_keys=False, ensure_ascii=False)
