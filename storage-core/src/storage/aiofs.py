"""Async twins of the filesystem stores; file I/O runs in worker threads."""

from __future__ import annotations

from storage.bridge import SyncBackedAsyncStore
from storage.fs import FilesystemStore, HashdirStore, PathLike

__all__ = ["AsyncFilesystemStore", "AsyncHashdirStore"]


class AsyncFilesystemStore(SyncBackedAsyncStore):
    """The asyncio twin of ``FilesystemStore``."""

    def __init__(self, root_path: PathLike, fsync: bool = False) -> None:
        super().__init__(FilesystemStore(root_path, fsync=fsync))


class AsyncHashdirStore(SyncBackedAsyncStore):
    """The asyncio twin of ``HashdirStore``."""

    def __init__(self, root_path: PathLike, width: int = 2, depth: int = 3, fsync: bool = False) -> None:
        super().__init__(HashdirStore(root_path, width=width, depth=depth, fsync=fsync))
