"""storage.explain: the built tree with each store's capabilities, secrets redacted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.layers._support import HEX_KEY

from storage.aiofs import AsyncFilesystemStore
from storage.config import load_store
from storage.explain import describe, explain, redact
from storage.object import DictStore
from storage.utils import ReadonlyStore, RoutingStore


def _tree(tmp_path: Path) -> Any:
    return load_store({
        "stores": {
            "files": {"type": "HashdirStore", "config": {"root_path": str(tmp_path)}},
            "memory": {"type": "DictStore"},
            "frozen": {"type": "ReadonlyStore", "base": "memory"},
            "routed": {"type": "RoutingStore", "base": {"routes": {"*.json": "frozen", "logs/**": "memory"},
                                                         "default": "files"}},
            "main": {"type": "EncryptingStore", "base": "routed", "config": {"key": HEX_KEY}},
        },
        "main": "main",
    })


def test_explain_shows_each_store_with_its_role_and_capabilities(tmp_path: Path) -> None:
    text = explain(_tree(tmp_path))
    lines = text.splitlines()
    assert lines[0].startswith("EncryptingStore(key=<redacted>)  [read, write, delete")
    assert lines[1].startswith("└── store: RoutingStore(match='glob')  [read, write, delete")
    assert lines[2].startswith("    ├── routes['*.json']: ReadonlyStore()  [read, listing")
    assert lines[3].startswith("    │   └── store: DictStore(")
    assert "routes['logs/**']: DictStore(" in lines[4] and lines[4].endswith("(shared, shown above)")
    assert lines[5].startswith("    └── default: HashdirStore(") and "listing" not in lines[5]
    assert HEX_KEY not in text


def test_describe_is_plain_data(tmp_path: Path) -> None:
    tree = describe(_tree(tmp_path))
    assert json.loads(json.dumps(tree)) == tree
    assert tree["type"] == "EncryptingStore" and tree["role"] is None
    routed = tree["wrapped"][0]
    assert [child["role"] for child in routed["wrapped"]] == ["routes['*.json']", "routes['logs/**']", "default"]
    assert routed["wrapped"][1]["shared"] is True and "wrapped" not in routed["wrapped"][1]


def test_an_async_store_backed_by_a_sync_one(tmp_path: Path) -> None:
    tree = describe(AsyncFilesystemStore(tmp_path))
    assert tree["type"] == "AsyncFilesystemStore"
    assert all(child["role"] == "sync_store" for child in tree["wrapped"])


class _Leaky(DictStore):
    def __repr__(self) -> str:
        return "Leaky(password='hunter2', api_key=abc123, region='eu')"


def test_secret_looking_values_are_redacted() -> None:
    text = explain(ReadonlyStore(_Leaky()))
    assert "hunter2" not in text and "abc123" not in text
    assert "password='***'" in text and "api_key='***'" in text and "region='eu'" in text
    assert redact('token: "t0k", secret_access_key=xyz)') == "token: '***', secret_access_key='***')"


def test_a_leaf_store_alone() -> None:
    assert explain(DictStore()).startswith("DictStore(")
    assert explain(RoutingStore({}, default=DictStore())).splitlines()[1].startswith("└── default: DictStore(")
