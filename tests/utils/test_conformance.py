"""The conformance kit over every bytes-in, bytes-out decorator, sync and async, a few stacks, and read-only layers."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import pytest

from storage import aioutils, utils
from storage.aiofs import AsyncFilesystemStore
from storage.fs import FilesystemStore
from storage.object import AsyncDictStore, DictStore
from storage.testing import (
    AsyncObjectStoreTests,
    AsyncReadOnlyObjectStoreTests,
    ObjectStoreTests,
    ReadOnlyObjectStoreTests,
)


def accept_all(key: str) -> None:
    """A validator that accepts every key (module level, so stores holding it pickle)."""


SYNC_DECORATORS: dict[str, Callable[[Any, Callable[[], Any]], Any]] = {
    "Identity": lambda s, new: utils.IdentityStore(s),
    "Transforming": lambda s, new: utils.TransformingStore(s),
    "Gzip": lambda s, new: utils.GzipStore(s),
    "Base64": lambda s, new: utils.Base64Store(s),
    "KeyTransforming": lambda s, new: utils.KeyTransformingStore(s),
    "KeyValidating": lambda s, new: utils.KeyValidatingStore(s, accept_all),
    "RegexValidating": lambda s, new: utils.RegexValidatingStore(s, r"[^\x00]+\Z"),
    "Prefix": lambda s, new: utils.PrefixStore(s, "pre/"),
    "HashPrefix": lambda s, new: utils.HashPrefixStore(s, hash_length=4),
    "UrlEncoding": lambda s, new: utils.UrlEncodingStore(s),
    "RegexRouting": lambda s, new: utils.RegexRoutingStore(s, [("^dir/", "routed/"), ("", None)]),
    "Mirroring": lambda s, new: utils.MirroringStore([s, new()]),
    "Caching": lambda s, new: utils.CachingStore(s, new()),
    "CachingBounded": lambda s, new: utils.CachingStore(s, new(), max_items=3, max_bytes=10_000, ttl=3600),
    "Notifying": lambda s, new: utils.NotifyingStore(s),
    "Logging": lambda s, new: utils.LoggingStore(s),
}

ASYNC_DECORATORS: dict[str, Callable[[Any, Callable[[], Any]], Any]] = {
    "Identity": lambda s, new: aioutils.AsyncIdentityStore(s),
    "Transforming": lambda s, new: aioutils.AsyncTransformingStore(s),
    "Gzip": lambda s, new: aioutils.AsyncGzipStore(s),
    "Base64": lambda s, new: aioutils.AsyncBase64Store(s),
    "KeyTransforming": lambda s, new: aioutils.AsyncKeyTransformingStore(s),
    "KeyValidating": lambda s, new: aioutils.AsyncKeyValidatingStore(s, accept_all),
    "RegexValidating": lambda s, new: aioutils.AsyncRegexValidatingStore(s, r"[^\x00]+\Z"),
    "Prefix": lambda s, new: aioutils.AsyncPrefixStore(s, "pre/"),
    "HashPrefix": lambda s, new: aioutils.AsyncHashPrefixStore(s, hash_length=4),
    "UrlEncoding": lambda s, new: aioutils.AsyncUrlEncodingStore(s),
    "RegexRouting": lambda s, new: aioutils.AsyncRegexRoutingStore(s, [("^dir/", "routed/"), ("", None)]),
    "Fanout": lambda s, new: aioutils.AsyncFanoutStore([s, new()]),
    "Caching": lambda s, new: aioutils.AsyncCachingStore(s, new()),
    "CachingBounded": lambda s, new: aioutils.AsyncCachingStore(s, new(), max_items=3, max_bytes=10_000, ttl=3600),
    "Notifying": lambda s, new: aioutils.AsyncNotifyingStore(s),
    "Logging": lambda s, new: aioutils.AsyncLoggingStore(s),
}


class TestSyncOverDict(ObjectStoreTests):
    bytes_only = False

    @pytest.fixture(params=sorted(SYNC_DECORATORS))
    def store(self, request: pytest.FixtureRequest) -> Any:
        return SYNC_DECORATORS[request.param](DictStore(), DictStore)


class TestSyncOverFilesystem(ObjectStoreTests):
    @pytest.fixture(params=sorted(SYNC_DECORATORS))
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
        counter = iter(range(100))
        return SYNC_DECORATORS[request.param](
            FilesystemStore(tmp_path / "main"), lambda: FilesystemStore(tmp_path / f"other{next(counter)}")
        )


class TestAsyncOverDict(AsyncObjectStoreTests):
    bytes_only = False

    @pytest.fixture(params=sorted(ASYNC_DECORATORS))
    def store(self, request: pytest.FixtureRequest) -> Any:
        return ASYNC_DECORATORS[request.param](AsyncDictStore(), AsyncDictStore)


class TestAsyncOverFilesystem(AsyncObjectStoreTests):
    @pytest.fixture(params=sorted(ASYNC_DECORATORS))
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
        counter = iter(range(100))
        return ASYNC_DECORATORS[request.param](
            AsyncFilesystemStore(tmp_path / "main"), lambda: AsyncFilesystemStore(tmp_path / f"other{next(counter)}")
        )


STACKS: dict[str, Callable[[Path], Any]] = {
    "gzip/prefix/fs": lambda p: utils.GzipStore(utils.PrefixStore(FilesystemStore(p), "p/")),
    "prefix/hashprefix/fs": lambda p: utils.PrefixStore(utils.HashPrefixStore(FilesystemStore(p)), "a/b/"),
    "cache(gzip/fs, dict)": lambda p: utils.CachingStore(utils.GzipStore(FilesystemStore(p)), DictStore()),
    "mirror(prefix/fs, urlenc/fs)": lambda p: utils.MirroringStore(
        [utils.PrefixStore(FilesystemStore(p), "x/"), utils.UrlEncodingStore(FilesystemStore(p / "u"))]
    ),
    "base64/logging/prefix/dict": lambda p: utils.Base64Store(utils.LoggingStore(utils.PrefixStore(DictStore(), "q"))),
}


class TestStacks(ObjectStoreTests):
    @pytest.fixture(params=sorted(STACKS))
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
        return STACKS[request.param](tmp_path)


class TestAsyncStack(AsyncObjectStoreTests):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Any:
        return aioutils.AsyncGzipStore(aioutils.AsyncPrefixStore(AsyncFilesystemStore(tmp_path), "p/"))


class TestReadonlyOverDict(ReadOnlyObjectStoreTests):
    @pytest.fixture
    def make_store(self) -> Callable[[Mapping[str, bytes]], Any]:
        return lambda content: utils.ReadonlyStore(DictStore(dict(content)))


class TestReadonlyOverFilesystem(ReadOnlyObjectStoreTests):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Callable[[Mapping[str, bytes]], Any]:
        def build(content: Mapping[str, bytes]) -> Any:
            with FilesystemStore(tmp_path) as writer:
                writer.put_many(content)
            return utils.ReadonlyStore(FilesystemStore(tmp_path))

        return build


class TestAsyncReadonlyOverDict(AsyncReadOnlyObjectStoreTests):
    @pytest.fixture
    def make_store(self) -> Callable[[Mapping[str, bytes]], Any]:
        return lambda content: aioutils.AsyncReadonlyStore(AsyncDictStore(dict(content)))
