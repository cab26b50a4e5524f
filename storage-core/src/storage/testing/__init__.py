"""The conformance kit: pytest base classes every store's tests subclass (SPEC §2).

A plugin author writes::

    from storage.testing import ObjectStoreTests

    class TestMyStore(ObjectStoreTests):
        @pytest.fixture
        def store(self, tmp_path):
            return MyStore(tmp_path)        # fresh and empty; the kit closes it

For async stores subclass ``AsyncObjectStoreTests``; its ``store`` fixture is a plain
(non-async) fixture returning an unopened async store, which the kit drives on its own loop.
Read-only stores subclass ``ReadOnlyObjectStoreTests`` (``AsyncReadOnlyObjectStoreTests``)
instead and define a ``make_store`` fixture (see ``storage.testing.readonly``).

Class attributes tune the kit: ``bytes_only`` (the store refuses non-bytes values),
``large_object_size``, ``picklable`` and ``state_machine_settings``.
"""

from __future__ import annotations

import datetime
import os
from typing import Any, Callable, ClassVar, Optional

import pytest
from hypothesis import settings

from storage._base import ObjectStore
from storage.blocking import BlockingStore
from storage.capabilities import Capabilities
from storage.errors import (
    AlreadyExists,
    InvalidKey,
    InvalidRange,
    InvalidValue,
    ObjectNotFound,
    StoreError,
    UnsupportedOperation,
)
from storage.testing._driving import (
    AsyncStoreDriver,
    SyncStoreDriver,
    async_keys,
    check_closed_reader,
    in_async_context,
)
from storage.testing.readonly import AsyncReadOnlyObjectStoreTests, ReadOnlyObjectStoreTests
from storage.testing.stateful import StoreStateMachine, keys_strategy, run_store_state_machine

__all__ = [
    "AsyncObjectStoreTests",
    "AsyncReadOnlyObjectStoreTests",
    "BlockingStore",
    "ObjectStoreTests",
    "ReadOnlyObjectStoreTests",
    "StoreStateMachine",
    "keys_strategy",
    "run_store_state_machine",
]

NESTED_KEYS = ["top", "dir/a", "dir/b", "dir/sub/c", "dir/sub/d", "dirt", "other/x", "ünï/cødé/日本"]


def _as_bytes(value: Any) -> bytes:
    return bytes(value)


