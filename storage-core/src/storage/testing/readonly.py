"""The read-only conformance suite: stores that serve content they cannot change (SPEC §2).

A read-only store's tests subclass ``ReadOnlyObjectStoreTests`` (``AsyncReadOnlyObjectStoreTests``
for async stores) and define ``make_store``: a fixture returning a function that takes the content
(a dict of key -> bytes) and returns the read-only store serving it, opened or not::

    from storage.testing import ReadOnlyObjectStoreTests

    class TestMyReadOnlyStore(ReadOnlyObjectStoreTests):
        @pytest.fixture
        def make_store(self, tmp_path):
            def build(content):
                with MyStore(tmp_path / "data") as writer:      # its writable twin, or any means
                    writer.put_many(content)
                return MyStore(tmp_path / "data", read_only=True)
            return build

Each test builds one store (the kit closes it), over the kit's content or over no content.
Class attributes tune the suite: ``large_object_size`` and ``picklable``.

What SPEC §2 prescribes is demanded: capabilities with ``read`` and neither ``write`` nor
``delete``, the same before and after use; every write refused with ``UnsupportedOperation`` and
nothing changed; ``ObjectNotFound`` for missing keys; ``InvalidKey`` for keys that are not
non-empty ``str``; a ``StoreError`` for use after ``close()``. Where SPEC does not say which of two
rules wins, the suite accepts either: a write naming a missing key may be ``ObjectNotFound``, a
write naming an invalid key ``InvalidKey``, ``put(if_absent=True)`` on a stored key
``AlreadyExists``, a write after ``close()`` ``UnsupportedOperation``; ``open_write`` may refuse at
once or when the file is closed; the ``native_*`` flags are the store's own business.
"""

from __future__ import annotations

import datetime
import random
from typing import Any, Callable, ClassVar, Iterator, Mapping, Optional

import pytest

from storage._base import AsyncObjectStore, ObjectStore
from storage.capabilities import Capabilities
from storage.errors import (
    AlreadyExists,
    InvalidKey,
    InvalidRange,
    ObjectNotFound,
    StoreError,
    UnsupportedOperation,
)
from storage.metadata import ListResult
from storage.testing._driving import (
    AsyncStoreDriver,
    SyncStoreDriver,
    async_keys,
    check_closed_reader,
    in_async_context,
)

__all__ = ["AsyncReadOnlyObjectStoreTests", "ReadOnlyObjectStoreTests", "read_only_content"]

#: Builds a read-only store serving the content it is given.
StoreMaker = Callable[[Mapping[str, bytes]], Any]

#: A key no content holds, and one below it.
MISSING = "missing"
#: A key the content never holds, which refused writes must not create.
NEW_KEY = "new/key"


def read_only_content(large_object_size: int) -> dict[str, bytes]:
    """The content every read-only store is tested over: nested, unicode, empty, binary and large objects."""
    return {
        "top": b"top",
        "dir/a": b"a",
        "dir/b": b"",
        "dir/sub/c": bytes(range(256)) * 4,
        "dir/sub/d": b"d" * 1000,
        "dirt": b"dirt",
        "other/x": b"x",
        "ünï/cødé/日本": "日本".encode(),
        "with space": b"with space",
        "range": b"0123456789",
        "large": random.Random(0).getrandbits(8 * large_object_size).to_bytes(large_object_size, "little"),
    }


def _expected_listing(keys: list[str], prefix: str) -> ListResult:
    """The immediate children of ``prefix`` among ``keys``, computed without the store."""
    below = [key for key in keys if key.startswith(prefix)]
    direct = sorted(key for key in below if "/" not in key[len(prefix) :])
    prefixes = {key[: key.index("/", len(prefix)) + 1] for key in below if "/" in key[len(prefix) :]}
    return ListResult(direct, sorted(prefixes))


def _write_stream(store: ObjectStore, key: str) -> None:
    with store.open_write(key) as writer:
        writer.write(b"streamed")


