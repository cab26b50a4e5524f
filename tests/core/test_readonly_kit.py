"""The read-only suite of the conformance kit: it passes a minimal read-only store and fails wrong ones."""

from __future__ import annotations

import textwrap
from typing import Any, Callable, Iterable, Iterator, Mapping

import pytest

from storage.capabilities import Capabilities
from storage.errors import ObjectNotFound, UnsupportedOperation
from storage.object import ObjectStore
from storage.testing import ReadOnlyObjectStoreTests
from storage.validation import check_key, check_prefix


class FrozenStore(ObjectStore):
    """A minimal read-only plugin: the four abstract methods and ``keys`` over a dict it never changes."""

    CAPABILITIES = Capabilities(write=False, delete=False)

    def __init__(self, objects: Mapping[str, bytes]) -> None:
        self.objects = dict(objects)

    def get(self, key: str) -> bytes:
        """Return the object at ``key``."""
        self._ensure_open("get")
        try:
            return self.objects[check_key(key, self.store_name, "get")]
        except KeyError:
            raise ObjectNotFound(store=self.store_name, operation="get", key=key) from None

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Refused: the store is read-only."""
        raise UnsupportedOperation("read-only", store=self.store_name, operation="put")

    def exists(self, key: str) -> bool:
        """Return whether ``key`` holds an object."""
        self._ensure_open("exists")
        return check_key(key, self.store_name, "exists") in self.objects

    def delete(self, key: str) -> None:
        """Refused: the store is read-only."""
        raise UnsupportedOperation("read-only", store=self.store_name, operation="delete")

    def delete_many(self, keys: Iterable[str]) -> None:
        """Refused: the store is read-only (the derived one would report each key as a PartialFailure)."""
        raise UnsupportedOperation("read-only", store=self.store_name, operation="delete_many")

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Iterate over the keys starting with ``prefix``."""
        check_prefix(prefix, self.store_name)
        self._ensure_open("keys")
        return iter([key for key in self.objects if key.startswith(prefix)])


class TestFrozenStore(ReadOnlyObjectStoreTests):
    @pytest.fixture
    def make_store(self) -> Callable[[Mapping[str, bytes]], Any]:
        return FrozenStore


class FrozenUnlistedStore(FrozenStore):
    """A read-only store that cannot list."""

    CAPABILITIES = Capabilities(write=False, delete=False, listing=False)

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Refused: the store cannot list."""
        raise UnsupportedOperation("cannot list", store=self.store_name, operation="keys")


class TestFrozenUnlistedStore(ReadOnlyObjectStoreTests):
    @pytest.fixture
    def make_store(self) -> Callable[[Mapping[str, bytes]], Any]:
        return FrozenUnlistedStore


BROKEN_STORES = textwrap.dedent('''
    import pytest
    from storage.capabilities import Capabilities
    from storage.errors import UnsupportedOperation
    from storage.object import DictStore
    from storage.testing import ReadOnlyObjectStoreTests

    READ_ONLY = Capabilities(write=False, delete=False)

    class AcceptsWrites(DictStore):
        CAPABILITIES = READ_ONLY

    class ClaimsWritable(DictStore):
        def put(self, key, data, *, if_absent=False):
            raise UnsupportedOperation("read-only")
        def delete(self, key):
            raise UnsupportedOperation("read-only")

    class WrongError(DictStore):
        CAPABILITIES = READ_ONLY
        def put(self, key, data, *, if_absent=False):
            raise PermissionError("read-only")
        def delete(self, key):
            raise PermissionError("read-only")

    class DerivedDeleteMany(DictStore):
        CAPABILITIES = READ_ONLY
        def put(self, key, data, *, if_absent=False):
            raise UnsupportedOperation("read-only")
        def delete(self, key):
            raise UnsupportedOperation("read-only")

    class Lenient(DictStore):
        CAPABILITIES = READ_ONLY
        def put(self, key, data, *, if_absent=False):
            raise UnsupportedOperation("read-only")
        def delete(self, key):
            raise UnsupportedOperation("read-only")
        def delete_many(self, keys):
            raise UnsupportedOperation("read-only")
        def get(self, key):
            return self.objects.get(key)
        def close(self):
            pass

    def maker(cls):
        return lambda content: cls(dict(content))

    class TestAcceptsWrites(ReadOnlyObjectStoreTests):
        @pytest.fixture
        def make_store(self):
            return maker(AcceptsWrites)

    class TestClaimsWritable(ReadOnlyObjectStoreTests):
        @pytest.fixture
        def make_store(self):
            return maker(ClaimsWritable)

    class TestWrongError(ReadOnlyObjectStoreTests):
        @pytest.fixture
        def make_store(self):
            return maker(WrongError)

    class TestDerivedDeleteMany(ReadOnlyObjectStoreTests):
        @pytest.fixture
        def make_store(self):
            return maker(DerivedDeleteMany)

    class TestLenient(ReadOnlyObjectStoreTests):
        @pytest.fixture
        def make_store(self):
            return maker(Lenient)
''')


def test_read_only_suite_fails_wrong_stores(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_broken=BROKEN_STORES)
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    failed = "\n".join(line for line in result.outlines if line.startswith("FAILED"))
    assert "TestAcceptsWrites::test_write_refused[put]" in failed
    assert "TestAcceptsWrites::test_write_refused[mapping-set]" in failed
    assert "TestClaimsWritable::test_capabilities " in failed
    assert "TestWrongError::test_write_refused[put]" in failed
    # Refusing put and delete is enough: the derived batch writes refuse with the same error.
    assert "TestDerivedDeleteMany::" not in failed
    assert "TestLenient::test_missing_keys" in failed
    assert "TestLenient::test_read_after_close[get]" in failed
    assert "TestLenient::test_write_refused" not in failed


def test_read_only_suite_demands_a_make_store_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_nofixture=(
            "from storage.testing import ReadOnlyObjectStoreTests\n"
            "class TestNothing(ReadOnlyObjectStoreTests):\n    pass\n"
        )
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider", "-k", "test_get")
    assert result.parseoutcomes().get("errors", 0) > 0
    assert "define a `make_store` fixture" in result.stdout.str()


def test_read_only_suites_are_exported() -> None:
    import storage.testing
    from storage.testing import readonly

    assert storage.testing.ReadOnlyObjectStoreTests is readonly.ReadOnlyObjectStoreTests
    assert storage.testing.AsyncReadOnlyObjectStoreTests is readonly.AsyncReadOnlyObjectStoreTests
    assert {"ReadOnlyObjectStoreTests", "AsyncReadOnlyObjectStoreTests"} <= set(storage.testing.__all__)
