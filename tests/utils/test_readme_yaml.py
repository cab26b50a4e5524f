"""Every YAML example in README.md loads and round-trips an object."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from storage.config import load_store

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLES = re.findall(r"```yaml\n(.*?)```", README.read_text(), re.DOTALL)


def test_readme_has_yaml_examples() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_readme_yaml_example_works(example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA", str(tmp_path / "data"))
    monkeypatch.setenv("DATA_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("STORAGE_KEY", "ab" * 32)
    with load_store(yaml.safe_load(example)) as store:
        store.put("readme/check", b"value")
        assert store.get("readme/check") == b"value"
