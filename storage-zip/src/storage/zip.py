"""Stores kept in one zip archive: ``ZipStore`` and its asyncio twin ``AsyncZipStore``.

Each object is an archive member named by its key. Reads come from an in-memory index of the
members (so ``get`` and ``exists`` cost the same however large the archive is); writes and deletes
are kept in memory and written by ``flush()`` or ``close()`` into a temporary archive next to the
original that then atomically replaces it, so a crash at any moment leaves the previous archive
complete.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import threading
import zipfile
import zlib
from typing import Any, Dict, Iterable, Iterator, List, NoReturn, Optional, Union

from storage._base import Items, ObjectStore, iter_items
from storage._lifecycle import NEW, OPEN
from storage.bridge import SyncBackedAsyncStore
from storage.capabilities import Capabilities
from storage.errors import (
    ConfigError,
    IntegrityError,
    InvalidKey,
    ObjectNotFound,
    PermissionDenied,
    StoreClosed,
    StoreError,
    UnsupportedOperation,
)
from storage.fs import fsync_directory
from storage.validation import RESERVED_SEGMENT_PREFIX, check_bytes, check_path_key, check_path_prefix

__all__ = ["AsyncZipStore", "ZipStore"]

PathLike = Union[str, "os.PathLike[str]"]
#: An indexed member: its entry in the archive on disk, or the bytes written since the last flush.
Entry = Union[zipfile.ZipInfo, bytes]

MODES = ("a", "r")
COMPRESSIONS = {"stored": zipfile.ZIP_STORED, "deflated": zipfile.ZIP_DEFLATED}
_READ_ONLY = Capabilities(write=False, delete=False)
#: What reading or writing an archive can raise, translated at this module's boundary.
_ZIP_ERRORS = (OSError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError)
_COPY_CHUNK = 1 << 20


def _compression_of(compression: Union[str, int]) -> int:
    if isinstance(compression, str) and compression.lower() in COMPRESSIONS:
        return COMPRESSIONS[compression.lower()]
    if compression in COMPRESSIONS.values():
        return int(compression)
    raise ConfigError(f"compression must be one of {', '.join(COMPRESSIONS)}, not {compression!r}")


def _is_key(name: str) -> bool:
    """True if the member ``name`` can be served as a key (not a directory, absolute or ``..``)."""
    try:
        check_path_key(name)
    except InvalidKey:
        return False
    return True


def _copy_member(source: zipfile.ZipFile, info: zipfile.ZipInfo, target: zipfile.ZipFile) -> None:
    """Copy one member, keeping its name, time, attributes, comment and compression."""
    copy = zipfile.ZipInfo(info.filename, info.date_time)
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


class ZipStore(ObjectStore):
    """A store in the zip archive at ``path``.

    ``mode='a'`` (the default) reads an existing archive or starts a new one, which is created on
    ``close()``; ``mode='r'`` only reads, never changes the file, and refuses writes with
    ``UnsupportedOperation``. New members are compressed with ``compression`` (``'stored'`` or
    ``'deflated'``, or the ``zipfile`` constants) at ``compresslevel`` (0-9, deflated only).

    Directory entries, and members whose names are absolute or contain ``..`` (or are otherwise
    not valid keys), are never served or listed, but are kept when the archive is rewritten.
    One writer per archive: two stores writing the same file keep the changes of the last to flush.
    """

    _transient_attrs = ("_archive", "_index", "_others", "_dirty", "_lock")

    def __init__(
        self,
        path: PathLike,
        mode: str = "a",
        compression: Union[str, int] = "deflated",
        compresslevel: Optional[int] = None,
    ) -> None:
        if mode not in MODES:
            raise ConfigError(f"mode must be one of {', '.join(map(repr, MODES))}, not {mode!r}")
        self.compression = _compression_of(compression)
        if compresslevel is not None and (
            isinstance(compresslevel, bool) or not isinstance(compresslevel, int) or not 0 <= compresslevel <= 9
        ):
            raise ConfigError(f"compresslevel must be an integer from 0 to 9, not {compresslevel!r}")
        self.path = os.path.abspath(os.fspath(path))
        self.mode = mode
        self.compresslevel = compresslevel
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.RLock()
        self._archive: Optional[zipfile.ZipFile] = None
        self._index: Dict[str, Entry] = {}
        self._others: List[zipfile.ZipInfo] = []
        self._dirty = False

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._reset()

    @property
    def store_name(self) -> str:
        """The name used for this store in messages."""
        return f"{type(self).__name__}({self.path})"

    @property
    def capabilities(self) -> Capabilities:
        """What this store can do: no writing or deleting in mode ``'r'``."""
        return _READ_ONLY if self.mode == "r" else self.CAPABILITIES

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r}, mode={self.mode!r})"

    # Errors -------------------------------------------------------------------------------

    def _fail(self, err: BaseException, operation: str, key: Optional[str] = None) -> NoReturn:
        where: dict[str, Any] = {"store": self.store_name, "operation": operation, "key": key}
        if isinstance(err, (zipfile.BadZipFile, zlib.error, EOFError)):
            raise IntegrityError(f"archive is corrupt: {err}", **where) from err
        if isinstance(err, PermissionError):
            raise PermissionDenied(err.strerror or str(err), **where) from err
        if isinstance(err, OSError):
            raise StoreError(err.strerror or str(err), **where) from err
        raise StoreError(str(err), **where) from err

    def _check_writable(self, operation: str) -> None:
        if self.mode == "r":
            raise UnsupportedOperation(
                "the archive is open read-only (mode='r')", store=self.store_name, operation=operation
            )

    # Lifecycle ----------------------------------------------------------------------------

    def _open(self) -> None:
        with self._lock:
            exists = os.path.exists(self.path)
            if not exists and self.mode == "r":
                raise StoreError("the archive does not exist", store=self.store_name, operation="open")
            if exists:
                self._load("open")
            else:
                self._index, self._others, self._dirty = {}, [], True

    def _load(self, operation: str) -> None:
        """Open the archive on disk and index its members."""
        try:
            archive = zipfile.ZipFile(self.path, "r")
        except _ZIP_ERRORS as err:
            self._fail(err, operation)
        index: Dict[str, Entry] = {}
        others = []
        for info in archive.infolist():
            if _is_key(info.filename):
                index[info.filename] = info
            else:
                others.append(info)
        self._archive, self._index, self._others, self._dirty = archive, index, others, False

    def _close(self) -> None:
        with self._lock:
            try:
                if self._dirty and self.mode != "r":
                    self._rewrite("close")
            finally:
                archive, self._archive = self._archive, None
                self._index, self._others, self._dirty = {}, [], False
                if archive is not None:
                    archive.close()

    def flush(self) -> None:
        """Write the changes made since the last flush into the archive (atomically)."""
        if self._state == NEW:
            return
        with self._lock:
            if self._state != OPEN:
                raise StoreClosed(store=self.store_name, operation="flush")
            if self._dirty and self.mode != "r":
                self._rewrite("flush")

    def _rewrite(self, operation: str) -> None:
        """Write every member to a temporary archive, then move it over the archive."""
        temp = self._write_temp(operation)
        old, self._archive = self._archive, None
        if old is not None:
            old.close()
        try:
            os.replace(temp, self.path)
        except OSError as err:
            try:
                os.unlink(temp)
            except OSError:
                pass
            if old is not None:
                self._archive = zipfile.ZipFile(self.path, "r")
            self._fail(err, operation)
        if os.name == "posix":
            fsync_directory(os.path.dirname(self.path))
        self._load(operation)

    def _write_temp(self, operation: str) -> str:
        directory = os.path.dirname(self.path)
        temp = os.path.join(directory, f"{RESERVED_SEGMENT_PREFIX}{secrets.token_hex(8)}.zip")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except OSError as err:
            self._fail(err, operation)
        try:
            with os.fdopen(fd, "wb") as raw:
                with zipfile.ZipFile(raw, "w", compression=self.compression, compresslevel=self.compresslevel) as out:
                    self._write_members(out)
                raw.flush()
                os.fsync(raw.fileno())
            if self._archive is not None:
                os.chmod(temp, stat.S_IMODE(os.stat(self.path).st_mode))
        except BaseException as err:
            try:
                os.unlink(temp)
            except OSError:
                pass
            if isinstance(err, _ZIP_ERRORS):
                self._fail(err, operation)
            raise
        return temp

    def _write_members(self, out: zipfile.ZipFile) -> None:
        archive = self._archive
        for info in self._others:
            if archive is not None:
                _copy_member(archive, info, out)
        for name, entry in self._index.items():
            if isinstance(entry, bytes):
                out.writestr(name, entry)
            elif archive is not None:
                _copy_member(archive, entry, out)

    # Operations ---------------------------------------------------------------------------

    def _checked(self, key: Any, operation: str) -> str:
        if self._state != OPEN:
            self._ensure_open(operation)
        return check_path_key(key, self.store_name, operation)

    def get(self, key: str) -> bytes:
        """Return the bytes of the member ``key``; ``ObjectNotFound`` if there is none."""
        key = self._checked(key, "get")
        with self._lock:
            entry = self._index.get(key)
            if entry is None:
                raise ObjectNotFound(store=self.store_name, operation="get", key=key)
            if isinstance(entry, bytes):
                return entry
            if self._archive is None:
                raise StoreClosed(store=self.store_name, operation="get", key=key)
            try:
                return self._archive.read(entry)
            except _ZIP_ERRORS as err:
                self._fail(err, "get", key)

    def exists(self, key: str) -> bool:
        """Return whether the archive holds the member ``key``."""
        key = self._checked(key, "exists")
        return key in self._index

    def put(self, key: str, data: Any) -> None:
        """Store ``data`` at ``key``; written to the archive on ``flush()`` or ``close()``."""
        self._store([(key, data)], "put")

    def delete(self, key: str) -> None:
        """Remove the member ``key``; ``ObjectNotFound`` if there is none."""
        self._check_writable("delete")
        key = self._checked(key, "delete")
        with self._lock:
            if self._index.pop(key, None) is None:
                raise ObjectNotFound(store=self.store_name, operation="delete", key=key)
            self._dirty = True

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Iterate over the keys starting with ``prefix``, as they were when called."""
        if self._state != OPEN:
            self._ensure_open("keys")
        check_path_prefix(prefix, self.store_name)
        with self._lock:
            return iter([key for key in self._index if key.startswith(prefix)])

    def put_many(self, items: Items) -> None:
        """Store every ``(key, value)`` pair: all of them, or none if any is invalid."""
        self._store(iter_items(items), "put_many")

    def _store(self, items: Iterable[tuple[str, Any]], operation: str) -> None:
        self._check_writable(operation)
        rows = []
        for raw_key, value in items:
            key = self._checked(raw_key, operation)
            rows.append((key, bytes(check_bytes(value, self.store_name, key))))
        with self._lock:
            self._index.update(rows)
            self._dirty = self._dirty or bool(rows)

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove every key that holds an object (absent keys are skipped); none if any is invalid."""
        self._check_writable("delete_many")
        checked = [self._checked(key, "delete_many") for key in keys]
        with self._lock:
            for key in checked:
                if self._index.pop(key, None) is not None:
                    self._dirty = True


class AsyncZipStore(SyncBackedAsyncStore):
    """The asyncio twin of ``ZipStore``, with the same arguments; archive I/O runs in a worker thread."""

    sync_store: ZipStore

    def __init__(
        self,
        path: PathLike,
        mode: str = "a",
        compression: Union[str, int] = "deflated",
        compresslevel: Optional[int] = None,
    ) -> None:
        super().__init__(ZipStore(path, mode=mode, compression=compression, compresslevel=compresslevel))

    async def flush(self) -> None:
        """Write the changes made since the last flush into the archive (atomically)."""
        await self._call(self.sync_store.flush)
