"""Stores that keep each object in a file: ``FilesystemStore`` and ``HashdirStore``."""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
from itertools import chain, count
from stat import S_ISDIR, S_ISREG
from typing import Any, BinaryIO, Callable, Iterator, NoReturn, Optional, Union

from storage._base import ObjectStore
from storage._lifecycle import OPEN
from storage.capabilities import Capabilities
from storage.errors import (
    AlreadyExists,
    ConfigError,
    InvalidKey,
    ObjectNotFound,
    PermissionDenied,
    StoreError,
    UnsupportedOperation,
)
from storage.metadata import ListResult, ObjectInfo, check_range, utc_from_timestamp
from storage.streams import TempFileWriter, write_all
from storage.validation import (
    RESERVED_SEGMENT_PREFIX,
    _path_key_problem,
    _segment_problem,
    check_bytes,
    check_key,
    check_path_key,
    check_path_prefix,
)

__all__ = ["FilesystemStore", "HashdirStore", "fsync_directory"]

PathLike = Union[str, "os.PathLike[str]"]

_MISSING = (FileNotFoundError, IsADirectoryError, NotADirectoryError)
#: Attempts at creating a temporary file, or moving a file, while a concurrent delete prunes its directory.
_PUT_ATTEMPTS = 8
_BINARY = getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
#: Opening for reading never waits: O_NONBLOCK makes a FIFO open at once (and then fail the type check).
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _BINARY
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY
_CHUNK = 1024 * 1024
#: Directories a listing skips instead of failing: gone, replaced by a file, or a symlink loop.
_UNLISTABLE = (errno.ENOENT, errno.ENOTDIR, errno.ELOOP)

#: Temporary file names: a random tag per process (drawn again in a forked child) and a counter.
#: O_EXCL makes a clash with another process's name a retry, never a shared file.
_temp_tag = secrets.token_hex(6)
_temp_numbers = count()
#: Directories that operations in flight in this process made and are about to fill, one entry per
#: operation (appended and removed atomically): pruning leaves them and their parents alone.
_FILLING: list[str] = []


