"""DbmStore passes storage's conformance kit and loads from YAML."""

import pytest
from storage_dbm import DbmStore

from storage.config import load_store
from storage.testing import ObjectStoreTests


class TestDbmStore(ObjectStoreTests):
    @pytest.fixture
    def store(self, tmp_path):
        return DbmStore(str(tmp_path / "objects"))


def test_yaml(tmp_path):
    config = {"stores": {"db": {"type": "DbmStore", "config": {"path": str(tmp_path / "db")}}}, "main": "db"}
    with load_store(config) as store:
        store.put("hello", b"world")
        assert store.get("hello") == b"world"
