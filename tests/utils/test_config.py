"""Every decorator loads from YAML by its type name, with the seed's multi-base forms."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from storage import aioutils, utils
from storage.config import load_store
from storage.errors import ConfigError

if sys.version_info >= (3, 10):
    from importlib.metadata import entry_points
else:
    from importlib_metadata import entry_points


def test_every_class_is_registered_under_its_name() -> None:
    registered = {ep.name: ep.value for ep in entry_points(group="storage.backends")}
    for module, name in ((utils, "storage.utils"), (aioutils, "storage.aioutils")):
        for attribute in module.__all__:
            if attribute.endswith("Store") and isinstance(getattr(module, attribute), type):
                assert registered[attribute] == f"{name}:{attribute}"


def test_caching_store_from_yaml() -> None:
    store = load_store({
        "stores": {
            "main": {"type": "DictStore"},
            "memory": {"type": "DictStore"},
            "cached": {
                "type": "CachingStore",
                "base": {"main_store": "main", "cache_store": "memory"},
                "config": {"max_items": 10, "ttl": 60},
            },
        },
        "main": "cached",
    })
    assert isinstance(store, utils.CachingStore) and store.index.max_items == 10
    with store:
        store.put("k", b"v")
        assert store.cache_store.get("k") == b"v"  # type: ignore[attr-defined]


def test_mirroring_store_from_yaml_with_shared_base() -> None:
    store = load_store({
        "stores": {
            "a": {"type": "DictStore"},
            "b": {"type": "DictStore"},
            "prefixed": {"type": "PrefixStore", "base": "a", "config": {"prefix": "p/"}},
            "mirror": {"type": "MirroringStore", "base": ["prefixed", "b", "a"]},
        },
        "main": "mirror",
    })
    assert isinstance(store, utils.MirroringStore)
    with store:
        store.put("k", b"v")
    assert sorted(store.children[2].objects) == ["k", "p/k"]  # type: ignore[attr-defined]


def test_async_stack_from_yaml() -> None:
    store = load_store({
        "stores": {
            "d": {"type": "AsyncDictStore"},
            "e": {"type": "AsyncDictStore"},
            "g": {"type": "AsyncGzipStore", "base": "d"},
            "f": {"type": "AsyncFanoutStore", "base": ["g", "e"]},
            "m": {"type": "AsyncMirroringStore", "base": ["f"]},
        },
        "main": "m",
    })

    async def scenario() -> Any:
        async with store:
            await store.put("k", b"v")
            return await store.get("k")

    assert asyncio.run(scenario()) == b"v"


@pytest.mark.parametrize(("definition", "field"), [
    ({"type": "WriteonlyStore", "base": "ro"}, "base"),
    ({"type": "CachingStore", "base": {"main_store": "d", "cache_store": "ro"}}, "base"),
    ({"type": "PrefixStore", "base": "d"}, "config.prefix"),
    ({"type": "PrefixStore", "base": "d", "config": {"prefix": "p", "bogus": 1}}, "config.bogus"),
    ({"type": "HashPrefixStore", "base": "d", "config": {"hash_length": 99}}, "hash_length"),
])
def test_impossible_stacks_refused_at_load(definition: dict[str, Any], field: str) -> None:
    config = {
        "stores": {"d": {"type": "DictStore"}, "ro": {"type": "ReadonlyStore", "base": "d"}, "top": definition},
        "main": "top",
    }
    with pytest.raises(ConfigError) as caught:
        load_store(config)
    assert field in str(caught.value)


def test_validate_stack_message_names_layers() -> None:
    with pytest.raises(ConfigError) as caught:
        load_store({
            "stores": {"d": {"type": "DictStore"}, "ro": {"type": "ReadonlyStore", "base": "d"},
                       "wo": {"type": "WriteonlyStore", "base": "ro"}},
            "main": "wo",
        })
    assert "WriteonlyStore needs its store to write" in str(caught.value)
    assert "ReadonlyStore() -> DictStore" in str(caught.value)
