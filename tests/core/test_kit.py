"""The conformance kit itself: it must fail wrong stores, and errors must behave."""

from __future__ import annotations

import pickle
import textwrap

import pytest

from storage.errors import (
    AlreadyExists,
    ConfigError,
    InvalidKey,
    KeyRejected,
    ObjectNotFound,
    PartialFailure,
    StoreError,
    StoreUnavailable,
)

BROKEN_STORES = textwrap.dedent('''
    import pytest
    from storage.object import DictStore
    from storage.errors import ObjectNotFound
    from storage.testing import ObjectStoreTests

    class IgnoresPrefix(DictStore):
        def keys(self, prefix=""):
            return iter(list(self.objects))

    class SilentDelete(DictStore):
        def delete(self, key):
            self.objects.pop(key, None)

    class Truncates(DictStore):
        def put(self, key, data):
            super().put(key, bytes(data)[:1024 * 1024])

    class NeverCloses(DictStore):
        def close(self):
            pass

    class TestIgnoresPrefix(ObjectStoreTests):
        bytes_only = False
        @pytest.fixture
        def store(self):
            return IgnoresPrefix()

    class TestSilentDelete(ObjectStoreTests):
        bytes_only = False
        @pytest.fixture
        def store(self):
            return SilentDelete()

    class TestTruncates(ObjectStoreTests):
        bytes_only = False
        @pytest.fixture
        def store(self):
            return Truncates()

    class TestNeverCloses(ObjectStoreTests):
        bytes_only = False
        @pytest.fixture
        def store(self):
            return NeverCloses()

    class TestDictStoreClaimsBytesOnly(ObjectStoreTests):
        @pytest.fixture
        def store(self):
            return DictStore()
''')


def test_kit_fails_wrong_stores(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_broken=BROKEN_STORES)
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) > 0
    failed = "\n".join(line for line in result.outlines if line.startswith("FAILED"))
    assert "TestIgnoresPrefix::test_keys_prefix" in failed
    assert "TestIgnoresPrefix::test_state_machine" in failed
    assert "TestSilentDelete::test_delete_missing" in failed
    assert "TestTruncates::test_large_object" in failed
    assert "TestNeverCloses::test_use_after_close" in failed
    assert "TestNeverCloses::test_context_manager" in failed
    assert "TestDictStoreClaimsBytesOnly::test_non_bytes_value_refused" in failed


def test_kit_demands_a_store_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_nofixture="from storage.testing import ObjectStoreTests\nclass TestNothing(ObjectStoreTests):\n    pass\n"
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider", "-k", "test_put_then_get")
    result.assert_outcomes(errors=1)
    assert "define a `store` fixture" in result.stdout.str()


def test_errors_subclass_builtins_and_name_the_place() -> None:
    error = ObjectNotFound(store="FilesystemStore(/x)", operation="get", key="a/b")
    assert isinstance(error, KeyError) and isinstance(error, StoreError)
    assert str(error) == "FilesystemStore(/x): get 'a/b': no such object"
    assert isinstance(AlreadyExists(), FileExistsError)
    assert isinstance(KeyRejected("bad"), KeyError) and isinstance(KeyRejected("bad"), InvalidKey)
    assert isinstance(InvalidKey("bad"), ValueError)
    assert isinstance(ConfigError("x"), ValueError)
    assert StoreUnavailable.retryable and not ObjectNotFound.retryable


def test_errors_pickle_with_their_details() -> None:
    error = StoreUnavailable("timed out", store="BucketStore(b)", operation="put", key="k")
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is StoreUnavailable and str(clone) == str(error) and clone.key == "k"
    partial = PartialFailure("2 failed", failed={"a": StoreUnavailable("x")}, succeeded=["b"])
    clone_partial = pickle.loads(pickle.dumps(partial))
    assert clone_partial.failed.keys() == {"a"} and clone_partial.succeeded == ["b"] and clone_partial.retryable


def test_partial_failure_is_retryable_only_if_every_failure_is() -> None:
    mixed = PartialFailure("x", failed={"a": StoreUnavailable("x"), "b": ObjectNotFound()})
    assert not mixed.retryable
