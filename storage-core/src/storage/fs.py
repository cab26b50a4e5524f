"""Stores that keep each object in a file: ``FilesystemStore`` and ``HashdirStore``."""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import stat as stat_module
from itertools import chain, count
from typing import Any, BinaryIO, Iterator, NoReturn, Optional, Union

from storage._base import ObjectStore
from storage._lifecycle import OPEN
from storage.capabilities import Capabilities
from storage.errors import (
    AlreadyExists,
    InvalidKey,
    ObjectNotFound,
    PermissionDenied,
    StoreError,
    UnsupportedOperation,
)
from storage.metadata import ListResult, ObjectInfo, check_range, utc_from_timestamp
from storage.streams import TempFileWriter
from storage.validation import (
    RESERVED_SEGMENT_PREFIX,
    _path_key_problem,
    check_bytes,
    check_key,
    check_path_key,
    check_path_prefix,
)

__all__ = ["FilesystemStore", "HashdirStore", "fsync_directory"]

PathLike = Union[str, "os.PathLike[str]"]

_MISSING = (FileNotFoundError, IsADirectoryError, NotADirectoryError)
#: Attempts at creating a temporary file while a concurrent delete prunes its directory.
_PUT_ATTEMPTS = 8

#: Temporary file names: a random tag per process (drawn again in a forked child) and a counter.
#: O_EXCL makes a clash with another process's name a retry, never a shared file.
_temp_tag = secrets.token_hex(6)
_temp_numbers = count()


def _new_temp_tag() -> None:
    global _temp_tag
    _temp_tag = secrets.token_hex(6)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_temp_tag)


