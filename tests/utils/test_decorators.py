"""Behaviour of the decorators beyond the conformance kit: the seed's flaws fixed, errors typed."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage import aioutils, utils
from storage.errors import (
    ConfigError,
    IntegrityError,
    InvalidKey,
    InvalidValue,
    KeyRejected,
    ObjectNotFound,
    PartialFailure,
    StoreError,
    StoreUnavailable,
    UnsupportedOperation,
)
from storage.object import AsyncDictStore, DictStore


class Failing(DictStore):
    """A DictStore whose listed operations raise ``error``."""

    def __init__(self, error: Exception, operations: tuple[str, ...] = ("get", "put", "exists", "delete")) -> None:
        super().__init__()
        self.error = error
        self.failing = operations

    def _maybe_fail(self, operation: str) -> None:
        if operation in self.failing:
            raise self.error

    def get(self, key: str) -> Any:
        self._maybe_fail("get")
        return super().get(key)

    def put(self, key: str, data: Any) -> None:
        self._maybe_fail("put")
        super().put(key, data)

    def exists(self, key: str) -> bool:
        self._maybe_fail("exists")
        return super().exists(key)

    def delete(self, key: str) -> None:
        self._maybe_fail("delete")
        super().delete(key)


# Value round trips -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["plain", "ünïcødé ✓ 日本語 😀", ""])
def test_text_round_trip(text: str) -> None:
    base = DictStore()
    store = utils.TextEncodingStore(base, encoding="utf-8")
    store.put("k", text)
    assert store.get("k") == text
    assert base.objects["k"] == text.encode("utf-8")


def test_text_other_encoding_and_refusals() -> None:
    base = DictStore()
    store = utils.TextEncodingStore(base, encoding="latin-1")
    store.put("k", "café")
    assert base.objects["k"] == "café".encode("latin-1")
    with pytest.raises(InvalidValue):
        store.put("k", "日本")
    with pytest.raises(InvalidValue):
        store.put("k", b"bytes")
    assert store.get("k") == "café"
    with pytest.raises(ConfigError):
        utils.TextEncodingStore(base, encoding="no-such-codec")


def test_text_undecodable_is_integrity_error() -> None:
    store = utils.TextEncodingStore(DictStore({"k": b"\xff\xfe"}))
    with pytest.raises(IntegrityError) as caught:
        store.get("k")
    assert "'k'" in str(caught.value)


def test_json_round_trip_nested() -> None:
    value = {"a": [1, 2.5, None, True], "nested": {"ü": ["日本", {"deep": []}]}, "s": "😀"}
    store = utils.JsonStore(DictStore())
    store.put("doc", value)
    assert store.get("doc") == value
    with pytest.raises(InvalidValue):
        store.put("bad", {"x": object()})
    assert not store.exists("bad")


def test_json_corrupt_is_integrity_error() -> None:
    with pytest.raises(IntegrityError):
        utils.JsonStore(DictStore({"k": b"{not json"})).get("k")


def test_buffer_round_trip() -> None:
    store = utils.BufferStore(DictStore())
    store.put("k", io.BytesIO("ünï".encode()))
    result = store.get("k")
    assert isinstance(result, io.BytesIO)
    assert result.read() == "ünï".encode()
    with pytest.raises(InvalidValue):
        store.put("k", b"not a buffer")
    with pytest.raises(InvalidValue):
        store.put("k", io.StringIO("text"))


def test_gzip_and_base64_store_transformed_bytes() -> None:
    base = DictStore()
    utils.GzipStore(base).put("g", b"x" * 1000)
    assert len(base.objects["g"]) < 100
    utils.Base64Store(base).put("b", b"\x00\xff")
    assert base.objects["b"] == b"AP8="
    with pytest.raises(IntegrityError):
        utils.GzipStore(DictStore({"k": b"not gzip"})).get("k")
    with pytest.raises(IntegrityError):
        utils.Base64Store(DictStore({"k": b"***"})).get("k")


def test_async_value_round_trips() -> None:
    async def scenario() -> None:
        text = aioutils.AsyncTextEncodingStore(AsyncDictStore())
        await text.put("k", "ünï 😀")
        assert await text.get("k") == "ünï 😀"
        doc = aioutils.AsyncJsonStore(AsyncDictStore())
        await doc.put("k", {"a": {"b": ["ü"]}})
        assert await doc.get("k") == {"a": {"b": ["ü"]}}
        buf = aioutils.AsyncBufferStore(AsyncDictStore())
        await buf.put("k", io.BytesIO(b"abc"))
        assert (await buf.get("k")).read() == b"abc"
        big = aioutils.AsyncGzipStore(AsyncDictStore())
        await big.put("k", b"y" * 200_000)
        assert await big.get("k") == b"y" * 200_000

    asyncio.run(scenario())


# Key mapping -------------------------------------------------------------------------------


def test_prefix_store_lists_only_its_own_keys() -> None:
    base = DictStore({"p/a": 1, "p/b/c": 2, "other": 3, "pp": 4})
    store = utils.PrefixStore(base, "p/")
    assert sorted(store.keys()) == ["a", "b/c"]
    assert list(store.keys("b")) == ["b/c"]
    store.put("new", 5)
    assert base.objects["p/new"] == 5
    assert repr(store) == "PrefixStore('p/') -> DictStore(<5 objects>)"


def test_prefix_pushed_down() -> None:
    seen: list[str] = []

    class Recording(DictStore):
        def keys(self, prefix: str = "") -> Any:
            seen.append(prefix)
            return super().keys(prefix)

    list(utils.PrefixStore(utils.UrlEncodingStore(Recording()), "p/").keys("a b"))
    assert seen == ["p/a%20b"]


def test_hash_prefix_store() -> None:
    base = DictStore()
    store = utils.HashPrefixStore(base, hash_length=6, separator="/")
    store.put("dir/key", b"v")
    (stored,) = base.objects
    assert len(stored.split("/")[0]) == 6 and stored.endswith("/dir/key")
    base.put("foreign", b"x")
    base.put("abcdef/forged", b"x")
    assert list(store.keys()) == ["dir/key"]
    assert list(store.keys("dir/")) == ["dir/key"]
    with pytest.raises(ConfigError):
        utils.HashPrefixStore(base, hash_length=0)


def test_url_encoding_store() -> None:
    base = DictStore()
    store = utils.UrlEncodingStore(base)
    store.put("a b/c?d", b"v")
    assert list(base.objects) == ["a%20b/c%3Fd"]
    assert list(store.keys()) == ["a b/c?d"]


#: Keys of any text, with the characters that matter to the mappings (``/``, ``%``, spaces) likely.
_ANY_KEYS = st.text(alphabet=st.one_of(st.sampled_from("/%aZ9_.-~ ?é"), st.characters()), min_size=1)


@given(_ANY_KEYS)
def test_url_encoding_stores_each_segment_quoted(key: str) -> None:
    mapping = utils.UrlEncodingKeyTransformer()
    try:
        expected = "/".join(quote(part, safe="") for part in key.split("/"))
    except UnicodeEncodeError:
        return
    assert mapping.transform_key(key) == expected
    assert mapping.reverse_transform_key(expected) == key


@given(_ANY_KEYS)
def test_url_encoding_refuses_stored_keys_it_did_not_make(stored: str) -> None:
    mapping = utils.UrlEncodingKeyTransformer()
    try:
        key = mapping.reverse_transform_key(stored)
    except ValueError:
        return
    assert mapping.transform_key(key) == stored


@given(_ANY_KEYS)
def test_hash_prefix_stores_under_the_keys_sha256(key: str) -> None:
    mapping = utils.HashPrefixKeyTransformer(hash_length=5, separator="__")
    try:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    except UnicodeEncodeError:
        return
    assert mapping.transform_key(key) == digest[:5] + "__" + key
    assert mapping.reverse_transform_key(digest[:5] + "__" + key) == key


@pytest.mark.parametrize("store", [
    utils.RegexValidatingStore(DictStore(), r"[a-z]+\Z"),
    utils.UrlValidatingStore(DictStore()),
])
def test_validating_stores_raise_key_rejected(store: Any) -> None:
    for call in (lambda: store.put("BAD KEY", b"v"), lambda: store.get("BAD KEY"),
                 lambda: store.exists("BAD KEY"), lambda: store.delete("BAD KEY")):
        with pytest.raises(KeyRejected) as caught:
            call()
        assert isinstance(caught.value, KeyError) and isinstance(caught.value, InvalidKey)
    assert list(store.store.keys()) == []


def test_url_validating_accepts_urls() -> None:
    store = utils.UrlValidatingStore(DictStore())
    store.put("https://example.org/a", b"v")
    assert store.get("https://example.org/a") == b"v"


def test_key_validating_with_seed_style_validator() -> None:
    def validator(key: str) -> None:
        if key.startswith("_"):
            raise KeyError("private keys refused")

    store = utils.KeyValidatingStore(DictStore(), validator)
    with pytest.raises(KeyError, match="private keys refused"):
        store.put("_x", b"v")
    with pytest.raises(ConfigError):
        utils.RegexValidatingStore(DictStore(), "(")


def test_regex_routing_store() -> None:
    base = DictStore()
    store = utils.RegexRoutingStore(base, [(r"\.jpg$", "images/")])
    store.add_route(r"\.txt$", utils.PrefixKeyTransformer("texts/"))
    store.put("a.jpg", b"1")
    store.put("b.txt", b"2")
    assert sorted(base.objects) == ["images/a.jpg", "texts/b.txt"]
    assert sorted(store.keys()) == ["a.jpg", "b.txt"]
    assert store.exists("c.png") is False
    with pytest.raises(KeyRejected):
        store.put("c.png", b"3")


# Read-only, write-only ---------------------------------------------------------------------


def test_readonly_and_writeonly() -> None:
    base = DictStore({"k": b"v"})
    readonly = utils.ReadonlyStore(base)
    assert readonly.get("k") == b"v"
    for call in (lambda: readonly.put("k", b"w"), lambda: readonly.delete("k")):
        with pytest.raises(UnsupportedOperation):
            call()
    assert base.objects == {"k": b"v"}
    assert not readonly.capabilities.write and not readonly.capabilities.delete
    writeonly = utils.WriteonlyStore(base)
    writeonly.put("n", b"1")
    assert base.objects["n"] == b"1"
    for call in (lambda: writeonly.get("k"), lambda: writeonly.exists("k"), lambda: list(writeonly.keys())):
        with pytest.raises(NotImplementedError):
            call()
    assert not writeonly.capabilities.read and not writeonly.capabilities.listing


def test_readonly_refuses_batch_deletes_as_unsupported() -> None:
    base = DictStore({"k": b"v"})
    with pytest.raises(UnsupportedOperation):
        utils.ReadonlyStore(base).delete_many(["k", "missing"])
    with pytest.raises(UnsupportedOperation):
        asyncio.run(aioutils.AsyncReadonlyStore(AsyncDictStore({"k": b"v"})).delete_many(["k"]))
    assert base.objects == {"k": b"v"}


def test_async_readonly_and_writeonly() -> None:
    async def scenario() -> None:
        readonly = aioutils.AsyncReadonlyStore(AsyncDictStore({"k": b"v"}))
        assert await readonly.get("k") == b"v"
        with pytest.raises(UnsupportedOperation):
            await readonly.put("k", b"w")
        writeonly = aioutils.AsyncWriteonlyStore(AsyncDictStore())
        await writeonly.put("k", b"v")
        with pytest.raises(UnsupportedOperation):
            await writeonly.get("k")

    asyncio.run(scenario())


# Mirroring ---------------------------------------------------------------------------------


def test_mirroring_partial_failure_names_children() -> None:
    good, bad = DictStore(), Failing(StoreUnavailable("down"))
    store = utils.MirroringStore([good, bad])
    with pytest.raises(PartialFailure) as caught:
        store.put("k", b"v")
    error = caught.value
    assert error.succeeded == ["children[0] DictStore"]
    assert list(error.failed) == ["children[1] Failing"]
    assert "children[1] Failing" in str(error) and "succeeded on children[0] DictStore" in str(error)
    assert good.objects == {"k": b"v"}


def test_mirroring_reads_fall_through() -> None:
    down, first, second = Failing(StoreUnavailable("down")), DictStore(), DictStore({"k": b"second"})
    store = utils.MirroringStore([down, first, second])
    assert store.get("k") == b"second"
    assert store.exists("k")
    with pytest.raises(StoreUnavailable):
        store.get("missing")
    assert utils.MirroringStore([first, second]).exists("missing") is False
    with pytest.raises(ObjectNotFound):
        utils.MirroringStore([first, second]).get("missing")


def test_mirroring_delete_and_keys() -> None:
    first, second = DictStore({"a": 1}), DictStore({"a": 1, "b": 2})
    store = utils.MirroringStore([first, second])
    assert sorted(store.keys()) == ["a", "b"]
    store.delete("b")
    assert "b" not in second.objects
    with pytest.raises(ObjectNotFound):
        store.delete("b")
    with pytest.raises(ConfigError):
        utils.MirroringStore([])


def test_fanout_writes_concurrently_and_reports() -> None:
    started: list[str] = []

    class Slow(AsyncDictStore):
        async def put(self, key: str, data: Any) -> None:
            started.append(key)
            await asyncio.sleep(0)
            assert len(started) == 2, "both children start before either finishes"
            await super().put(key, data)

    class Down(AsyncDictStore):
        async def put(self, key: str, data: Any) -> None:
            raise StoreUnavailable("down")

    async def scenario() -> None:
        store = aioutils.AsyncFanoutStore([Slow(), Slow()])
        await store.put("k", b"v")
        assert await store.get("k") == b"v"
        partial = aioutils.AsyncMirroringStore([AsyncDictStore(), Down()])
        with pytest.raises(PartialFailure) as caught:
            await partial.put("k", b"v")
        assert caught.value.succeeded == ["children[0] AsyncDictStore"]

    asyncio.run(scenario())


# Caching -----------------------------------------------------------------------------------


def test_caching_read_through_write_through_invalidate() -> None:
    main, cache = DictStore({"k": b"v"}), DictStore()
    store = utils.CachingStore(main, cache)
    assert store.get("k") == b"v" and cache.objects == {"k": b"v"}
    store.put("n", b"1")
    assert main.objects["n"] == cache.objects["n"] == b"1"
    store.delete("n")
    assert "n" not in main.objects and "n" not in cache.objects
    cache.objects["stale"] = b"x"
    with pytest.raises(ObjectNotFound):
        store.delete("stale")
    assert "stale" not in cache.objects


def test_caching_lru_bounds() -> None:
    main, cache = DictStore({f"k{i}": b"x" * 10 for i in range(5)}), DictStore()
    store = utils.CachingStore(main, cache, max_items=2)
    for key in ("k0", "k1", "k0", "k2"):
        store.get(key)
    assert sorted(cache.objects) == ["k0", "k2"]
    by_size = utils.CachingStore(main, DictStore(), max_bytes=25)
    for key in ("k0", "k1", "k2"):
        by_size.get(key)
    assert sorted(by_size.cache_store.objects) == ["k1", "k2"]  # type: ignore[attr-defined]
    with pytest.raises(ConfigError):
        utils.CachingStore(main, cache, max_items=0)


def test_caching_ttl() -> None:
    now = [0.0]
    main, cache = DictStore({"k": b"old"}), DictStore()
    store = utils.CachingStore(main, cache, ttl=10)
    store.index.clock = lambda: now[0]
    assert store.get("k") == b"old"
    main.objects["k"] = b"new"
    assert store.get("k") == b"old"
    now[0] = 11
    assert store.get("k") == b"new"


def test_failing_cache_never_fails_a_read(caplog: pytest.LogCaptureFixture) -> None:
    main = DictStore({"k": b"v"})
    store = utils.CachingStore(main, Failing(StoreUnavailable("cache down")))
    with caplog.at_level(logging.WARNING, "storage.utils.caching"):
        assert store.get("k") == b"v"
        assert store.exists("k")
        store.put("n", b"1")
    assert main.objects["n"] == b"1"
    assert "bypassing the cache" in caplog.text


def test_caching_clear() -> None:
    main, cache = DictStore({"a": 1, "b": 2}), DictStore()
    store = utils.CachingStore(main, cache)
    store.get("a")
    store.get("b")
    store.clear("a")
    assert list(cache.objects) == ["b"]
    store.clear()
    assert cache.objects == {} and len(main.objects) == 2


def test_async_caching() -> None:
    async def scenario() -> None:
        main, cache = AsyncDictStore({"k": b"v"}), AsyncDictStore()
        store = aioutils.AsyncCachingStore(main, cache, max_items=1)
        assert await store.get("k") == b"v"
        assert cache.objects == {"k": b"v"}
        await store.clear()
        assert cache.objects == {}

    asyncio.run(scenario())


# Logging and notifying ----------------------------------------------------------------------


def test_logging_store_wording(caplog: pytest.LogCaptureFixture) -> None:
    store = utils.LoggingStore(DictStore(), store_name="mystore")
    with caplog.at_level(logging.INFO, "storage.utils.logging"):
        store.put("k", b"secret-data")
        with pytest.raises(ObjectNotFound):
            store.get("missing")
        list(store.keys())
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0].startswith("mystore put k: ok in ")
    assert messages[1].startswith("mystore get missing: failed (ObjectNotFound)")
    assert messages[2].startswith("mystore keys: ok")
    assert all("secret-data" not in message for message in messages)


def test_logging_store_does_no_work_when_disabled() -> None:
    logger = logging.getLogger("test.disabled")
    logger.setLevel(logging.WARNING)

    class Loud:
        def __str__(self) -> str:
            raise AssertionError("formatted although not emitted")

    store = utils.LoggingStore(DictStore(), store_name=Loud(), logger=logger)  # type: ignore[arg-type]
    store.put("k", b"v")


def test_exception_logging_store_fallbacks(caplog: pytest.LogCaptureFixture) -> None:
    store = utils.ExceptionLoggingStore(Failing(StoreUnavailable("down")))
    with caplog.at_level(logging.INFO):
        assert store.get("k") is None
        assert store.exists("k") is False
        assert store.put("k", b"v") is None
        assert store.delete("k") is None
    assert [r.levelname for r in caplog.records].count("ERROR") == 4
    assert "failed to get k" in caplog.text

    class NoList(DictStore):
        def keys(self, prefix: str = "") -> Any:
            raise StoreUnavailable("cannot list")

    assert list(utils.ExceptionLoggingStore(NoList()).keys()) == []


def test_exception_logging_get_many_returns_only_keys_that_hold_objects(caplog: pytest.LogCaptureFixture) -> None:
    store = utils.ExceptionLoggingStore(DictStore({"a": b"1"}))
    assert store.get_many(["a", "missing"]) == {"a": b"1"}
    async_store = aioutils.AsyncExceptionLoggingStore(AsyncDictStore({"a": b"1"}))
    assert asyncio.run(async_store.get_many(["a", "missing"])) == {"a": b"1"}
    with caplog.at_level(logging.INFO):
        assert utils.ExceptionLoggingStore(Failing(StoreUnavailable("down"))).get_many(["a", "b"]) == {}
        assert asyncio.run(
            aioutils.AsyncExceptionLoggingStore(Failing(StoreUnavailable("down"))).get_many(["a"])
        ) == {}
    assert [r.levelname for r in caplog.records].count("ERROR") == 2 and "failed to get_many" in caplog.text


def test_logging_stores_follow_level_changes_made_after_a_quiet_call(caplog: pytest.LogCaptureFixture) -> None:
    import pickle

    logger = logging.getLogger("test.level-changes")
    logger.setLevel(logging.WARNING)
    store = utils.LoggingStore(DictStore(), store_name="s", logger=logger)
    store.put("a", b"1")
    assert store.get("a") == b"1"  # INFO off: the quiet path, twice (the logger has cached its level)
    with caplog.at_level(logging.INFO, "test.level-changes"):
        store.get("a")
        with pytest.raises(ObjectNotFound):
            store.delete("missing")
        copied = pickle.loads(pickle.dumps(store))
        copied.exists("a")
    logger.setLevel(logging.WARNING)
    store.get("a")
    messages = [record.getMessage() for record in caplog.records]
    assert [m.split(":")[0] for m in messages] == ["s get a", "s delete missing", "s exists a"]
    logger.setLevel(logging.NOTSET)


def test_exception_logging_store_hides_and_logs_failures_with_info_off(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.exceptions-info-off")
    logger.setLevel(logging.WARNING)
    store = utils.ExceptionLoggingStore(DictStore(), store_name="e", logger=logger)
    store.put("k", b"v")
    with caplog.at_level(logging.WARNING, "test.exceptions-info-off"):
        for _ in range(2):  # the first call fills the logger's level cache; the second takes the quiet path
            assert store.get("missing") is None
            assert store.delete("missing") is None
            assert store.exists("k") is True
    assert [r.levelname for r in caplog.records] == ["ERROR"] * 4
    logger.setLevel(logging.NOTSET)

def test_quiet_path_failures_are_raised_or_swallowed_as_on_the_logged_path(caplog: pytest.LogCaptureFixture) -> None:
    class ReadOnlyDict(DictStore):
        def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
            raise StoreUnavailable("read-only", store="ro", operation="put", key=key)

    logger = logging.getLogger("test.quiet-failures")
    logger.setLevel(logging.WARNING)
    plain = utils.LoggingStore(ReadOnlyDict(), store_name="p", logger=logger)
    hiding = utils.ExceptionLoggingStore(ReadOnlyDict(), store_name="h", logger=logger)
    with caplog.at_level(logging.WARNING, "test.quiet-failures"):
        for _ in range(2):  # the first call fills the logger's level cache; the second takes the quiet path
            with pytest.raises(ObjectNotFound):
                plain.get("missing")
            with pytest.raises(StoreUnavailable):
                plain.put("k", b"v")
            assert hiding.put("k", b"v") is None
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["failed to put k"] * 2
    logger.setLevel(logging.NOTSET)


def test_notifying_store_handlers(caplog: pytest.LogCaptureFixture) -> None:
    base = DictStore()
    store = utils.NotifyingStore(base)
    calls: list[tuple[Any, ...]] = []
    store.on_change(lambda s, action, key, error: calls.append((s, action, key, error)))
    store.on_put(lambda s, key, error: calls.append(("put-only", key)))

    def broken(*args: Any) -> None:
        raise RuntimeError("handler bug")

    store.on_delete(broken)
    store.put("k", b"v")
    with caplog.at_level(logging.ERROR):
        store.delete("k")
    assert calls == [(base, "put", "k", None), ("put-only", "k"), (base, "delete", "k", None)]
    assert "handler bug" in caplog.text and base.objects == {}
    with pytest.raises(ObjectNotFound):
        store.delete("k")
    assert isinstance(calls[-1][3], ObjectNotFound)


def test_notifying_handler_does_not_hide_write() -> None:
    base = DictStore()
    store = utils.NotifyingStore(base)
    store.on_change(lambda *args: 1 / 0)
    store.put("k", b"v")
    assert base.objects == {"k": b"v"}


def test_async_notifying_and_logging(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    async def handler(store: Any, action: str, key: str, error: Any) -> None:
        calls.append(f"{action} {key}")

    async def scenario() -> None:
        notifying = aioutils.AsyncNotifyingStore(AsyncDictStore())
        notifying.on_change(handler)
        await notifying.put("k", b"v")
        logged = aioutils.AsyncExceptionLoggingStore(AsyncDictStore(), store_name="a")
        assert await logged.get("missing") is None

    with caplog.at_level(logging.INFO):
        asyncio.run(scenario())
    assert calls == ["put k"]
    assert "a get missing: failed (ObjectNotFound)" in caplog.text


def test_transform_errors_are_store_errors() -> None:
    with pytest.raises(StoreError):
        utils.TextEncodingStore(DictStore()).put("k", 5)