def _after_fork() -> None:
    """A child process draws its own temporary names and has no operations in flight."""
    global _temp_tag
    _temp_tag = secrets.token_hex(6)
    _FILLING.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def fsync_directory(path: str) -> None:
    """Flush a directory's entries (new, renamed or removed files) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _holds(directory: str) -> bool:
    """True if ``directory`` is one of the directories being filled, or holds one."""
    inside = directory + "/"
    return any(path == directory or path.startswith(inside) for path in tuple(_FILLING))


class FilesystemStore(ObjectStore):
    """Each object is a file under ``root_path``; key ``a/b`` is the file ``a/b``.

    Writes go to a temporary file in the target directory that then replaces the object, so
    readers see the old or the new object, never part of one. With ``fsync=True`` the data and
    the directory entry are flushed to disk before ``put`` returns. Symlinks placed in the root
    are followed: one to a regular file is an object, one to a directory holds objects.
    """

    CAPABILITIES = Capabilities(
        native_range=True, native_conditional_write=True, native_copy=True, native_metadata=True
    )
    def __init__(self, root_path: PathLike, fsync: bool = False) -> None:
        path = os.fspath(root_path)
        if not path:
            raise ConfigError(
                "root_path is empty (write '.' for the working directory)", store=type(self).__name__
            )
        self.root_path = os.path.abspath(path)
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
        if err.errno == errno.ENAMETOOLONG:
            raise InvalidKey("key makes a path too long for this filesystem", **where) from err
        if isinstance(err, PermissionError):
            raise PermissionDenied(err.strerror or str(err), **where) from err
        raise StoreError(err.strerror or str(err), **where) from err

    def _in_the_way(self, err: OSError, operation: str, key: str) -> NoReturn:
        """Raise for a failure to make or use the directory of ``key``."""
        if isinstance(err, NotADirectoryError):
            raise InvalidKey(
                "another object is in the way of this key's directory",
                store=self.store_name, operation=operation, key=key,
            ) from err
        self._fail(err, operation, key)

    # Reading ------------------------------------------------------------------------------

    def _open_file(self, path: str, operation: str, key: str) -> tuple[int, int]:
        """Open the regular file at ``path`` (or that a symlink there leads to); return fd and size."""
        fd = -1
        try:
            fd = os.open(path, _READ_FLAGS)
            info = os.fstat(fd)
        except OSError as err:
            if fd >= 0:
                os.close(fd)
            self._fail(err, operation, key)
        if not S_ISREG(info.st_mode):
            os.close(fd)
            raise ObjectNotFound(store=self.store_name, operation=operation, key=key)
        return fd, info.st_size

    def _is_file(self, path: str, operation: str, key: str) -> bool:
        """Return whether ``path`` is (or a symlink there leads to) a regular file."""
        try:
            return S_ISREG(os.stat(path).st_mode)
        except OSError as err:
            if err.errno == errno.ENAMETOOLONG:
                self._fail(err, operation, key)
            return False

    def get(self, key: str) -> bytes:
        """Return the bytes stored at ``key``; ``ObjectNotFound`` if there is none."""
        path = self._prepare(key, "get")
        fd, size = self._open_file(path, "get", key)
        try:
            data = os.read(fd, size + 1)
            if len(data) != size:
                data = _read_rest(fd, data)
        except OSError as err:
            self._fail(err, "get", key)
        finally:
            os.close(fd)
        return data

    def exists(self, key: str) -> bool:
        """Return whether a file holds ``key``."""
        return self._is_file(self._prepare(key, "exists"), "exists", key)

    # Writing ------------------------------------------------------------------------------

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Write ``data`` to a temporary file, then move it over (or, ``if_absent``, link it to) ``key``."""
        path = self._prepare(key, "put")
        payload = data if data.__class__ is bytes else check_bytes(data, self.store_name, key)
        fd, temp_path, created = self._create_temp(path, key, "put")
        try:
            write_all(fd, payload)
        except BaseException as err:
            self._abandon(temp_path, created, fd)
            if isinstance(err, OSError):
                self._fail(err, "put", key)
            raise
        self._finish(fd, temp_path, path, key, "put", created, if_absent)

    def _finish(
        self, fd: int, temp_path: str, path: str, key: str, operation: str, created: str, if_absent: bool = False
    ) -> None:
        """Flush (with ``fsync``) and close the complete temporary file, then make it the object at ``path``.

        On failure the temporary file and the directories made for it are removed.
        """
        try:
            try:
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            if if_absent:
                os.link(temp_path, path)
                os.unlink(temp_path)
            else:
                os.replace(temp_path, path)
        except BaseException as err:
            self._abandon(temp_path, created)
            if isinstance(err, OSError):
                self._not_committed(err, path, operation, key)
            raise
        if self.fsync:
            self._sync_directory(path.rpartition("/")[0], operation, key)

    def _not_committed(self, err: OSError, path: str, operation: str, key: str) -> NoReturn:
        if os.path.isdir(path):
            raise InvalidKey(
                "a directory of other keys is in the way", store=self.store_name, operation=operation, key=key
            ) from err
        if isinstance(err, FileExistsError):
            raise AlreadyExists(store=self.store_name, operation=operation, key=key) from err
        self._fail(err, operation, key)

    def _sync_directory(self, directory: str, operation: str, key: str) -> None:
        try:
            fsync_directory(directory)
        except OSError as err:
            self._fail(err, operation, key)

    def _abandon(self, temp_path: str, created: str, fd: Optional[int] = None) -> None:
        """Close (given ``fd``) and remove an unfinished temporary file, and the directories made for it."""
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.unlink(temp_path)
        except OSError:
            pass
        if created:
            self._prune(temp_path.rpartition("/")[0], created)

    def _create_temp(self, path: str, key: str, operation: str) -> tuple[int, str, str]:
        """Create a temporary file beside ``path``, making its directories if they are missing.

        Returns its descriptor, its path and the topmost directory made for it ("" if none).
        """
        directory = path.rpartition("/")[0]
        created = ""
        filling = False
        try:
            for _ in range(_PUT_ATTEMPTS):
                temp_path = f"{directory}/{RESERVED_SEGMENT_PREFIX}{_temp_tag}-{next(_temp_numbers):x}"
                try:
                    return os.open(temp_path, _CREATE_FLAGS, 0o666), temp_path, created
                except FileExistsError:
                    continue  # another process's temporary file: draw the next name
                except FileNotFoundError:
                    if not filling:
                        _FILLING.append(directory)
                        filling = True
                    created = _topmost(created, self._make_directories(directory))
            raise StoreError("its directory kept disappearing", store=self.store_name, operation=operation, key=key)
        except BaseException as err:
            if filling:
                _FILLING.remove(directory)
                filling = False
            if created:
                self._prune(directory, created)
            if isinstance(err, OSError):
                self._in_the_way(err, operation, key)
            raise
        finally:
            if filling:
                _FILLING.remove(directory)

    def _make_directories(self, directory: str) -> str:
        """Create ``directory`` and its missing parents; return the topmost one created ("" if none).

        A directory that appears meanwhile (a concurrent writer's) is taken as it is; one that
        vanishes again is left to the caller's retry. On failure the directories made are removed.
        """
        missing = [directory]
        top = ""
        try:
            while missing:
                current = missing[-1]
                try:
                    os.mkdir(current)
                except FileNotFoundError:
                    parent = current.rpartition("/")[0]
                    if not parent:
                        raise
                    missing.append(parent)
                    continue
                except FileExistsError:
                    if _in_the_way(current):
                        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), current) from None
                else:
                    top = top or current
                missing.pop()
        except BaseException:
            if top:
                self._prune(directory, top)
            raise
        return top

    # Deleting -----------------------------------------------------------------------------

    def delete(self, key: str) -> None:
        """Remove the file holding ``key`` and the directories that this leaves empty."""
        path = self._prepare(key, "delete")
        try:
            if not S_ISREG(os.stat(path).st_mode):
                raise ObjectNotFound(store=self.store_name, operation="delete", key=key)
            os.unlink(path)
        except OSError as err:
            self._fail(err, "delete", key)
        self._prune(path.rpartition("/")[0])

    def _prune(self, directory: str, top: str = "") -> None:
        """Remove ``directory`` and its parents while they are empty, up to ``top`` if given.

        Never the root, and nothing reached through a symlinked directory.
        """
        root = self.root_path
        if self._through_symlink(directory):
            return
        while len(directory) > len(root) and directory.startswith(root):
            if _FILLING and _holds(directory):
                return
            try:
                os.rmdir(directory)
            except FileNotFoundError:
                pass  # never made, or already pruned: its parent may still be empty
            except OSError:
                return
            if directory == top:
                return
            directory = directory.rpartition("/")[0]

    def _through_symlink(self, directory: str) -> bool:
        """True if a directory between the root and ``directory`` is a symlink."""
        path = self.root_path
        for segment in directory[len(path) + 1 :].split("/")[:-1]:
            path = f"{path}/{segment}"
            if os.path.islink(path):
                return True
        return False

    # Beyond get/put -----------------------------------------------------------------------

    def stat(self, key: str) -> ObjectInfo:
        """Return size, modification time and an etag of the file holding ``key``.

        Every write makes a new file (a new inode), so the etag (inode, times, size) changes
        with every write, even within the filesystem's timestamp granularity.
        """
        path = self._prepare(key, "stat")
        try:
            info = os.stat(path)
        except OSError as err:
            self._fail(err, "stat", key)
        if not S_ISREG(info.st_mode):
            raise ObjectNotFound(store=self.store_name, operation="stat", key=key)
        etag = f"{info.st_ino:x}-{info.st_mtime_ns:x}-{info.st_ctime_ns:x}-{info.st_size:x}"
        return ObjectInfo(key, info.st_size, utc_from_timestamp(info.st_mtime), etag)

    def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """Return bytes ``[start:end)`` of the file, reading only those."""
        path = self._prepare(key, "get_range")
        start, end = check_range(start, end, self.store_name, key)
        fd, _ = self._open_file(path, "get_range", key)
        try:
            with open(fd, "rb") as file:
                file.seek(start)
                return file.read(-1 if end is None else end - start)
        except OSError as err:
            self._fail(err, "get_range", key)

    def open_read(self, key: str) -> BinaryIO:
        """Return the file holding ``key``, open for reading."""
        path = self._prepare(key, "open_read")
        fd, _ = self._open_file(path, "open_read", key)
        return open(fd, "rb")

    def open_write(self, key: str) -> BinaryIO:
        """Return a temporary file that replaces the object at ``key`` when closed."""
        path = self._prepare(key, "open_write")
        fd, temp_path, created = self._create_temp(path, key, "open_write")
        return TempFileWriter(
            fd,
            lambda: self._finish(fd, temp_path, path, key, "open_write", created),
            lambda: self._abandon(temp_path, created, fd),
        )

    def copy(self, source: str, target: str) -> None:
        """Copy the file of ``source`` through a temporary file over ``target``."""
        source_path = self._prepare(source, "copy")
        target_path = self._path_for(target, "copy")
        reader, _ = self._open_file(source_path, "copy", source)
        try:
            fd, temp_path, created = self._create_temp(target_path, target, "copy")
            try:
                chunk = os.read(reader, _CHUNK)
                while chunk:
                    write_all(fd, chunk)
                    chunk = os.read(reader, _CHUNK)
            except BaseException as err:
                self._abandon(temp_path, created, fd)
                if isinstance(err, OSError):
                    self._fail(err, "copy", target)
                raise
        finally:
            os.close(reader)
        self._finish(fd, temp_path, target_path, target, "copy", created)

    def rename(self, source: str, target: str) -> None:
        """Move the file of ``source`` over ``target`` with one ``os.replace``."""
        source_path = self._prepare(source, "rename")
        target_path = self._path_for(target, "rename")
        if not self._is_file(source_path, "rename", source):
            raise ObjectNotFound(store=self.store_name, operation="rename", key=source)
        if source_path == target_path:
            return
        directory = target_path.rpartition("/")[0]
        created = ""
        filling = False
        try:
            for _ in range(_PUT_ATTEMPTS):
                try:
                    os.replace(source_path, target_path)
                    break
                except FileNotFoundError:
                    if not self._is_file(source_path, "rename", source):
                        raise ObjectNotFound(store=self.store_name, operation="rename", key=source) from None
                    if not filling:
                        _FILLING.append(directory)
                        filling = True
                    created = _topmost(created, self._make_directories(directory))
            else:
                raise StoreError(
                    "its directory kept disappearing", store=self.store_name, operation="rename", key=target
                )
        except BaseException as err:
            if filling:
                _FILLING.remove(directory)
                filling = False
            if created:
                self._prune(directory, created)
            if isinstance(err, OSError) and not isinstance(err, StoreError):
                self._not_moved(err, target_path, source, target)
            raise
        finally:
            if filling:
                _FILLING.remove(directory)
        if self.fsync:
            self._sync_directory(directory, "rename", target)
        self._prune(source_path.rpartition("/")[0])

    def _not_moved(self, err: OSError, target_path: str, source: str, target: str) -> NoReturn:
        if os.path.isdir(target_path):
            raise InvalidKey(
                "a directory of other keys is in the way", store=self.store_name, operation="rename", key=target
            ) from err
        if isinstance(err, NotADirectoryError) or err.errno == errno.ENAMETOOLONG:
            self._in_the_way(err, "rename", target)
        self._fail(err, "rename", source)

    # Listing ------------------------------------------------------------------------------

    def list_dir(self, prefix: str = "") -> ListResult:
        """Return the keys and sub-prefixes directly under ``prefix``, from one directory scan."""
        if self._state != OPEN:
            self._ensure_open("list_dir")
        check_path_prefix(prefix, self.store_name, "list_dir")
        head, _, partial = prefix.rpartition("/")
        directory = f"{self.root_path}/{head}" if head else self.root_path
        subdirectories: list[_Pending] = []
        try:
            keys = _scan(directory, f"{head}/" if head else "", partial, subdirectories, ())
        except OSError as err:
            self._fail(err, "list_dir", prefix)
        return ListResult(sorted(keys), sorted(sub_prefix for _, sub_prefix, _ in subdirectories))

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Iterate over the keys under ``prefix``, scanning only the directories it selects."""
        if self._state != OPEN:
            self._ensure_open("keys")
        check_path_prefix(prefix, self.store_name)
        head, _, partial = prefix.rpartition("/")
        start = f"{self.root_path}/{head}" if head else self.root_path

        def fail(err: OSError) -> NoReturn:
            self._fail(err, "keys", prefix)

        return chain.from_iterable(_scans(start, f"{head}/" if head else "", partial, fail))


def _in_the_way(path: str) -> bool:
    """True if something other than a directory (or a symlink to one) is at ``path``.

    Nothing there (a concurrent delete pruned the directory) is not in the way; a dangling
    symlink (which no store makes) is.
    """
    try:
        return not S_ISDIR(os.stat(path).st_mode)
    except FileNotFoundError:
        return os.path.islink(path)


def _topmost(first: str, second: str) -> str:
    """The shallower of two created directories on one path ("" for none)."""
    if not first or (second and len(second) < len(first)):
        return second
    return first


def _read_rest(fd: int, start: bytes) -> bytes:
    """``start`` and the rest of the file after it (for a file whose size changed while read)."""
    parts = [start]
    part = os.read(fd, _CHUNK)
    while part:
        parts.append(part)
        part = os.read(fd, _CHUNK)
    return b"".join(parts)


#: A directory still to scan: its path, the key prefix of its entries, and the (st_dev, st_ino)
#: of the symlinked directories entered on the way to it.
_Pending = tuple[str, str, tuple[tuple[int, int], ...]]


def _scans(start: str, start_key: str, partial: str, fail: Callable[[OSError], NoReturn]) -> Iterator[list[str]]:
    """Yield each directory's keys as a list (no directory handle stays open across a yield)."""
    pending: list[_Pending] = [(start, start_key, ())]
    name_prefix = partial
    while pending:
        directory, base, entered = pending.pop()
        try:
            found = _scan(directory, base, name_prefix, pending, entered)
        except OSError as err:
            fail(err)
        name_prefix = ""
        yield found