#: Every write the interface has, each naming keys the content holds or ``NEW_KEY``.
WRITES: dict[str, Callable[[ObjectStore], object]] = {
    "put": lambda s: s.put("top", b"changed"),
    "put-new": lambda s: s.put(NEW_KEY, b"new"),
    "put-if-absent": lambda s: s.put(NEW_KEY, b"new", if_absent=True),
    "put_many": lambda s: s.put_many({"top": b"changed", NEW_KEY: b"new"}),
    "put_many-pairs": lambda s: s.put_many([(NEW_KEY, b"new")]),
    "delete": lambda s: s.delete("top"),
    "delete_many": lambda s: s.delete_many(["top", "dir/a"]),
    "delete_many-one": lambda s: s.delete_many(["top"]),
    "copy": lambda s: s.copy("top", NEW_KEY),
    "copy-over": lambda s: s.copy("top", "dir/a"),
    "rename": lambda s: s.rename("top", NEW_KEY),
    "rename-over": lambda s: s.rename("top", "dir/a"),
    "open_write": lambda s: _write_stream(s, NEW_KEY),
    "open_write-over": lambda s: _write_stream(s, "top"),
    "mapping-set": lambda s: s.as_mapping().__setitem__(NEW_KEY, b"new"),
    "mapping-replace": lambda s: s.as_mapping().__setitem__("top", b"changed"),
    "mapping-del": lambda s: s.as_mapping().__delitem__("top"),
    "mapping-update": lambda s: s.as_mapping().update({NEW_KEY: b"new"}),
}

#: Writes SPEC does not order against another rule, and the other error each may raise instead.
UNSETTLED_WRITES: dict[str, tuple[Callable[[ObjectStore], object], type[StoreError]]] = {
    "delete-missing": (lambda s: s.delete(MISSING), ObjectNotFound),
    "copy-missing": (lambda s: s.copy(MISSING, NEW_KEY), ObjectNotFound),
    "rename-missing": (lambda s: s.rename(MISSING, NEW_KEY), ObjectNotFound),
    "mapping-del-missing": (lambda s: s.as_mapping().__delitem__(MISSING), ObjectNotFound),
    "put-if-absent-stored": (lambda s: s.put("top", b"changed", if_absent=True), AlreadyExists),
}

#: Every read the interface has, each naming a key the content holds.
READS: dict[str, Callable[[ObjectStore], object]] = {
    "get": lambda s: s.get("top"),
    "exists": lambda s: s.exists("top"),
    "get_many": lambda s: s.get_many(["top"]),
    "stat": lambda s: s.stat("top"),
    "get_range": lambda s: s.get_range("range", 0, 2),
    "open_read": lambda s: s.open_read("top").read(),
    "keys": lambda s: list(s.keys()),
    "list_dir": lambda s: s.list_dir(),
}

#: Reads given a key, called with keys that are not keys.
KEYED_READS: dict[str, Callable[[ObjectStore, Any], object]] = {
    "get": lambda s, key: s.get(key),
    "exists": lambda s, key: s.exists(key),
    "stat": lambda s, key: s.stat(key),
    "get_range": lambda s, key: s.get_range(key, 0, 1),
    "open_read": lambda s, key: s.open_read(key),
}

#: Writes given a key, called with keys that are not keys.
KEYED_WRITES: dict[str, Callable[[ObjectStore, Any], object]] = {
    "put": lambda s, key: s.put(key, b"v"),
    "delete": lambda s, key: s.delete(key),
    "copy": lambda s, key: s.copy("top", key),
    "open_write": _write_stream,
}

INVALID_KEYS = ["", None, 5, b"bytes"]