class ObjectStoreTests(SyncStoreDriver):
    """Conformance tests for a synchronous store given by the ``store`` fixture."""

    #: The store refuses values that are not bytes-like (every byte backend does).
    bytes_only: ClassVar[bool] = True
    #: Size of the large-object round trip.
    large_object_size: ClassVar[int] = 8 * 1024 * 1024 + 1
    #: The store survives a pickle round trip (stateful ones reopen from their configuration).
    picklable: ClassVar[bool] = True
    #: Hypothesis settings for the state machine (None: the kit's defaults).
    state_machine_settings: ClassVar[Optional[settings]] = None

    @pytest.fixture
    def store(self) -> Any:
        """A fresh, empty store: define this fixture in your subclass."""
        raise NotImplementedError("define a `store` fixture returning a fresh, empty store")

    # Round trips ---------------------------------------------------------------------------

    def test_put_then_get(self, subject: ObjectStore) -> None:
        assert subject.put("key", b"value") is None
        assert _as_bytes(subject.get("key")) == b"value"

    def test_empty_object(self, subject: ObjectStore) -> None:
        subject.put("empty", b"")
        assert _as_bytes(subject.get("empty")) == b""
        assert subject.exists("empty")

    def test_all_byte_values(self, subject: ObjectStore) -> None:
        data = bytes(range(256)) * 4
        subject.put("bytes", data)
        assert _as_bytes(subject.get("bytes")) == data

    def test_large_object(self, subject: ObjectStore) -> None:
        data = os.urandom(self.large_object_size)
        subject.put("large", data)
        assert _as_bytes(subject.get("large")) == data

    def test_bytes_like_values(self, subject: ObjectStore) -> None:
        subject.put("bytearray", bytearray(b"abc"))
        subject.put("memoryview", memoryview(b"xabcx")[1:4])
        assert _as_bytes(subject.get("bytearray")) == b"abc"
        assert _as_bytes(subject.get("memoryview")) == b"abc"

    def test_overwrite(self, subject: ObjectStore) -> None:
        subject.put("key", b"first")
        subject.put("key", b"second, longer")
        assert _as_bytes(subject.get("key")) == b"second, longer"
        subject.put("key", b"3")
        assert _as_bytes(subject.get("key")) == b"3"

    def test_unicode_and_nested_keys(self, subject: ObjectStore) -> None:
        for index, key in enumerate(NESTED_KEYS):
            subject.put(key, str(index).encode())
        for index, key in enumerate(NESTED_KEYS):
            assert _as_bytes(subject.get(key)) == str(index).encode()
            assert subject.exists(key)

    def test_keys_with_odd_characters(self, subject: ObjectStore) -> None:
        for key in ["with space", "dots.in.name", "dash-under_score", "percent%20", "plus+eq=", "ü€😀"]:
            subject.put(key, key.encode())
            assert _as_bytes(subject.get(key)) == key.encode()

    # Missing keys and deletion ------------------------------------------------------------

    def test_get_missing(self, subject: ObjectStore) -> None:
        with pytest.raises(ObjectNotFound) as caught:
            subject.get("missing")
        assert isinstance(caught.value, KeyError)
        assert "missing" in str(caught.value)

    def test_exists(self, subject: ObjectStore) -> None:
        assert not subject.exists("key")
        subject.put("key", b"v")
        assert subject.exists("key")
        assert not subject.exists("ke")
        assert not subject.exists("key/below")

    def test_delete(self, subject: ObjectStore) -> None:
        subject.put("dir/key", b"v")
        subject.put("dir/other", b"w")
        assert subject.delete("dir/key") is None
        assert not subject.exists("dir/key")
        assert subject.exists("dir/other")
        with pytest.raises(ObjectNotFound):
            subject.get("dir/key")

    def test_delete_missing(self, subject: ObjectStore) -> None:
        with pytest.raises(ObjectNotFound):
            subject.delete("missing")

    def test_put_after_delete(self, subject: ObjectStore) -> None:
        subject.put("a/b/c", b"1")
        subject.delete("a/b/c")
        subject.put("a/b", b"2")
        assert _as_bytes(subject.get("a/b")) == b"2"

    # Bad input ----------------------------------------------------------------------------

    @pytest.mark.parametrize("key", ["", None, 5, b"bytes"])
    def test_invalid_keys(self, subject: ObjectStore, key: Any) -> None:
        for call in (
            lambda: subject.put(key, b"v"),
            lambda: subject.get(key),
            lambda: subject.exists(key),
            lambda: subject.delete(key),
        ):
            with pytest.raises(InvalidKey):
                call()

    def test_non_bytes_value_refused(self, subject: ObjectStore) -> None:
        if not self.bytes_only:
            pytest.skip("the store keeps values of any type")
        subject.put("key", b"old")
        for value in ["text", 12, None, {"a": 1}]:
            with pytest.raises(InvalidValue) as caught:
                subject.put("key", value)
            assert isinstance(caught.value, TypeError)
            with pytest.raises(InvalidValue):
                subject.put("new", value)
        assert _as_bytes(subject.get("key")) == b"old"
        assert not subject.exists("new")

    # Listing ------------------------------------------------------------------------------

    def test_keys_unsupported(self, subject: ObjectStore) -> None:
        if subject.capabilities.listing:
            pytest.skip("the store can list")
        with pytest.raises(UnsupportedOperation):
            list(subject.keys())

    def test_keys_empty_store(self, listing: ObjectStore) -> None:
        assert list(listing.keys()) == []
        assert list(listing.keys("anything")) == []

    def test_keys(self, listing: ObjectStore) -> None:
        for key in NESTED_KEYS:
            listing.put(key, b"v")
        assert sorted(listing.keys()) == sorted(NESTED_KEYS)
        assert len(list(listing.keys())) == len(NESTED_KEYS)

    @pytest.mark.parametrize(
        "prefix",
        ["", "dir", "dir/", "dir/sub", "dir/sub/", "dir/s", "di", "dirt", "top", "t", "nothing", "dir/zz", "ünï/"],
    )
    def test_keys_prefix(self, listing: ObjectStore, prefix: str) -> None:
        for key in NESTED_KEYS:
            listing.put(key, b"v")
        expected = sorted(key for key in NESTED_KEYS if key.startswith(prefix))
        assert sorted(listing.keys(prefix)) == expected

    def test_keys_is_lazy_iterator(self, listing: ObjectStore) -> None:
        listing.put("a", b"1")
        result = listing.keys()
        assert iter(result) is result

    def test_keys_after_delete(self, listing: ObjectStore) -> None:
        listing.put("dir/sub/a", b"1")
        listing.put("dir/b", b"2")
        listing.delete("dir/sub/a")
        assert sorted(listing.keys()) == ["dir/b"]
        assert list(listing.keys("dir/sub")) == []

    def test_keys_refuses_a_non_str_prefix(self, listing: ObjectStore) -> None:
        listing.put("key", b"v")
        for call in (
            lambda: list(listing.keys(None)),  # type: ignore[arg-type]
            lambda: list(listing.keys(5)),  # type: ignore[arg-type]
            lambda: listing.list_dir(None),  # type: ignore[arg-type]
            lambda: listing.list_dir(b"k"),  # type: ignore[arg-type]
        ):
            with pytest.raises(InvalidKey):
                call()

    # Batches ------------------------------------------------------------------------------

    def test_put_many_get_many(self, subject: ObjectStore) -> None:
        items = {f"batch/{i}": str(i).encode() for i in range(20)}
        subject.put_many(items)
        subject.put_many([("pairs/a", b"a"), ("pairs/b", b"b")])
        found = subject.get_many([*items, "missing", "pairs/a"])
        assert {k: _as_bytes(v) for k, v in found.items()} == {**items, "pairs/a": b"a"}

    def test_delete_many(self, subject: ObjectStore) -> None:
        subject.put_many({"x/1": b"1", "x/2": b"2", "x/3": b"3"})
        subject.delete_many(["x/1", "x/2", "missing"])
        assert not subject.exists("x/1")
        assert not subject.exists("x/2")
        assert subject.exists("x/3")

    # Beyond get/put -----------------------------------------------------------------------

    def test_stat(self, subject: ObjectStore) -> None:
        subject.put("dir/key", b"12345")
        info = subject.stat("dir/key")
        assert (info.key, info.size) == ("dir/key", 5)
        assert info.etag is None or isinstance(info.etag, str)
        if subject.capabilities.native_metadata:
            assert info.modified is not None
        if info.modified is not None:
            assert info.modified.utcoffset() == datetime.timedelta(0)
            assert abs(datetime.datetime.now(datetime.timezone.utc) - info.modified) < datetime.timedelta(days=1)
        subject.put("dir/key", b"a longer value")
        changed = subject.stat("dir/key")
        assert changed.size == 14
        assert info.etag is None or changed.etag != info.etag
        with pytest.raises(ObjectNotFound):
            subject.stat("missing")

    def test_etag_changes_with_every_write(self, subject: ObjectStore) -> None:
        etags = []
        for value in [b"A" * 16, b"B" * 16, b"A" * 16, b"C" * 16]:
            subject.put("key", value)
            etags.append(subject.stat("key").etag)
        if etags[0] is not None:
            assert all(before != after for before, after in zip(etags, etags[1:])), etags

    @pytest.mark.parametrize(
        ("start", "end"), [(0, None), (0, 0), (2, 5), (5, None), (9, 10), (9, 100), (100, None), (3, 3), (0, 10)]
    )
    def test_get_range(self, subject: ObjectStore, start: int, end: Optional[int]) -> None:
        data = b"0123456789"
        subject.put("range", data)
        assert bytes(subject.get_range("range", start, end)) == data[start:end]

    @pytest.mark.parametrize(("start", "end"), [(0, None), (0, 0), (0, 5), (3, None)])
    def test_get_range_of_an_empty_object(self, subject: ObjectStore, start: int, end: Optional[int]) -> None:
        subject.put("empty", b"")
        assert bytes(subject.get_range("empty", start, end)) == b""

    def test_get_range_refuses_bad_ranges(self, subject: ObjectStore) -> None:
        subject.put("range", b"0123456789")
        for start, end in [(-1, None), (5, 2), ("a", None), (0, "z"), (1.5, None)]:
            with pytest.raises(InvalidRange) as caught:
                subject.get_range("range", start, end)  # type: ignore[arg-type]
            assert isinstance(caught.value, ValueError)
        with pytest.raises(ObjectNotFound):
            subject.get_range("missing", 0, 1)

    def test_copy(self, subject: ObjectStore) -> None:
        subject.put("source", b"original")
        subject.put("deep/target", b"to be replaced")
        subject.copy("source", "deep/target")
        subject.copy("source", "other/copy")
        assert _as_bytes(subject.get("deep/target")) == b"original"
        assert _as_bytes(subject.get("other/copy")) == b"original"
        assert _as_bytes(subject.get("source")) == b"original"
        subject.copy("source", "source")
        assert _as_bytes(subject.get("source")) == b"original"
        with pytest.raises(ObjectNotFound):
            subject.copy("missing", "missing")
        with pytest.raises(ObjectNotFound):
            subject.copy("missing", "anything")
        assert not subject.exists("anything")

    def test_rename(self, subject: ObjectStore) -> None:
        subject.put("a/source", b"moving")
        subject.put("target", b"to be replaced")
        subject.rename("a/source", "target")
        assert not subject.exists("a/source")
        assert _as_bytes(subject.get("target")) == b"moving"
        subject.rename("target", "b/c/moved")
        assert _as_bytes(subject.get("b/c/moved")) == b"moving"
        subject.rename("b/c/moved", "b/c/moved")
        assert _as_bytes(subject.get("b/c/moved")) == b"moving"
        with pytest.raises(ObjectNotFound):
            subject.rename("missing", "anything")
        assert not subject.exists("anything")

    def test_put_if_absent(self, subject: ObjectStore) -> None:
        subject.put("key", b"first", if_absent=True)
        with pytest.raises(AlreadyExists) as caught:
            subject.put("key", b"second", if_absent=True)
        assert isinstance(caught.value, FileExistsError)
        assert _as_bytes(subject.get("key")) == b"first"
        subject.delete("key")
        subject.put("key", b"third", if_absent=True)
        assert _as_bytes(subject.get("key")) == b"third"

    def test_streaming_write_and_read(self, subject: ObjectStore) -> None:
        chunks = [os.urandom(100_000), b"", os.urandom(3), os.urandom(200_000)]
        with subject.open_write("stream/object") as writer:
            for chunk in chunks:
                writer.write(chunk)
        expected = b"".join(chunks)
        assert _as_bytes(subject.get("stream/object")) == expected
        with subject.open_read("stream/object") as reader:
            parts = [reader.read(65536)]
            while parts[-1]:
                parts.append(reader.read(65536))
        assert b"".join(parts) == expected
        with pytest.raises(ObjectNotFound):
            subject.open_read("missing")

    def test_closed_reader_refuses_use(self, subject: ObjectStore) -> None:
        subject.put("key", b"0123456789")
        reader = subject.open_read("key")
        assert reader.read(2) == b"01"
        reader.close()
        check_closed_reader(reader)

    def test_streaming_write_is_discarded_on_error(self, subject: ObjectStore) -> None:
        subject.put("kept", b"old")
        with pytest.raises(RuntimeError), subject.open_write("kept") as writer:
            writer.write(b"new and partial")
            raise RuntimeError("interrupted")
        with pytest.raises(RuntimeError), subject.open_write("fresh") as writer:
            writer.write(b"partial")
            raise RuntimeError("interrupted")
        assert _as_bytes(subject.get("kept")) == b"old"
        assert not subject.exists("fresh")

    def test_discarded_write_leaves_nothing_listed(self, listing: ObjectStore) -> None:
        with pytest.raises(RuntimeError), listing.open_write("a/b/c") as writer:
            writer.write(b"partial")
            raise RuntimeError("interrupted")
        assert list(listing.keys()) == []
        for prefix in ["", "a/", "a/b/"]:
            listed = listing.list_dir(prefix)
            assert (listed.keys, listed.prefixes) == ([], [])

    def test_list_dir(self, listing: ObjectStore) -> None:
        for key in NESTED_KEYS:
            listing.put(key, b"v")
        top = listing.list_dir()
        assert (top.keys, top.prefixes) == (["dirt", "top"], ["dir/", "other/", "ünï/"])
        below = listing.list_dir("dir/")
        assert (below.keys, below.prefixes) == (["dir/a", "dir/b"], ["dir/sub/"])
        partial = listing.list_dir("di")
        assert (partial.keys, partial.prefixes) == (["dirt"], ["dir/"])
        empty = listing.list_dir("nothing/")
        assert (empty.keys, empty.prefixes) == ([], [])

    def test_as_mapping(self, subject: ObjectStore) -> None:
        mapping = subject.as_mapping()
        mapping["k"] = b"v"
        assert _as_bytes(mapping["k"]) == b"v"
        assert "k" in mapping and "missing" not in mapping
        assert mapping.get("missing") is None
        with pytest.raises(KeyError):
            mapping["missing"]
        if subject.capabilities.listing:
            assert list(mapping) == ["k"] and len(mapping) == 1
        del mapping["k"]
        assert "k" not in mapping
        with pytest.raises(KeyError):
            del mapping["k"]

    # Lifecycle ----------------------------------------------------------------------------

    def test_context_manager(self, subject: ObjectStore) -> None:
        with subject as entered:
            entered.put("key", b"v")
            assert _as_bytes(entered.get("key")) == b"v"
        assert subject.closed

    @pytest.mark.parametrize("operation", ["get", "put", "exists", "delete", "keys"])
    def test_use_after_close(self, subject: ObjectStore, operation: str) -> None:
        subject.put("key", b"v")
        subject.close()
        subject.close()
        calls: dict[str, Callable[[], object]] = {
            "get": lambda: subject.get("key"),
            "put": lambda: subject.put("key", b"w"),
            "exists": lambda: subject.exists("key"),
            "delete": lambda: subject.delete("key"),
            "keys": lambda: list(subject.keys()),
        }
        with pytest.raises(StoreError) as caught:
            calls[operation]()
        if operation != "keys" or subject.capabilities.listing:
            assert not isinstance(caught.value, UnsupportedOperation)

    def test_capabilities(self, subject: ObjectStore) -> None:
        assert isinstance(subject.capabilities, Capabilities)
        assert subject.capabilities.read and subject.capabilities.write and subject.capabilities.delete

    def test_pickle(self, subject: ObjectStore) -> None:
        if not self.picklable:
            pytest.skip("the store does not pickle")
        subject.put("key", b"v")
        self._check_clone(self._pickled_copy(subject))

    @staticmethod
    def _check_clone(clone: ObjectStore) -> None:
        try:
            clone.put("cloned", b"c")
            assert _as_bytes(clone.get("cloned")) == b"c"
        finally:
            clone.close()

    # Properties ---------------------------------------------------------------------------

    def test_state_machine(self, subject: ObjectStore) -> None:
        run_store_state_machine(subject, self.state_machine_settings)


class AsyncObjectStoreTests(AsyncStoreDriver, ObjectStoreTests):
    """Conformance tests for an async store; every sync test runs through ``BlockingStore``."""

    def test_async_context_manager(self, subject: ObjectStore) -> None:
        async def use(entered: Any) -> None:
            await entered.put("key", b"v")
            assert bytes(await entered.get("key")) == b"v"

        in_async_context(subject, use)

    def test_keys_is_async_iterator(self, listing: ObjectStore) -> None:
        listing.put("a", b"1")
        assert async_keys(listing) == ["a"]