def fsync_directory(path: str) -> None:
    """Flush a directory's entries (new, renamed or removed files) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FilesystemStore(ObjectStore):
    """Each object is a file under ``root_path``; key ``a/b`` is the file ``a/b``.

    Writes go to a temporary file in the target directory that then replaces the object, so
    readers see the old or the new object, never part of one. With ``fsync=True`` the data and
    the directory entry are flushed to disk before ``put`` returns.
    """

    CAPABILITIES = Capabilities(
        native_range=True, native_conditional_write=True, native_copy=True, native_metadata=True
    )

    def __init__(self, root_path: PathLike, fsync: bool = False) -> None:
        self.root_path = os.path.abspath(os.fspath(root_path))
        self.fsync = fsync

    @property
    def store_name(self) -> str:
        """The name used for this store in messages."""
        return f"{type(self).__name__}({self.root_path})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.root_path!r})"

    # Key mapping --------------------------------------------------------------------------

    def _path_for(self, key: str, operation: str) -> str:
        """Return the file path of ``key``, refusing keys that could escape the root.

        The store's name (formatted anew each time) is built only for the error.
        """
        if key.__class__ is not str or not key or _path_key_problem(key):
            check_path_key(key, self.store_name, operation)
        return f"{self.root_path}/{key}"

    def _prepare(self, key: str, operation: str) -> str:
        """Open the store on first use and return the path of ``key``."""
        if self._state != OPEN:
            self._ensure_open(operation)
        return self._path_for(key, operation)

    def _fail(self, err: OSError, operation: str, key: str) -> NoReturn:
        where: dict[str, Any] = {"store": self.store_name, "operation": operation, "key": key}
        if isinstance(err, _MISSING):
            raise ObjectNotFound(**where) from err
        if isinstance(err, PermissionError):
            raise PermissionDenied(err.strerror or str(err), **where) from err
        raise StoreError(err.strerror or str(err), **where) from err

    # Operations ---------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        """Return the bytes stored at ``key``; ``ObjectNotFound`` if there is none."""
        path = self._prepare(key, "get")
        try:
            with open(path, "rb") as file:
                return file.read()
        except OSError as err:
            self._fail(err, "get", key)

    def exists(self, key: str) -> bool:
        """Return whether a file holds ``key``."""
        return os.path.isfile(self._prepare(key, "exists"))

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Write ``data`` to a temporary file, then move it over (or, ``if_absent``, link it to) ``key``."""
        path = self._prepare(key, "put")
        payload = data if data.__class__ is bytes else check_bytes(data, self.store_name, key)
        fd, temp_path = self._create_temp(path.rpartition("/")[0], key)
        try:
            try:
                self._write_all(fd, payload)
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
        except BaseException as err:
            self._discard_temp(temp_path)
            if isinstance(err, OSError):
                self._fail(err, "put", key)
            raise
        self._commit(temp_path, path, key, "put", if_absent)

    def _commit(self, temp_path: str, path: str, key: str, operation: str, if_absent: bool = False) -> None:
        """Make the complete temporary file the object at ``path``; remove it on failure."""
        try:
            if if_absent:
                os.link(temp_path, path)
                os.unlink(temp_path)
            else:
                os.replace(temp_path, path)
        except OSError as err:
            self._discard_temp(temp_path)
            if os.path.isdir(path):
                raise InvalidKey(
                    "a directory of other keys is in the way", store=self.store_name, operation=operation, key=key
                ) from err
            if isinstance(err, FileExistsError):
                raise AlreadyExists(store=self.store_name, operation=operation, key=key) from err
            self._fail(err, operation, key)
        if self.fsync:
            fsync_directory(path.rpartition("/")[0])

    @staticmethod
    def _discard_temp(temp_path: str) -> None:
        try:
            os.unlink(temp_path)
        except OSError:
            pass

    def _create_temp(self, directory: str, key: str) -> tuple[int, str]:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        for _ in range(_PUT_ATTEMPTS):
            temp_path = f"{directory}/{RESERVED_SEGMENT_PREFIX}{_temp_tag}-{next(_temp_numbers):x}"
            try:
                return os.open(temp_path, flags, 0o666), temp_path
            except FileNotFoundError:
                self._make_directories(directory, key)
            except NotADirectoryError as err:
                raise InvalidKey(
                    "another object is in the way of this key's directory",
                    store=self.store_name, operation="put", key=key,
                ) from err
            except OSError as err:
                self._fail(err, "put", key)
        raise StoreError("its directory kept disappearing", store=self.store_name, operation="put", key=key)

    def _make_directories(self, directory: str, key: str) -> None:
        try:
            os.makedirs(directory, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as err:
            raise InvalidKey(
                "another object is in the way of this key's directory",
                store=self.store_name, operation="put", key=key,
            ) from err
        except OSError as err:
            self._fail(err, "put", key)

    @staticmethod
    def _write_all(fd: int, data: Union[bytes, memoryview]) -> None:
        """Write all of ``data`` (a byte view or bytes); a short write is continued from where it stopped."""
        written = os.write(fd, data)
        if written < len(data):
            view = memoryview(data)[written:]
            while view:
                view = view[os.write(fd, view) :]

    def delete(self, key: str) -> None:
        """Remove the file holding ``key`` and the directories that this leaves empty."""
        path = self._prepare(key, "delete")
        try:
            os.unlink(path)
        except OSError as err:
            if isinstance(err, PermissionError) and os.path.isdir(path):
                raise ObjectNotFound(store=self.store_name, operation="delete", key=key) from err
            self._fail(err, "delete", key)
        self._prune(path.rpartition("/")[0])

    def _prune(self, directory: str) -> None:
        """Remove ``directory`` and its parents while they are empty, never the root."""
        root = self.root_path
        while len(directory) > len(root) and directory.startswith(root):
            try:
                os.rmdir(directory)
            except OSError:
                return
            directory = directory.rpartition("/")[0]

    def stat(self, key: str) -> ObjectInfo:
        """Return size, modification time and an etag (mtime and size) of the file holding ``key``."""
        path = self._prepare(key, "stat")
        try:
            info = os.stat(path)
        except OSError as err:
            self._fail(err, "stat", key)
        if not stat_module.S_ISREG(info.st_mode):
            raise ObjectNotFound(store=self.store_name, operation="stat", key=key)
        etag = f"{info.st_mtime_ns:x}-{info.st_size:x}"
        return ObjectInfo(key, info.st_size, utc_from_timestamp(info.st_mtime), etag)

    def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """Return bytes ``[start:end)`` of the file, reading only those."""
        path = self._prepare(key, "get_range")
        start, end = check_range(start, end, self.store_name, key)
        try:
            with open(path, "rb") as file:
                file.seek(start)
                return file.read(-1 if end is None else end - start)
        except OSError as err:
            self._fail(err, "get_range", key)

    def open_read(self, key: str) -> BinaryIO:
        """Return the file holding ``key``, open for reading."""
        path = self._prepare(key, "open_read")
        try:
            return open(path, "rb")
        except OSError as err:
            self._fail(err, "open_read", key)

    def open_write(self, key: str) -> BinaryIO:
        """Return a temporary file that replaces the object at ``key`` when closed."""
        path = self._prepare(key, "open_write")
        fd, temp_path = self._create_temp(path.rpartition("/")[0], key)
        commit = lambda: self._commit(temp_path, path, key, "open_write")  # noqa: E731
        return TempFileWriter(fd, temp_path, commit, self.fsync)

    def copy(self, source: str, target: str) -> None:
        """Copy the file of ``source`` through a temporary file over ``target``."""
        source_path = self._prepare(source, "copy")
        target_path = self._path_for(target, "copy")
        try:
            reader = open(source_path, "rb")  # noqa: SIM115 - closed below
        except OSError as err:
            self._fail(err, "copy", source)
        import shutil

        with reader:
            fd, temp_path = self._create_temp(target_path.rpartition("/")[0], target)
            try:
                with open(fd, "wb") as writer:
                    shutil.copyfileobj(reader, writer, 1024 * 1024)
                    if self.fsync:
                        writer.flush()
                        os.fsync(writer.fileno())
            except BaseException as err:
                self._discard_temp(temp_path)
                if isinstance(err, OSError):
                    self._fail(err, "copy", target)
                raise
        self._commit(temp_path, target_path, target, "copy")

    def rename(self, source: str, target: str) -> None:
        """Move the file of ``source`` over ``target`` with one ``os.replace``."""
        source_path = self._prepare(source, "rename")
        target_path = self._path_for(target, "rename")
        if not os.path.isfile(source_path):
            raise ObjectNotFound(store=self.store_name, operation="rename", key=source)
        if source_path == target_path:
            return
        directory = target_path.rpartition("/")[0]
        self._make_directories(directory, target)
        try:
            os.replace(source_path, target_path)
        except OSError as err:
            if os.path.isdir(target_path):
                raise InvalidKey(
                    "a directory of other keys is in the way", store=self.store_name, operation="rename", key=target
                ) from err
            self._fail(err, "rename", source)
        if self.fsync:
            fsync_directory(directory)
        self._prune(source_path.rpartition("/")[0])

    def list_dir(self, prefix: str = "") -> ListResult:
        """Return the keys and sub-prefixes directly under ``prefix``, from one directory scan."""
        if self._state != OPEN:
            self._ensure_open("list_dir")
        check_path_prefix(prefix, self.store_name, "list_dir")
        head, _, partial = prefix.rpartition("/")
        directory = f"{self.root_path}/{head}" if head else self.root_path
        base = f"{head}/" if head else ""
        subdirectories: list[tuple[str, str]] = []
        try:
            keys = _scan(directory, base, partial, subdirectories)
        except OSError as err:
            self._fail(err, "list_dir", prefix)
        prefixes = [sub_prefix for _, sub_prefix in subdirectories]
        return ListResult(sorted(keys), sorted(prefixes))

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Iterate over the keys under ``prefix``, scanning only the directories it selects."""
        if self._state != OPEN:
            self._ensure_open("keys")
        check_path_prefix(prefix, self.store_name)
        head, _, partial = prefix.rpartition("/")
        start = f"{self.root_path}/{head}" if head else self.root_path
        return chain.from_iterable(_scans(start, f"{head}/" if head else "", partial))


def _scans(start: str, start_key: str, partial: str) -> Iterator[list[str]]:
    """Yield each directory's keys as a list (no directory handle stays open across a yield)."""
    pending: list[tuple[str, str]] = []
    yield _scan(start, start_key, partial, pending)
    while pending:
        directory, base = pending.pop()
        yield _scan(directory, base, "", pending)


def _scan(directory: str, base: str, name_prefix: str, pending: list[tuple[str, str]]) -> list[str]:
    """Return the keys of the files in ``directory`` whose names start with ``name_prefix``.

    Subdirectories go onto ``pending``; the stores' temporary files and a missing directory are
    skipped. The name-prefix test is made only when there is a prefix: listing a whole subtree
    tests each entry against the reserved prefix alone.
    """
    found: list[str] = []
    reserved = RESERVED_SEGMENT_PREFIX
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                name = entry.name
                if name_prefix and not name.startswith(name_prefix):
                    continue
                if name.startswith(reserved):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, f"{base}{name}/"))
                else:
                    found.append(base + name)
    except OSError as err:
        if err.errno not in (errno.ENOENT, errno.ENOTDIR):
            raise
    return found


