"""I/O-free arithmetic of S3 requests: key checks, multipart part ranges, batches, listing pages, tag sets."""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator, Mapping, Sequence, TypeVar
from urllib.parse import quote, urlencode

from storage.errors import InvalidKey
from storage.validation import check_key

__all__ = [
    "DELETE_BATCH_SIZE",
    "MAX_KEY_BYTES",
    "MAX_PARTS",
    "MIN_PART_SIZE",
    "batches",
    "check_s3_key",
    "check_s3_prefix",
    "fits_xml",
    "page_keys",
    "page_prefixes",
    "part_ranges",
    "tagging_header",
]

T = TypeVar("T")

#: S3 refuses keys longer than this many UTF-8 bytes.
MAX_KEY_BYTES = 1024
#: Every part of a multipart upload but the last holds at least this many bytes.
MIN_PART_SIZE = 5 * 1024 * 1024
#: A multipart upload has at most this many parts.
MAX_PARTS = 10_000
#: DeleteObjects takes at most this many keys per request.
DELETE_BATCH_SIZE = 1000
#: A character XML 1.0 cannot carry, or a carriage return (which XML parsers turn into a line feed).
_NOT_IN_XML = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _utf8_size(text: str, what: str, store: str, operation: str) -> int:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidKey(
            f"{what} is not valid Unicode (lone surrogate)", store=store, operation=operation, key=repr(text)
        ) from None


def check_s3_key(key: Any, store: str, operation: str) -> str:
    """Return ``key`` if S3 can store it: a non-empty ``str`` of at most 1,024 UTF-8 bytes."""
    key = check_key(key, store, operation)
    if _utf8_size(key, "key", store, operation) > MAX_KEY_BYTES:
        raise InvalidKey(f"key is longer than {MAX_KEY_BYTES} UTF-8 bytes", store=store, operation=operation, key=key)
    return str(key)


def check_s3_prefix(prefix: Any, store: str, operation: str = "keys") -> str:
    """Return ``prefix`` if it is a ``str`` that could start an S3 key."""
    if not isinstance(prefix, str):
        raise InvalidKey(
            f"prefixes are str, not {type(prefix).__name__}", store=store, operation=operation, key=repr(prefix)
        )
    if _utf8_size(prefix, "prefix", store, operation) > MAX_KEY_BYTES:
        raise InvalidKey(f"prefix is longer than {MAX_KEY_BYTES} UTF-8 bytes", store=store, operation=operation)
    return prefix


def fits_xml(key: str) -> bool:
    """Whether ``key`` reaches S3 unchanged as the text of an XML element (as in a DeleteObjects request)."""
    return _NOT_IN_XML.search(key) is None


def part_ranges(size: int, threshold: int) -> list[tuple[int, int]]:
    """Split ``size`` bytes into ``(start, end)`` part ranges for a multipart upload.

    Parts are ``threshold`` bytes, but at least ``MIN_PART_SIZE`` and large enough that no more
    than ``MAX_PARTS`` are needed; the last part takes the remainder.
    """
    part_size = max(threshold, MIN_PART_SIZE, -(-size // MAX_PARTS))
    return [(start, min(start + part_size, size)) for start in range(0, size, part_size)]


def batches(items: Sequence[T], size: int = DELETE_BATCH_SIZE) -> Iterator[Sequence[T]]:
    """Yield consecutive slices of ``items`` holding at most ``size`` elements."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def page_keys(page: Mapping[str, Any]) -> list[str]:
    """Return the keys listed in one ``ListObjectsV2`` response page."""
    return [str(entry["Key"]) for entry in page.get("Contents", ())]


def page_prefixes(page: Mapping[str, Any]) -> list[str]:
    """Return the common prefixes (``Delimiter`` groups) of one ``ListObjectsV2`` response page."""
    return [str(entry["Prefix"]) for entry in page.get("CommonPrefixes", ())]


def tagging_header(tag_set: Iterable[Mapping[str, Any]]) -> str:
    """Return a ``TagSet`` (as GetObjectTagging lists it) as the URL-encoded query that ``Tagging`` takes.

    Every reserved character is percent-encoded, a space as ``%20``: a ``+`` or ``=`` in a tag
    reaches S3 unchanged. An empty tag set gives ``""``.
    """
    return urlencode([(str(tag["Key"]), str(tag["Value"])) for tag in tag_set], quote_via=quote)
