"""A Hypothesis state machine that checks a store against a dict model."""

from __future__ import annotations

from typing import ClassVar, Optional

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from storage._base import ObjectStore
from storage.errors import ObjectNotFound

__all__ = ["StoreStateMachine", "keys_strategy", "run_store_state_machine"]

# Directory segments start with "d" and leaf names with "k", so no key is ever a directory of
# another: every store, including the file-backed ones, can hold any set of these keys.
_DIRS = st.sampled_from(["d0", "d1", "dü", "d.x"])
_LEAVES = st.sampled_from(["k0", "k1", "k2", "kü日本", "k.bin", "k 3"])


def keys_strategy() -> st.SearchStrategy[str]:
    """Keys of up to three segments that never collide as file and directory."""
    return st.builds(lambda dirs, leaf: "/".join([*dirs, leaf]), st.lists(_DIRS, max_size=2), _LEAVES)


def _prefixes() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        st.sampled_from(["d", "d0", "d0/", "d0/k", "k", "k0", "d1/d0/", "dü/k", "zz", "d0/zz"]),
        keys_strategy(),
    )


class StoreStateMachine(RuleBasedStateMachine):
    """Random sequences of operations on ``store`` must match a dict."""

    store: ClassVar[ObjectStore]

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, bytes] = {}

    @rule(key=keys_strategy(), value=st.binary(max_size=64))
    def put(self, key: str, value: bytes) -> None:
        self.store.put(key, value)
        self.model[key] = value

    @rule(key=keys_strategy())
    def get(self, key: str) -> None:
        if key in self.model:
            assert bytes(self.store.get(key)) == self.model[key]
        else:
            with pytest.raises(ObjectNotFound):
                self.store.get(key)

    @rule(key=keys_strategy())
    def exists(self, key: str) -> None:
        assert self.store.exists(key) == (key in self.model)

    @rule(key=keys_strategy())
    def delete(self, key: str) -> None:
        if key in self.model:
            self.store.delete(key)
            del self.model[key]
        else:
            with pytest.raises(ObjectNotFound):
                self.store.delete(key)

    @rule(keys=st.lists(keys_strategy(), max_size=4))
    def get_many(self, keys: list[str]) -> None:
        found = {key: bytes(value) for key, value in self.store.get_many(keys).items()}
        assert found == {key: self.model[key] for key in keys if key in self.model}

    @rule(keys=st.lists(keys_strategy(), max_size=4))
    def delete_many(self, keys: list[str]) -> None:
        self.store.delete_many(keys)
        for key in keys:
            self.model.pop(key, None)

    @rule(prefix=_prefixes())
    def keys(self, prefix: str) -> None:
        if self.store.capabilities.listing:
            assert sorted(self.store.keys(prefix)) == sorted(k for k in self.model if k.startswith(prefix))

    @invariant()
    def sizes_agree(self) -> None:
        if self.store.capabilities.listing:
            assert len(list(self.store.keys())) == len(self.model)

    def teardown(self) -> None:
        for key in self.model:
            self.store.delete(key)


def run_store_state_machine(
    store: ObjectStore,
    settings_: Optional[settings] = None,
    machine: type[StoreStateMachine] = StoreStateMachine,
) -> None:
    """Run the state machine against ``store``, which must start empty and is left empty."""
    bound = type("BoundStoreStateMachine", (machine,), {"store": store})
    run_state_machine_as_test(
        bound,
        settings=settings_ or settings(max_examples=40, stateful_step_count=25, deadline=None),
    )
