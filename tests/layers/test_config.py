"""Every layer from YAML through storage.config.load_store, and the load-time stack checks."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.layers._support import HEX_KEY

from storage import aioutils, utils
from storage.config import load_store
from storage.errors import ConfigError

LAYERED = """
stores:
  files:
    type: FilesystemStore
    config: {root_path: "${ROOT}/files"}
  json_store:
    type: DictStore
  logs:
    type: GzipStore
    base: log_files
  log_files:
    type: FilesystemStore
    config: {root_path: "${ROOT}/logs"}
  routed:
    type: RoutingStore
    base: {routes: {"*.json": json_store, "logs/**": logs}, default: files}
  sealed:
    type: EncryptingStore
    base: routed
    config: {key_env: TEST_LAYER_KEY}
  measured:
    type: MetricsStore
    base: sealed
    config: {name: layered}
  limited:
    type: ConcurrencyLimitStore
    base: measured
    config: {max_concurrency: 4}
  timed:
    type: TimeoutStore
    base: limited
    config: {seconds: 10}
  main:
    type: RetryStore
    base: timed
    config: {attempts: 5, backoff: 0.05, max_delay: 1, jitter: true}
main: main
"""


def _config(text: str) -> dict[str, Any]:
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def test_a_stack_of_every_layer_loads_and_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_LAYER_KEY", HEX_KEY)
    with load_store(_config(LAYERED), environ={"ROOT": str(tmp_path)}) as store:
        assert isinstance(store, utils.RetryStore) and store.attempts == 5
        store.put("a.json", b"{}")
        store.put("logs/1", b"line")
        store.put("x", b"file")
        assert sorted(store.keys()) == ["a.json", "logs/1", "x"]
        assert store.get("logs/1") == b"line"
        assert not (tmp_path / "files" / "a.json").exists()
        assert (tmp_path / "files" / "x").read_bytes()[:5] == b"SENC\x01"
        measured = store.store.store.store
        assert measured.snapshot()["operations"]["put"]["count"] == 3


def test_async_layers_load_from_yaml() -> None:
    config = {
        "stores": {
            "a": {"type": "AsyncDictStore"},
            "b": {"type": "AsyncDictStore"},
            "r": {"type": "AsyncRoutingStore", "base": {"routes": {"^tmp/": "a"}, "default": "b"},
                  "config": {"match": "regex"}},
            "e": {"type": "AsyncEncryptingStore", "base": "r", "config": {"key": HEX_KEY}},
            "m": {"type": "AsyncMetricsStore", "base": "e"},
            "l": {"type": "AsyncConcurrencyLimitStore", "base": "m", "config": {"max_concurrency": 1}},
            "t": {"type": "AsyncTimeoutStore", "base": "l", "config": {"seconds": 5}},
            "main": {"type": "AsyncRetryStore", "base": "t"},
        },
        "main": "main",
    }
    store = load_store(config)
    assert isinstance(store, aioutils.AsyncRetryStore)

    async def scenario() -> None:
        async with store:
            await store.put("tmp/1", b"1")
            assert [key async for key in store.keys()] == ["tmp/1"]

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        ({"type": "RetryStore", "base": "d", "config": {"attempts": 0}}, "config"),
        ({"type": "TimeoutStore", "base": "d"}, "config.seconds"),
        ({"type": "TimeoutStore", "base": "d", "config": {"seconds": 1, "retry": 2}}, "config.retry"),
        (
            {"type": "ConcurrencyLimitStore", "base": "d", "config": {"max_concurrency": "many"}},
            "config.max_concurrency",
        ),
        ({"type": "RoutingStore", "base": {"routes": {"(": "d"}}, "config": {"match": "regex"}}, "config"),
        ({"type": "EncryptingStore", "base": "d", "config": {"key": "short"}}, "config"),
        ({"type": "EncryptingStore", "base": "d"}, "config"),
    ],
)
def test_mistakes_are_config_errors_naming_store_and_field(definition: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_store({"stores": {"d": {"type": "DictStore"}, "layer": definition}, "main": "layer"})
    assert "'layer'" in str(caught.value) and f"'{field}'" in str(caught.value)
    assert "short" not in str(caught.value).split("field")[0]


def _stack(stores: dict[str, Any], main: str) -> Any:
    return load_store({"stores": stores, "main": main})


def test_a_cache_that_cannot_write_is_refused_naming_every_layer() -> None:
    with pytest.raises(ConfigError) as caught:
        _stack({
            "main_store": {"type": "DictStore"},
            "frozen": {"type": "DictStore"},
            "ro": {"type": "ReadonlyStore", "base": "frozen"},
            "routed": {"type": "RoutingStore", "base": {"routes": {"*": "ro"}, "default": "ro"}},
            "sealed": {"type": "EncryptingStore", "base": "routed", "config": {"key": HEX_KEY}},
            "cached": {"type": "CachingStore", "base": {"main_store": "main_store", "cache_store": "sealed"}},
        }, "cached")
    message = str(caught.value)
    for layer in ("CachingStore", "EncryptingStore", "RoutingStore", "ReadonlyStore"):
        assert layer in message
    assert HEX_KEY not in message


def test_write_only_over_read_only_through_layers_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        _stack({
            "d": {"type": "DictStore"},
            "ro": {"type": "ReadonlyStore", "base": "d"},
            "m": {"type": "MetricsStore", "base": "ro"},
            "r": {"type": "RetryStore", "base": "m"},
            "wo": {"type": "WriteonlyStore", "base": "r"},
        }, "wo")
    assert all(name in str(caught.value) for name in ("WriteonlyStore", "RetryStore", "MetricsStore", "ReadonlyStore"))


def test_a_read_only_route_beside_a_writable_default_is_fine(tmp_path: Path) -> None:
    store = _stack({
        "archive": {"type": "HashdirStore", "config": {"root_path": str(tmp_path)}},
        "ro": {"type": "ReadonlyStore", "base": "archive"},
        "live": {"type": "DictStore"},
        "routed": {"type": "RoutingStore", "base": {"routes": {"archive/**": "ro"}, "default": "live"}},
        "cached": {"type": "CachingStore", "base": {"main_store": "live", "cache_store": "routed"}},
    }, "cached")
    assert store.capabilities.write
    assert not store.cache_store.capabilities.listing