class ReadOnlyObjectStoreTests(SyncStoreDriver):
    """Conformance tests for a synchronous read-only store built by the ``make_store`` fixture."""

    #: Size of the large object in the content.
    large_object_size: ClassVar[int] = 1024 * 1024 + 1
    #: The store survives a pickle round trip (stateful ones reopen from their configuration).
    picklable: ClassVar[bool] = True

    @pytest.fixture
    def make_store(self) -> StoreMaker:
        """A function from content (key -> bytes) to a read-only store serving it: define this fixture."""
        raise NotImplementedError(
            "define a `make_store` fixture returning a function that takes a dict of key -> bytes "
            "and returns a read-only store serving it"
        )

    @pytest.fixture
    def content(self) -> dict[str, bytes]:
        """What the store under test serves."""
        return read_only_content(self.large_object_size)

    @pytest.fixture
    def store(self, make_store: StoreMaker, content: dict[str, bytes]) -> Any:
        """The read-only store serving ``content``."""
        return make_store(dict(content))

    @pytest.fixture
    def empty(self, make_store: StoreMaker, drive: Callable[[Any], ObjectStore]) -> Iterator[ObjectStore]:
        """A read-only store serving no content, closed after the test."""
        driven = drive(make_store({}))
        yield driven
        driven.close()

    @staticmethod
    def _assert_unchanged(subject: ObjectStore, content: Mapping[str, bytes]) -> None:
        """``subject`` serves exactly ``content``, and nothing at ``NEW_KEY``."""
        for key, value in content.items():
            assert bytes(subject.get(key)) == value, key
        assert not subject.exists(NEW_KEY)
        if subject.capabilities.listing:
            assert sorted(subject.keys()) == sorted(content)

    # Capabilities -------------------------------------------------------------------------

    def test_capabilities(self, subject: ObjectStore) -> None:
        capabilities = subject.capabilities
        assert isinstance(capabilities, Capabilities)
        assert capabilities.read and not capabilities.write and not capabilities.delete

    def test_capabilities_do_not_change_with_use(self, subject: ObjectStore) -> None:
        before = subject.capabilities
        subject.get("top")
        with pytest.raises(UnsupportedOperation):
            subject.put(NEW_KEY, b"new")
        assert subject.capabilities == before
        subject.close()
        assert subject.capabilities == before

    # Reads --------------------------------------------------------------------------------

    def test_get(self, subject: ObjectStore, content: dict[str, bytes]) -> None:
        for key, value in content.items():
            assert bytes(subject.get(key)) == value, key

    def test_exists(self, subject: ObjectStore, content: dict[str, bytes]) -> None:
        for key in content:
            assert subject.exists(key), key
        for key in [MISSING, "to", "dir", "dir/sub", "top/below", "ünï/cødé"]:
            assert not subject.exists(key), key

    def test_get_many(self, subject: ObjectStore, content: dict[str, bytes]) -> None:
        found = subject.get_many([*content, MISSING, "dir"])
        assert {key: bytes(value) for key, value in found.items()} == content

    def test_stat(self, subject: ObjectStore, content: dict[str, bytes]) -> None:
        for key, value in content.items():
            info = subject.stat(key)
            assert (info.key, info.size) == (key, len(value))
            assert info.etag is None or isinstance(info.etag, str)
            if info.modified is not None:
                assert info.modified.utcoffset() == datetime.timedelta(0)
            assert subject.stat(key) == info  # nothing changes it

    @pytest.mark.parametrize(
        ("start", "end"), [(0, None), (0, 0), (2, 5), (5, None), (9, 10), (9, 100), (100, None), (3, 3), (0, 10)]
    )
    def test_get_range(self, subject: ObjectStore, start: int, end: Optional[int]) -> None:
        assert bytes(subject.get_range("range", start, end)) == b"0123456789"[start:end]

    def test_get_range_of_every_object(self, subject: ObjectStore, content: dict[str, bytes]) -> None:
        for key, value in content.items():
            assert bytes(subject.get_range(key, 1, 1000)) == value[1:1000], key

    def test_get_range_refuses_bad_ranges(self, subject: ObjectStore) -> None:
        for start, end in [(-1, None), (5, 2), ("a", None), (0, "z"), (1.5, None)]:
            with pytest.raises(InvalidRange) as caught:
                subject.get_range("range", start, end)  # type: ignore[arg-type]
            assert isinstance(caught.value, ValueError)

    def test_open_read(self, subject: ObjectStore, content: dict[str, bytes]) -> None:
        for key, value in content.items():
            with subject.open_read(key) as reader:
                parts = [reader.read(65536)]
                while parts[-1]:
                    parts.append(reader.read(65536))
            assert b"".join(parts) == value, key

    def test_closed_reader_refuses_use(self, subject: ObjectStore) -> None:
        reader = subject.open_read("range")
        assert reader.read(2) == b"01"
        reader.close()
        check_closed_reader(reader)

    def test_as_mapping_reads(self, subject: ObjectStore, content: dict[str, bytes]) -> None:
        mapping = subject.as_mapping()
        assert bytes(mapping["top"]) == content["top"]
        assert "top" in mapping and MISSING not in mapping
        assert mapping.get(MISSING) is None
        with pytest.raises(KeyError):
            mapping[MISSING]
        if subject.capabilities.listing:
            assert sorted(mapping) == sorted(content) and len(mapping) == len(content)

    # Listing ------------------------------------------------------------------------------

    def test_keys_unsupported(self, subject: ObjectStore) -> None:
        if subject.capabilities.listing:
            pytest.skip("the store can list")
        with pytest.raises(UnsupportedOperation):
            list(subject.keys())
        with pytest.raises(UnsupportedOperation):
            subject.list_dir()

    def test_keys(self, listing: ObjectStore, content: dict[str, bytes]) -> None:
        listed = list(listing.keys())
        assert sorted(listed) == sorted(content) and len(listed) == len(content)

    @pytest.mark.parametrize(
        "prefix",
        ["", "dir", "dir/", "dir/sub", "dir/sub/", "dir/s", "di", "dirt", "top", "t", "nothing", "dir/zz", "ünï/", "r"],
    )
    def test_keys_prefix(self, listing: ObjectStore, content: dict[str, bytes], prefix: str) -> None:
        assert sorted(listing.keys(prefix)) == sorted(key for key in content if key.startswith(prefix))

    def test_keys_is_lazy_iterator(self, listing: ObjectStore) -> None:
        result = listing.keys()
        assert iter(result) is result

    def test_keys_refuses_a_non_str_prefix(self, listing: ObjectStore) -> None:
        for call in (
            lambda: list(listing.keys(None)),  # type: ignore[arg-type]
            lambda: list(listing.keys(5)),  # type: ignore[arg-type]
            lambda: listing.list_dir(None),  # type: ignore[arg-type]
            lambda: listing.list_dir(b"k"),  # type: ignore[arg-type]
        ):
            with pytest.raises(InvalidKey):
                call()

    @pytest.mark.parametrize("prefix", ["", "dir/", "dir/sub/", "di", "nothing/", "ünï/"])
    def test_list_dir(self, listing: ObjectStore, content: dict[str, bytes], prefix: str) -> None:
        listed = listing.list_dir(prefix)
        expected = _expected_listing(list(content), prefix)
        assert (listed.keys, listed.prefixes) == (expected.keys, expected.prefixes)

    def test_empty_store(self, empty: ObjectStore) -> None:
        assert not empty.exists("top")
        with pytest.raises(ObjectNotFound):
            empty.get("top")
        if empty.capabilities.listing:
            assert list(empty.keys()) == []
            assert list(empty.keys("top")) == []
            listed = empty.list_dir()
            assert (listed.keys, listed.prefixes) == ([], [])

    # Missing and invalid keys -------------------------------------------------------------

    def test_missing_keys(self, subject: ObjectStore) -> None:
        with pytest.raises(ObjectNotFound) as caught:
            subject.get(MISSING)
        assert isinstance(caught.value, KeyError) and MISSING in str(caught.value)
        assert not subject.exists(MISSING)
        for call in (
            lambda: subject.stat(MISSING),
            lambda: subject.get_range(MISSING, 0, 1),
            lambda: subject.open_read(MISSING),
            lambda: subject.get("dir"),
            lambda: subject.get("top/below"),
        ):
            with pytest.raises(ObjectNotFound):
                call()
        assert subject.get_many([MISSING]) == {}

    @pytest.mark.parametrize("operation", sorted(KEYED_READS))
    @pytest.mark.parametrize("key", INVALID_KEYS)
    def test_invalid_keys(self, subject: ObjectStore, operation: str, key: Any) -> None:
        with pytest.raises(InvalidKey):
            KEYED_READS[operation](subject, key)

    # Writes -------------------------------------------------------------------------------

    @pytest.mark.parametrize("operation", list(WRITES))
    def test_write_refused(self, subject: ObjectStore, content: dict[str, bytes], operation: str) -> None:
        with pytest.raises(UnsupportedOperation) as caught:
            WRITES[operation](subject)
        assert isinstance(caught.value, NotImplementedError)
        self._assert_unchanged(subject, content)

    @pytest.mark.parametrize("operation", list(UNSETTLED_WRITES))
    def test_write_refused_or_answered(self, subject: ObjectStore, content: dict[str, bytes], operation: str) -> None:
        write, other = UNSETTLED_WRITES[operation]
        with pytest.raises((UnsupportedOperation, other)):
            write(subject)
        self._assert_unchanged(subject, content)

    @pytest.mark.parametrize("operation", sorted(KEYED_WRITES))
    @pytest.mark.parametrize("key", INVALID_KEYS)
    def test_write_with_invalid_key(
        self, subject: ObjectStore, content: dict[str, bytes], operation: str, key: Any
    ) -> None:
        with pytest.raises((UnsupportedOperation, InvalidKey)):
            KEYED_WRITES[operation](subject, key)
        self._assert_unchanged(subject, content)

    # Lifecycle ----------------------------------------------------------------------------

    def test_context_manager(self, subject: ObjectStore, content: dict[str, bytes]) -> None:
        with subject as entered:
            assert bytes(entered.get("top")) == content["top"]
        assert subject.closed

    @pytest.mark.parametrize("operation", list(READS))
    def test_read_after_close(self, subject: ObjectStore, operation: str) -> None:
        if operation in ("keys", "list_dir") and not subject.capabilities.listing:
            pytest.skip("the store declares that it cannot list keys")
        subject.get("top")
        subject.close()
        subject.close()
        with pytest.raises(StoreError) as caught:
            READS[operation](subject)
        assert not isinstance(caught.value, (UnsupportedOperation, ObjectNotFound))

    @pytest.mark.parametrize("operation", list(WRITES))
    def test_write_after_close(self, subject: ObjectStore, operation: str) -> None:
        subject.get("top")
        subject.close()
        with pytest.raises(StoreError):
            WRITES[operation](subject)

    def test_pickle(self, subject: ObjectStore, content: dict[str, bytes]) -> None:
        if not self.picklable:
            pytest.skip("the store does not pickle")
        subject.get("top")
        clone = self._pickled_copy(subject)
        try:
            assert clone.capabilities == subject.capabilities
            assert bytes(clone.get("top")) == content["top"]
            with pytest.raises(UnsupportedOperation):
                clone.put(NEW_KEY, b"new")
        finally:
            clone.close()


class AsyncReadOnlyObjectStoreTests(AsyncStoreDriver, ReadOnlyObjectStoreTests):
    """Conformance tests for an async read-only store; every sync test runs through ``BlockingStore``."""

    def test_async_context_manager(self, subject: ObjectStore, content: dict[str, bytes]) -> None:
        async def use(entered: AsyncObjectStore) -> None:
            assert bytes(await entered.get("top")) == content["top"]

        in_async_context(subject, use)

    def test_keys_is_async_iterator(self, listing: ObjectStore, content: dict[str, bytes]) -> None:
        assert sorted(async_keys(listing)) == sorted(content)
        assert sorted(async_keys(listing, "dir/")) == sorted(key for key in content if key.startswith("dir/"))
