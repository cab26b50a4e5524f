"""Stores kept in one zip archive: ``ZipStore`` and its asyncio twin ``AsyncZipStore``.

Each object is an archive member named by its key. Reads come from an in-memory index of the
members (so ``get`` and ``exists`` cost the same however large the archive is); writes and deletes
are kept in memory and written by ``flush()`` or ``close()`` into a temporary archive next to the
original that then atomically replaces it, so a crash at any moment leaves the previous archive
complete.
"""

from __future__ import annotations

import io
import os
import secrets
import stat
import threading
import zipfile
import zlib
from typing import Any, BinaryIO, Dict, Iterable, Iterator, List, NoReturn, Optional, Union, cast

from storage._base import Items, ObjectStore, iter_items
from storage._lifecycle import NEW, OPEN
from storage._zipmembers import (
    ZIP_ERRORS,
    Entry,
    MemberReader,
    Pending,
    copy_raw,
    data_offset,
    is_plain_stored,
    object_info,
    open_member,
    read_at,
)
from storage.bridge import SyncBackedAsyncStore
from storage.capabilities import Capabilities
from storage.errors import (
    AlreadyExists,
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
from storage.metadata import ListResult, ObjectInfo, check_range, split_listing
from storage.streams import spooled_writer
from storage.validation import RESERVED_SEGMENT_PREFIX, check_bytes, check_path_key, check_path_prefix

__all__ = ["AsyncZipStore", "ZipStore"]

PathLike = Union[str, "os.PathLike[str]"]

MODES = ("a", "r")
COMPRESSIONS = {"stored": zipfile.ZIP_STORED, "deflated": zipfile.ZIP_DEFLATED}
_NATIVE = Capabilities(native_range=True, native_conditional_write=True, native_copy=True, native_metadata=True)
_READ_ONLY = _NATIVE.replace(write=False, delete=False)


def _compression_of(compression: Union[str, int]) -> int:
    if isinstance(compression, str) and compression.lower() in COMPRESSIONS:
        return COMPRESSIONS[compression.lower()]
    if compression in COMPRESSIONS.values():
        return int(compression)
    raise ConfigError(f"compression must be one of {', '.join(COMPRESSIONS)}, not {compression!r}")


def _copy_mode(source: str, target: str) -> None:
    """Give ``target`` the permission bits of ``source``, if there is such a file."""
    try:
        mode = os.stat(source).st_mode
    except FileNotFoundError:
        return
    os.chmod(target, stat.S_IMODE(mode))


def _is_key(name: str) -> bool:
    """True if the member ``name`` can be served as a key (not a directory, absolute or ``..``)."""
    try:
        check_path_key(name)
    except InvalidKey:
        return False
    return True


class ZipStore(ObjectStore):
    """A store in the zip archive at ``path``.

    ``mode='a'`` (the default) reads an existing archive or starts a new one (an empty file is
    one), which is created on ``close()``; ``mode='r'`` only reads, never changes the file, and
    refuses writes with ``UnsupportedOperation``. New members are compressed with ``compression``
    (``'stored'`` or ``'deflated'``, or the ``zipfile`` constants) at ``compresslevel`` (0-9,
    deflated only).

    Changes reach the file on ``flush()`` and ``close()``, as a new archive moved over the old
    one (over the file a symbolic link ``path`` points to): readers see the old archive or the new
    one, never a part. Existing members are copied as they are stored, never decompressed. With
    ``fsync=True`` the new archive and its directory are also flushed to the disk first (as
    ``FilesystemStore(fsync=True)``), so a flushed change survives a power loss.

    Directory entries, and members whose names are absolute or contain ``..`` (or are otherwise
    not valid keys), are never served or listed, but are kept when the archive is rewritten;
    members it cannot decode (encrypted, or an unknown compression method) are listed and kept, but
    reading one is an ``UnsupportedOperation``.
    One writer per archive: two stores writing the same file keep the changes of the last to flush.
    """

    CAPABILITIES = _NATIVE
    _transient_attrs = ("_archive", "_index", "_others", "_dirty", "_lock")

    def __init__(
        self,
        path: PathLike,
        mode: str = "a",
        compression: Union[str, int] = "deflated",
        compresslevel: Optional[int] = None,
        fsync: bool = False,
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
        self.fsync = fsync
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
        if isinstance(err, (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError)):
            raise IntegrityError(f"archive is corrupt: {err}", **where) from err
        if isinstance(err, NotImplementedError):
            raise UnsupportedOperation(str(err), **where) from err
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
            try:
                found: Optional[os.stat_result] = os.stat(self.path)
            except FileNotFoundError:
                found = None
            except OSError as err:
                self._fail(err, "open")
            if found is None and self.mode == "r":
                raise StoreError("the archive does not exist", store=self.store_name, operation="open")
            if found is None or (stat.S_ISREG(found.st_mode) and found.st_size == 0):
                # a new archive; an empty file is one too, as for zipfile's mode 'a'
                self._index, self._others, self._dirty = {}, [], self.mode == "a"
            else:
                self._load("open")

    def _load(self, operation: str) -> None:
        """Open the archive on disk and index its members."""
        try:
            archive = zipfile.ZipFile(self.path, "r")
        except ZIP_ERRORS as err:
            self._fail(err, operation)
        index: Dict[str, Entry] = {}
        others = []
        for info in archive.infolist():
            if _is_key(info.filename):
                index[info.filename] = info
            else:
                others.append(info)
        self._archive, self._index, self._others, self._dirty = archive, index, others, False

    def close(self) -> None:
        """Write the changes made since the last flush into the archive, then release it.

        If they cannot be written, the error is raised and the store stays open with its changes,
        so a later ``close()`` or ``flush()`` can still write them.
        """
        with self._lock:
            if self._state == OPEN and self._dirty and self.mode != "r":
                self._rewrite("close", reopen=False)
            super().close()

    def _close(self) -> None:
        with self._lock:
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

    def _rewrite(self, operation: str, reopen: bool = True) -> None:
        """Write every member to a temporary archive, then move it over the archive.

        A symbolic link at ``path`` stays: the file it points to is replaced. With ``reopen`` the
        new archive is opened and indexed for further use; ``close()``, which drops the index right
        after, skips that. If the move fails, the old archive is opened again and the changes stay.
        """
        target = os.path.realpath(self.path)
        temp = self._write_temp(target, operation)
        old, self._archive = self._archive, None
        if old is not None:
            old.close()
        try:
            os.replace(temp, target)
        except OSError as err:
            try:
                os.unlink(temp)
            except OSError:
                pass
            if old is not None:
                try:
                    self._archive = zipfile.ZipFile(self.path, "r")
                except ZIP_ERRORS:
                    self._fail(err, operation)  # the failed move, the failed reopening as its context
            self._fail(err, operation)
        unsynced: Optional[OSError] = None
        if self.fsync and os.name == "posix":
            try:
                fsync_directory(os.path.dirname(target))
            except OSError as err:
                unsynced = err
        if reopen or unsynced is not None:
            self._load(operation)  # the new archive is in place: the store goes on from it
        if unsynced is not None:
            self._fail(unsynced, operation)

    def _write_temp(self, target: str, operation: str) -> str:
        """Write the archive to a new temporary file next to ``target``, with ``target``'s mode."""
        temp = os.path.join(os.path.dirname(target), f"{RESERVED_SEGMENT_PREFIX}{secrets.token_hex(8)}.zip")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except OSError as err:
            self._fail(err, operation)
        try:
            with os.fdopen(fd, "wb") as raw:
                with zipfile.ZipFile(raw, "w", compression=self.compression, compresslevel=self.compresslevel) as out:
                    self._write_members(out, operation)
                if self.fsync:
                    raw.flush()
                    os.fsync(raw.fileno())
            _copy_mode(target, temp)
        except BaseException as err:
            try:
                os.unlink(temp)
            except OSError:
                pass
            if isinstance(err, ZIP_ERRORS):
                self._fail(err, operation)
            raise
        return temp

    def _write_members(self, out: zipfile.ZipFile, operation: str) -> None:
        """Write the members the store does not serve, then every indexed one, into ``out``."""
        for info in self._others:
            copy_raw(self._opened(info.filename, operation), info, out, info.filename)
        for name, entry in self._index.items():
            if isinstance(entry, Pending):
                out.writestr(entry.zip_info(name, self.compression), entry.data, compresslevel=self.compresslevel)
            else:
                copy_raw(self._opened(name, operation), entry, out, name)

    # Operations ---------------------------------------------------------------------------

    def _checked(self, key: Any, operation: str) -> str:
        if self._state != OPEN:
            self._ensure_open(operation)
        return check_path_key(key, self.store_name, operation)

    def get(self, key: str) -> bytes:
        """Return the bytes of the member ``key``; ``ObjectNotFound`` if there is none.

        The index holds only valid keys, so a hit needs no check; a miss is checked first.
        """
        if self._state != OPEN:
            self._ensure_open("get")
        with self._lock:
            entry = self._index.get(key) if key.__class__ is str else None
            if entry is None:
                entry = self._entry(self._checked(key, "get"), "get")
            if isinstance(entry, Pending):
                return entry.data
            try:
                with open_member(self._opened(key, "get"), entry) as member:
                    return member.read()
            except ZIP_ERRORS as err:
                self._fail(err, "get", key)

    def _entry(self, key: str, operation: str) -> Entry:
        """The index entry of ``key`` (the lock held); ``ObjectNotFound`` if there is none."""
        entry = self._index.get(key)
        if entry is None:
            self._refuse_if_closed(operation, key)
            raise ObjectNotFound(store=self.store_name, operation=operation, key=key)
        return entry

    def _refuse_if_closed(self, operation: str, key: Optional[str] = None) -> None:
        """``StoreClosed`` if the store was closed while the caller waited for the lock (the lock held)."""
        if self._state != OPEN:
            raise StoreClosed(store=self.store_name, operation=operation, key=key)

    def _opened(self, key: str, operation: str) -> zipfile.ZipFile:
        """The archive on disk, which holds every indexed ``ZipInfo`` (the lock held).

        ``StoreClosed`` if it is not open: the store was closed, or the archive could not be opened
        again after a failed flush.
        """
        if self._archive is None:
            raise StoreClosed("the archive is not open", store=self.store_name, operation=operation, key=key)
        return self._archive

    def exists(self, key: str) -> bool:
        """Return whether the archive holds the member ``key``.

        The index holds only valid keys, so a hit needs no check; a miss is checked (and refused
        with ``InvalidKey`` if the key is not one) before saying False.
        """
        if self._state == OPEN and key.__class__ is str and key in self._index:
            return True
        key = self._checked(key, "exists")
        return key in self._index

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` at ``key``; written to the archive on ``flush()`` or ``close()``.

        With ``if_absent=True`` the index is checked under the store's lock: ``AlreadyExists`` if
        the key is there (this store is the archive's one writer, so that is atomic).
        """
        self._store([(key, data)], "put", if_absent)

    def delete(self, key: str) -> None:
        """Remove the member ``key``; ``ObjectNotFound`` if there is none."""
        self._check_writable("delete")
        key = self._checked(key, "delete")
        with self._lock:
            if self._index.pop(key, None) is None:
                self._refuse_if_closed("delete", key)
                raise ObjectNotFound(store=self.store_name, operation="delete", key=key)
            self._dirty = True

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Iterate over the keys starting with ``prefix``, as they were when called."""
        if self._state != OPEN:
            self._ensure_open("keys")
        check_path_prefix(prefix, self.store_name)
        with self._lock:
            self._refuse_if_closed("keys")
            return iter([key for key in self._index if key.startswith(prefix)])

    def put_many(self, items: Items) -> None:
        """Store every ``(key, value)`` pair: all of them, or none if any is invalid."""
        self._store(iter_items(items), "put_many")

    def _store(self, items: Iterable[tuple[str, Any]], operation: str, if_absent: bool = False) -> None:
        self._check_writable(operation)
        rows = []
        for raw_key, value in items:
            key = self._checked(raw_key, operation)
            # bytes are immutable and kept as they are; anything else is copied (it could change).
            data = value if value.__class__ is bytes else bytes(check_bytes(value, self.store_name, key))
            rows.append((key, data))
        with self._lock:
            self._refuse_if_closed(operation)
            for key, _ in rows:
                if if_absent and key in self._index:
                    raise AlreadyExists(store=self.store_name, operation=operation, key=key)
            self._index.update((key, Pending.now(data)) for key, data in rows)
            self._dirty = self._dirty or bool(rows)

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove every key that holds an object (absent keys are skipped); none if any is invalid."""
        self._check_writable("delete_many")
        checked = [self._checked(key, "delete_many") for key in keys]
        with self._lock:
            self._refuse_if_closed("delete_many")
            for key in checked:
                if self._index.pop(key, None) is not None:
                    self._dirty = True

    # Beyond get/put -----------------------------------------------------------------------

    def stat(self, key: str) -> ObjectInfo:
        """Return size, time (read as UTC) and etag (the CRC-32) of ``key``, from the index."""
        key = self._checked(key, "stat")
        with self._lock:
            return object_info(key, self._entry(key, "stat"))

    def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """Return bytes ``[start:end)`` of ``key``, reading (and decompressing) no more than needed.

        A stored member is read at its offset in the archive file the store has open; a compressed
        one is decompressed up to ``end`` only; an object written since the last flush is sliced.
        """
        key = self._checked(key, "get_range")
        start, end = check_range(start, end, self.store_name, key)
        with self._lock:
            entry = self._entry(key, "get_range")
            if isinstance(entry, Pending):
                return entry.data[start:end]
            size = max(0, min(entry.file_size if end is None else end, entry.file_size) - start)
            archive = self._opened(key, "get_range")
            try:
                if is_plain_stored(entry):
                    return read_at(archive, data_offset(archive, entry) + start, size)
                with open_member(archive, entry) as member:
                    member.seek(start)
                    return member.read(size)
            except ZIP_ERRORS as err:
                self._fail(err, "get_range", key)

    def copy(self, source: str, target: str) -> None:
        """Index ``source``'s member (or pending object) also as ``target``; the data is not read."""
        self._move(source, target, "copy")

    def rename(self, source: str, target: str) -> None:
        """Index ``source``'s member (or pending object) as ``target`` instead; the data is not read."""
        self._move(source, target, "rename")

    def _move(self, source: str, target: str, operation: str) -> None:
        """Point ``target`` at ``source``'s entry (dropping ``source`` for a rename); written on flush."""
        self._check_writable(operation)
        source = self._checked(source, operation)
        target = self._checked(target, operation)
        with self._lock:
            entry = self._entry(source, operation)
            if operation == "rename":
                del self._index[source]
            self._index[target] = entry
            self._dirty = True

    def open_read(self, key: str) -> BinaryIO:
        """Return a streaming reader of ``key`` (an in-memory one for an object not yet flushed)."""
        key = self._checked(key, "open_read")
        with self._lock:
            entry = self._entry(key, "open_read")
            if isinstance(entry, Pending):
                return io.BytesIO(entry.data)
            try:
                member = open_member(self._opened(key, "open_read"), entry)
            except ZIP_ERRORS as err:
                self._fail(err, "open_read", key)
        reader = MemberReader(member, lambda err: self._fail(err, "open_read", key))
        return cast(BinaryIO, reader)

    def open_write(self, key: str) -> BinaryIO:
        """Return a temporary file (next to the archive) that becomes the pending object ``key`` on close."""
        self._check_writable("open_write")
        key = self._checked(key, "open_write")

        def become_pending(file: BinaryIO, size: int) -> None:
            self._store([(key, file.read())], "open_write")

        try:
            return spooled_writer(become_pending, os.path.dirname(self.path))
        except OSError as err:
            self._fail(err, "open_write", key)

    def list_dir(self, prefix: str = "") -> ListResult:
        """Return the keys and sub-prefixes directly under ``prefix``, from the index."""
        if self._state != OPEN:
            self._ensure_open("list_dir")
        check_path_prefix(prefix, self.store_name, "list_dir")
        with self._lock:
            return split_listing([key for key in self._index if key.startswith(prefix)], prefix)


class AsyncZipStore(SyncBackedAsyncStore):
    """The asyncio twin of ``ZipStore``, with the same arguments; archive I/O runs in a worker thread."""

    sync_store: ZipStore

    def __init__(
        self,
        path: PathLike,
        mode: str = "a",
        compression: Union[str, int] = "deflated",
        compresslevel: Optional[int] = None,
        fsync: bool = False,
    ) -> None:
        super().__init__(
            ZipStore(path, mode=mode, compression=compression, compresslevel=compresslevel, fsync=fsync)
        )

    async def flush(self) -> None:
        """Write the changes made since the last flush into the archive (atomically)."""
        await self._call(self.sync_store.flush)
