"""Archive members for ``ZipStore``: pending objects, metadata, partial reads, raw copies and readers.

Zip times are naive (the writer's local time, in 2-second steps); ``ZipStore`` reads them as UTC and
writes its own objects' times in UTC, so ``stat`` reports the same time before and after a flush.
"""

from __future__ import annotations

import copy
import datetime
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO, Any, Callable, ContextManager, NoReturn, Optional, Union, cast

from storage.metadata import ObjectInfo

__all__ = [
    "ZIP_ERRORS",
    "Entry",
    "MemberReader",
    "Pending",
    "copy_raw",
    "data_offset",
    "is_plain_stored",
    "object_info",
    "open_member",
    "read_at",
]

#: What reading or writing an archive can raise, translated at the store's boundary (a member name
#: flagged UTF-8 that is not raises ``UnicodeDecodeError``).
ZIP_ERRORS = (OSError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, UnicodeDecodeError)
_COPY_CHUNK = 1 << 20
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_DESCRIPTOR_SIGNATURE = 0x08074B50
_ENCRYPTED = 0x01
_HAS_DESCRIPTOR = 0x08
_ZIP64_EXTRA = 0x0001


@dataclass(frozen=True)
class Pending:
    """An object written since the last flush: its bytes and when they were written."""

    data: bytes
    modified: datetime.datetime

    @classmethod
    def now(cls, data: bytes) -> Pending:
        """``data`` written now, the time rounded down to the 2 seconds a zip entry can hold."""
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        return cls(data, now.replace(second=now.second - now.second % 2))

    def zip_info(self, name: str, compression: int) -> zipfile.ZipInfo:
        """The entry to write this object as, named ``name``, its time in UTC."""
        info = zipfile.ZipInfo(name, self.modified.timetuple()[:6])
        info.compress_type = compression
        info.external_attr = 0o600 << 16
        return info


#: An indexed member: its entry in the archive on disk, or the object written since the last flush.
Entry = Union[zipfile.ZipInfo, Pending]


def object_info(key: str, entry: Entry) -> ObjectInfo:
    """``stat`` of ``entry``: its size, its time taken as UTC (None if invalid), its CRC-32 as etag."""
    if isinstance(entry, Pending):
        return ObjectInfo(key, len(entry.data), entry.modified, f"{zlib.crc32(entry.data):08x}")
    try:
        modified: Optional[datetime.datetime] = datetime.datetime(*entry.date_time, tzinfo=datetime.timezone.utc)
    except ValueError:
        modified = None
    return ObjectInfo(key, entry.file_size, modified, f"{entry.CRC:08x}")


def is_plain_stored(info: zipfile.ZipInfo) -> bool:
    """True if the member's bytes lie in the archive as they are (stored, not encrypted)."""
    return info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & _ENCRYPTED


def open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> IO[bytes]:
    """A reader of the member's content; ``NotImplementedError`` if it cannot be decoded (encrypted)."""
    if info.flag_bits & _ENCRYPTED:
        raise NotImplementedError("the member is encrypted, and the store has no password")
    return archive.open(info)


def read_at(archive: zipfile.ZipFile, offset: int, size: int) -> bytes:
    """``size`` bytes at ``offset`` of the archive's own file; ``BadZipFile`` if the file ends first."""
    # The archive's member readers share the file (and its position) under zipfile's lock.
    with cast(ContextManager[Any], archive._lock):  # type: ignore[attr-defined]
        file = cast(IO[bytes], archive.fp)
        file.seek(offset)
        data = file.read(size)
    if len(data) < size:
        raise zipfile.BadZipFile("the archive is truncated")
    return data


def _local_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, bytes]:
    """Where the member's data starts in the archive, and the extra field of its local header."""
    start: int = info.header_offset
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(read_at(archive, start, _LOCAL_HEADER.size))
    if signature != _LOCAL_SIGNATURE:
        raise zipfile.BadZipFile(f"bad local header for {info.filename!r}")
    extra_start = start + _LOCAL_HEADER.size + int(name_length)
    return extra_start + int(extra_length), read_at(archive, extra_start, int(extra_length))


def data_offset(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Where the member's data starts in the archive, read from its local header."""
    return _local_header(archive, info)[0]


def _without_zip64(extra: bytes) -> bytes:
    """``extra`` less its zip64 field (``zipfile`` writes one where the new archive needs it)."""
    kept = []
    while len(extra) >= 4:
        kind, length = struct.unpack_from("<HH", extra)
        if kind != _ZIP64_EXTRA:
            kept.append(extra[: 4 + length])
        extra = extra[4 + length :]
    return b"".join(kept) + extra


def copy_raw(source: zipfile.ZipFile, info: zipfile.ZipInfo, target: zipfile.ZipFile, name: str) -> None:
    """Append ``info``'s member of ``source`` to ``target`` as ``name``, its data as stored.

    Nothing is decompressed or decrypted, so any member is copied, whatever its method. Both headers
    keep their fields (time, flags, method, CRC, sizes, attributes, comment, the local header's and
    the central directory's own extra fields); zip64 fields are those the new offsets and sizes need.
    """
    start, local_extra = _local_header(source, info)
    entry = copy.copy(info)
    entry.filename = name
    zip64 = info.file_size > zipfile.ZIP64_LIMIT or info.compress_size > zipfile.ZIP64_LIMIT
    entry.extra = _without_zip64(local_extra)
    header = entry.FileHeader(zip64)
    entry.extra = _without_zip64(info.extra)
    out = cast(IO[bytes], target.fp)
    entry.header_offset = out.seek(target.start_dir)
    out.write(header)
    for offset in range(start, start + info.compress_size, _COPY_CHUNK):
        out.write(read_at(source, offset, min(_COPY_CHUNK, start + info.compress_size - offset)))
    if info.flag_bits & _HAS_DESCRIPTOR:
        sizes = "QQ" if zip64 else "LL"
        out.write(struct.pack(f"<LL{sizes}", _DESCRIPTOR_SIGNATURE, info.CRC, info.compress_size, info.file_size))
    target.filelist.append(entry)
    target.NameToInfo[name] = entry
    target.start_dir = out.tell()


class MemberReader(io.BufferedIOBase):
    """A streaming, seekable reader of one archive member whose errors are translated by ``fail``.

    It reads through ``zipfile``'s shared archive handle, which serialises reads with a lock of its
    own; a reader keeps the archive file it was opened on open, so it survives a flush.
    """

    def __init__(self, member: Any, fail: Callable[[BaseException], NoReturn]) -> None:
        super().__init__()
        self._member = member
        self._fail = fail

    def readable(self) -> bool:
        """Always True."""
        return True

    def seekable(self) -> bool:
        """Always True (seeking backwards in a compressed member decompresses from the start)."""
        return True

    def read(self, size: Optional[int] = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left by default)."""
        try:
            data: bytes = self._member.read(-1 if size is None else size)
        except ZIP_ERRORS as err:
            self._fail(err)
        return data

    def read1(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes with at most one read of the archive."""
        try:
            data: bytes = self._member.read1(size)
        except ZIP_ERRORS as err:
            self._fail(err)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move to ``offset`` (relative to ``whence``); return the new position."""
        try:
            position: int = self._member.seek(offset, whence)
        except ZIP_ERRORS as err:
            self._fail(err)
        return position

    def tell(self) -> int:
        """The current position."""
        position: int = self._member.tell()
        return position

    def close(self) -> None:
        """Close the member (and the archive file, if the store has moved on to a newer one)."""
        try:
            self._member.close()
        finally:
            super().close()
