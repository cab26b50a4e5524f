"""RoutingStore and AsyncRoutingStore: glob and regex routes, defaults, merged listings, capabilities."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from storage.aioutils import AsyncRoutingStore
from storage.errors import ConfigError, InvalidKey, UnsupportedOperation
from storage.fs import FilesystemStore, HashdirStore
from storage.object import AsyncDictStore, DictStore
from storage.utils import ReadonlyStore, RoutingStore
from storage.utils._routes import glob_to_regex


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("*.json", ["a.json", ".json"], ["d/a.json", "a.jsonx"]),
        ("logs/**", ["logs/a", "logs/a/b/c"], ["logs", "xlogs/a"]),
        ("**/*.json", ["a.json", "x/y/a.json"], ["a.txt", "x/a.txt"]),
        ("d?/x", ["d1/x"], ["d/x", "d//x", "d12/x"]),
        ("[ab]*", ["a", "bz"], ["c", "a/b"]),
        ("[!ab]*", ["c"], ["a", "/x"]),
        ("a+b(c)", ["a+b(c)"], ["aab(c)"]),
        ("[unclosed", ["[unclosed"], ["u"]),
    ],
)
def test_glob_semantics(pattern: str, matches: list[str], misses: list[str]) -> None:
    regex = re.compile(glob_to_regex(pattern), re.S)
    assert [key for key in matches if regex.match(key)] == matches
    assert [key for key in misses if regex.match(key)] == []


def _three() -> tuple[RoutingStore, DictStore, DictStore, DictStore]:
    json_store, logs, files = DictStore(), DictStore(), DictStore()
    store = RoutingStore({"*.json": json_store, "logs/**": logs, "**/*.json": logs}, default=files)
    return store, json_store, logs, files


def test_first_matching_route_wins_else_default() -> None:
    store, json_store, logs, files = _three()
    store.put_many({"a.json": b"1", "logs/x.json": b"2", "logs/day/1": b"3", "other": b"4", "d/b.json": b"5"})
    assert sorted(json_store.keys()) == ["a.json"]
    assert sorted(logs.keys()) == ["d/b.json", "logs/day/1", "logs/x.json"]
    assert sorted(files.keys()) == ["other"]
    assert store.get("logs/day/1") == b"3" and store.exists("other")
    store.delete("a.json")
    assert not json_store.exists("a.json")


def test_listing_merges_each_targets_own_keys() -> None:
    store, json_store, _, files = _three()
    store.put_many({"a.json": b"1", "logs/1": b"2", "z": b"3"})
    files.put("stray.json", b"not routed to files")
    json_store.put("logs/2", b"belongs to logs")
    assert sorted(store.keys()) == ["a.json", "logs/1", "z"]
    assert sorted(store.keys("logs/")) == ["logs/1"]
    assert not store.exists("stray.json")


def test_without_default_an_unrouted_key_is_invalid_and_changes_nothing() -> None:
    target = DictStore()
    store = RoutingStore({"data/**": target})
    for call in (lambda: store.put("x", b"1"), lambda: store.get("x"), lambda: store.exists("x"),
                 lambda: store.delete("x")):
        with pytest.raises(InvalidKey) as caught:
            call()
        assert "no route" in str(caught.value) and "'x'" in str(caught.value)
    assert list(target.keys()) == []


def test_regex_routes_use_search() -> None:
    images, rest = DictStore(), DictStore()
    store = RoutingStore({r"\.(png|jpg)$": images}, default=rest, match="regex")
    store.put("a/b.png", b"1")
    store.put("a/png", b"2")
    assert list(images.keys()) == ["a/b.png"] and list(rest.keys()) == ["a/png"]


def test_capabilities_any_target_for_writes_all_targets_for_listing(tmp_path: Path) -> None:
    mixed = RoutingStore({"archive/**": ReadonlyStore(DictStore())}, default=DictStore())
    assert mixed.capabilities.write and mixed.capabilities.listing
    with pytest.raises(UnsupportedOperation):
        mixed.put("archive/x", b"1")
    mixed.put("new", b"1")
    read_only = RoutingStore({"*": ReadonlyStore(DictStore())}, default=ReadonlyStore(DictStore()))
    assert not read_only.capabilities.write and read_only.capabilities.read
    unlisted = RoutingStore({"h/**": HashdirStore(tmp_path)}, default=DictStore())
    assert not unlisted.capabilities.listing
    with pytest.raises(UnsupportedOperation) as caught:
        list(unlisted.keys())
    assert "routes['h/**']" in str(caught.value)


def test_a_store_behind_several_routes_is_one_child() -> None:
    shared = DictStore()
    store = RoutingStore({"a/*": shared, "b/*": shared}, default=shared)
    assert store.wrapped() == [("routes['a/*', 'b/*']+default", shared)]
    store.put_many({"a/1": b"1", "b/1": b"2", "c": b"3"})
    assert sorted(store.keys()) == ["a/1", "b/1", "c"]


@pytest.mark.parametrize(
    ("routes", "options"),
    [({}, {}), ({"(": DictStore()}, {"match": "regex"}), ({"*": DictStore()}, {"match": "fnmatch"}),
     ([("*", DictStore())], {}), ({5: DictStore()}, {})],
)
def test_bad_routes_are_config_errors(routes: Any, options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        RoutingStore(routes, **options)


def test_bad_prefix_is_invalid_key() -> None:
    with pytest.raises(InvalidKey):
        list(RoutingStore({}, default=DictStore()).keys(5))  # type: ignore[arg-type]


def test_async_twin_routes_and_lists() -> None:
    json_store, files = AsyncDictStore(), AsyncDictStore()
    store = AsyncRoutingStore({"*.json": json_store}, default=files)

    async def scenario() -> None:
        await store.put("a.json", b"1")
        await store.put("b", b"2")
        await files.put("c.json", b"stray")
        assert await json_store.exists("a.json") and await store.get("b") == b"2"
        assert sorted([key async for key in store.keys()]) == ["a.json", "b"]

    asyncio.run(scenario())


class _Moves(DictStore):
    """A DictStore recording the copies and renames it is asked for."""

    CAPABILITIES = DictStore.CAPABILITIES.replace(native_copy=True)

    def __init__(self) -> None:
        super().__init__()
        self.moves: list[tuple[str, str, str]] = []

    def copy(self, source: str, target: str) -> None:
        self.moves.append(("copy", source, target))
        super().copy(source, target)

    def rename(self, source: str, target: str) -> None:
        self.moves.append(("rename", source, target))
        self.objects[target] = self.objects.pop(source)


def test_copy_and_rename_within_one_target_are_its_own_across_targets_derived() -> None:
    json_store, files = _Moves(), _Moves()
    store = RoutingStore({"*.json": json_store}, default=files)
    store.put_many({"a.json": b"1", "x": b"2"})
    store.copy("a.json", "b.json")
    store.rename("b.json", "c.json")
    store.copy("x", "y.json")
    store.rename("y.json", "z")
    assert json_store.moves == [("copy", "a.json", "b.json"), ("rename", "b.json", "c.json")]
    assert files.moves == []
    assert json_store.objects == {"a.json": b"1", "c.json": b"1"} and files.objects == {"x": b"2", "z": b"2"}
    assert not store.capabilities.native_copy
    assert RoutingStore({"*.json": json_store}, default=json_store).capabilities.native_copy


def test_stat_ranges_and_streams_go_to_the_keys_store(tmp_path: Path) -> None:
    files, other = FilesystemStore(tmp_path / "f"), FilesystemStore(tmp_path / "o")
    store = RoutingStore({"logs/**": files}, default=other)
    with store.open_write("logs/a") as writer:
        writer.write(b"0123456789")
    assert files.get("logs/a") == b"0123456789" and not other.exists("logs/a")
    assert store.stat("logs/a") == files.stat("logs/a") and store.stat("logs/a").modified is not None
    assert store.get_range("logs/a", 3, 5) == b"34"
    with store.open_read("logs/a") as reader:
        assert reader.read(4) == b"0123"
    caps = store.capabilities
    assert caps.native_metadata and caps.native_range and not caps.native_copy
    assert not RoutingStore({"logs/**": files}, default=DictStore()).capabilities.native_metadata


def test_async_twin_forwards_within_one_target() -> None:
    class Moves(AsyncDictStore):
        async def copy(self, source: str, target: str) -> None:
            moves.append((source, target))
            await super().copy(source, target)

    moves: list[tuple[str, str]] = []
    json_store, files = Moves({"a.json": b"1"}), AsyncDictStore()
    store = AsyncRoutingStore({"*.json": json_store}, default=files)

    async def scenario() -> None:
        await store.copy("a.json", "b.json")
        await store.rename("b.json", "c")
        assert (await store.stat("c")).size == 1 and await store.get_range("a.json", 0, 1) == b"1"
        writer = await store.open_write("d.json")
        await writer.write(b"w")
        await writer.close()

    asyncio.run(scenario())
    assert moves == [("a.json", "b.json")]
    assert json_store.objects == {"a.json": b"1", "d.json": b"w"} and files.objects == {"c": b"1"}
