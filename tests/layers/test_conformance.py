"""The conformance kit over every layer of issue 10, sync and async, over dict and filesystem stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from tests.layers._support import HEX_KEY

from storage import aioutils, utils
from storage.aiofs import AsyncFilesystemStore
from storage.fs import FilesystemStore
from storage.object import AsyncDictStore, DictStore
from storage.testing import AsyncObjectStoreTests, ObjectStoreTests
from storage.utils._meter import Recorder

Factory = Callable[[Any, Callable[[], Any]], Any]


def _queued_metrics(store: Any) -> utils.MetricsStore:
    """A MetricsStore whose recorder does not export (as without OpenTelemetry): gets and puts queue their figures."""
    metered = utils.MetricsStore(store, "kit")
    recorder = Recorder("kit", 1024)
    recorder._telemetry = False
    metered.metrics = recorder
    return metered


SYNC: dict[str, Factory] = {
    "Retry": lambda s, new: utils.RetryStore(s, attempts=2, backoff=0),
    "Timeout": lambda s, new: utils.TimeoutStore(s, 30),
    "Limit": lambda s, new: utils.ConcurrencyLimitStore(s, 2),
    "Metrics": lambda s, new: utils.MetricsStore(s, "kit"),
    "MetricsQueued": lambda s, new: _queued_metrics(s),
    "RoutingGlob": lambda s, new: utils.RoutingStore({"dir/**": new(), "*": new()}, default=s),
    "RoutingRegex": lambda s, new: utils.RoutingStore({"^dir/sub/": new()}, default=s, match="regex"),
}

ASYNC: dict[str, Factory] = {
    "Retry": lambda s, new: aioutils.AsyncRetryStore(s, attempts=2, backoff=0),
    "Timeout": lambda s, new: aioutils.AsyncTimeoutStore(s, 30),
    "Limit": lambda s, new: aioutils.AsyncConcurrencyLimitStore(s, 2),
    "Metrics": lambda s, new: aioutils.AsyncMetricsStore(s, "kit"),
    "RoutingGlob": lambda s, new: aioutils.AsyncRoutingStore({"dir/**": new(), "*": new()}, default=s),
    "RoutingRegex": lambda s, new: aioutils.AsyncRoutingStore({"^dir/sub/": new()}, default=s, match="regex"),
}


def _fs(root: Path, kind: type) -> Callable[[], Any]:
    counter = iter(range(100))
    return lambda: kind(root / f"other{next(counter)}")


class TestSyncOverDict(ObjectStoreTests):
    bytes_only = False

    @pytest.fixture(params=sorted(SYNC))
    def store(self, request: pytest.FixtureRequest) -> Any:
        return SYNC[request.param](DictStore(), DictStore)


class TestSyncOverFilesystem(ObjectStoreTests):
    @pytest.fixture(params=sorted(SYNC))
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
        return SYNC[request.param](FilesystemStore(tmp_path / "main"), _fs(tmp_path, FilesystemStore))


class TestAsyncOverDict(AsyncObjectStoreTests):
    bytes_only = False

    @pytest.fixture(params=sorted(ASYNC))
    def store(self, request: pytest.FixtureRequest) -> Any:
        return ASYNC[request.param](AsyncDictStore(), AsyncDictStore)


class TestAsyncOverFilesystem(AsyncObjectStoreTests):
    @pytest.fixture(params=sorted(ASYNC))
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
        return ASYNC[request.param](AsyncFilesystemStore(tmp_path / "main"), _fs(tmp_path, AsyncFilesystemStore))


class TestEncrypting(ObjectStoreTests):
    """Encryption takes bytes only, over any store."""

    @pytest.fixture(params=["dict", "fs"])
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
        inner = DictStore() if request.param == "dict" else FilesystemStore(tmp_path)
        return utils.EncryptingStore(inner, key=HEX_KEY)


class TestAsyncEncrypting(AsyncObjectStoreTests):
    @pytest.fixture(params=["dict", "fs"])
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
        inner = AsyncDictStore() if request.param == "dict" else AsyncFilesystemStore(tmp_path)
        return aioutils.AsyncEncryptingStore(inner, key=HEX_KEY)


class TestStack(ObjectStoreTests):
    """Every layer at once: retry over timeout over limit over metrics over encryption over routing."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> Any:
        routing = utils.RoutingStore({"**/*.json": DictStore()}, default=FilesystemStore(tmp_path))
        layered = utils.MetricsStore(utils.EncryptingStore(routing, key=HEX_KEY))
        return utils.RetryStore(utils.TimeoutStore(utils.ConcurrencyLimitStore(layered, 4), 30), backoff=0)


class TestAsyncStack(AsyncObjectStoreTests):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Any:
        routing = aioutils.AsyncRoutingStore({"**/*.json": AsyncDictStore()}, default=AsyncFilesystemStore(tmp_path))
        layered = aioutils.AsyncMetricsStore(aioutils.AsyncEncryptingStore(routing, key=HEX_KEY))
        limited = aioutils.AsyncConcurrencyLimitStore(layered, 4)
        return aioutils.AsyncRetryStore(aioutils.AsyncTimeoutStore(limited, 30), backoff=0)