class HashdirStore(FilesystemStore):
    """Each object is a file named by the SHA-256 of its key, spread over ``depth`` directories.

    The layout is the seed's: ``ab/cd/ef/<rest of the hash>`` for ``width=2, depth=3``. Any
    non-empty key is accepted; keys cannot be listed, since the hash cannot be reversed.
    """

    CAPABILITIES = FilesystemStore.CAPABILITIES.replace(listing=False)

    def __init__(self, root_path: PathLike, width: int = 2, depth: int = 3, fsync: bool = False) -> None:
        if width < 1 or depth < 0 or width * depth >= 64:
            raise ValueError(f"width={width}, depth={depth} do not fit a 64-character hash")
        super().__init__(root_path, fsync=fsync)
        self.width = width
        self.depth = depth

    def _path_for(self, key: str, operation: str) -> str:
        check_key(key, self.store_name, operation)
        try:
            digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        except UnicodeEncodeError:
            raise InvalidKey("key is not valid Unicode", store=self.store_name, operation=operation, key=key) from None
        cut = self.width * self.depth
        parts = [digest[i : i + self.width] for i in range(0, cut, self.width)]
        parts.append(digest[cut:])
        return f"{self.root_path}/{'/'.join(parts)}"

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Always ``UnsupportedOperation``: hashed names cannot be turned back into keys."""
        raise UnsupportedOperation(
            "HashdirStore cannot list keys (file names are hashes)", store=self.store_name, operation="keys"
        )

    def list_dir(self, prefix: str = "") -> ListResult:
        """Always ``UnsupportedOperation``: hashed names cannot be turned back into keys."""
        raise UnsupportedOperation(
            "HashdirStore cannot list keys (file names are hashes)", store=self.store_name, operation="list_dir"
        )

    def __repr__(self) -> str:
        return f"HashdirStore({self.root_path!r}, width={self.width}, depth={self.depth})"

