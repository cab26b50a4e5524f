"""Archive members for ``ZipStore``: pending objects, metadata, partial reads and streaming readers.

Zip times are naive (the writer's local time, in 2-second steps); ``ZipStore`` reads them as UTC and
writes its own objects' times in UTC, so ``stat`` reports the same time before and after a flush.
"""

from __future__ import annotations

import datetime
import io
import shutil
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, NoReturn, Optional, Union

from storage.metadata import ObjectInfo

__all__ = ["ZIP_ERRORS", "Entry", "MemberReader", "Pending", "copy_member", "data_offset", "object_info"]

#: What reading or writing an archive can raise, translated at the store's boundary.
ZIP_ERRORS = (OSError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError)
_COPY_CHUNK = 1 << 20
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"


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
    return info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 0x1


def data_offset(file: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Where the member's data starts in the archive ``file``, read from its local header."""
    start: int = info.header_offset
    file.seek(start)
    header = file.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        raise zipfile.BadZipFile(f"truncated local header for {info.filename!r}")
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != _LOCAL_SIGNATURE:
        raise zipfile.BadZipFile(f"bad local header for {info.filename!r}")
    return start + _LOCAL_HEADER.size + int(name_length) + int(extra_length)


def copy_member(source: zipfile.ZipFile, info: zipfile.ZipInfo, target: zipfile.ZipFile, name: str) -> None:
    """Copy one member as ``name``, keeping its time, attributes, comment and compression."""
    copy = zipfile.ZipInfo(name, info.date_time)
    copy.compress_type = info.compress_type
    copy.external_attr = info.external_attr
    copy.create_system = info.create_system
    copy.comment = info.comment
    copy.file_size = info.file_size
    if info.is_dir():
        target.writestr(copy, b"")
        return
    with source.open(info) as reader, target.open(copy, "w") as writer:
        shutil.copyfileobj(reader, writer, _COPY_CHUNK)


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