def _scan(directory: str, base: str, name_prefix: str, pending: list[_Pending], entered: tuple[Any, ...]) -> list[str]:
    """Return the keys of the objects in ``directory`` whose names start with ``name_prefix``.

    Objects are regular files and symlinks to them; subdirectories go onto ``pending``, and so do
    symlinks to directories not entered already on the way here (a loop). Other entries, names
    that are not valid keys, the stores' temporary files and a missing directory are skipped.
    """
    found: list[str] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    found.append(base + entry.name)
                elif entry.is_dir(follow_symlinks=False):
                    name = entry.name
                    if name.startswith(name_prefix) and not _segment_problem(name):
                        pending.append((entry.path, f"{base}{name}/", entered))
                elif entry.is_symlink():
                    _follow(entry, base, name_prefix, found, pending, entered)
    except OSError as err:
        if err.errno not in _UNLISTABLE:
            raise
    return _listable(found, len(base), name_prefix)


def _follow(
    entry: os.DirEntry[str], base: str, name_prefix: str, found: list[str], pending: list[_Pending], entered: Any
) -> None:
    """Sort a symlink found by ``_scan``: a file is a key, a directory is scanned unless it makes a loop."""
    try:
        info = entry.stat()
    except OSError:
        return  # dangling, a loop, or out of reach
    if S_ISREG(info.st_mode):
        found.append(base + entry.name)
    elif S_ISDIR(info.st_mode):
        name, target = entry.name, (info.st_dev, info.st_ino)
        if name.startswith(name_prefix) and not _segment_problem(name) and target not in entered:
            pending.append((entry.path, f"{base}{name}/", (*entered, target)))


def _listable(found: list[str], start: int, name_prefix: str) -> list[str]:
    """The keys of ``found`` whose names (from ``start`` on) are valid keys starting with ``name_prefix``.

    One test of the joined keys spares the common listing (ASCII names, no backslash, no
    temporary file) a test per name.
    """
    joined = "/".join(found)
    if name_prefix or "\\" in joined or RESERVED_SEGMENT_PREFIX in joined or not joined.isascii():
        return [
            key for key in found if key.startswith(name_prefix, start) and not _segment_problem(key[start:])
        ]
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

