"""Stores the command's tests name in their configurations as ``tests.cli._stores:NAME``."""

from __future__ import annotations

from typing import Any

from storage.errors import UnsupportedOperation
from storage.fs import FilesystemStore
from storage.utils._copyplans import STREAM_THRESHOLD


class StreamOnly(FilesystemStore):
    """A FilesystemStore that refuses to read a large object whole: it must be streamed."""

    def get(self, key: str) -> Any:
        if self.stat(key).size >= STREAM_THRESHOLD:
            raise UnsupportedOperation("large objects are only streamed", store="StreamOnly", operation="get", key=key)
        return super().get(key)
