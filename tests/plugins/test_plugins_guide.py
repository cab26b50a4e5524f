"""PLUGINS.md shows the minimal plugin in tests/plugins/storage-dbm exactly as it is tested."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```[a-z]*\n(?P<body>.*?)```\n", re.DOTALL)


def test_guide_shows_every_file_of_the_minimal_plugin() -> None:
    guide = (ROOT / "PLUGINS.md").read_text()
    shown = {match["path"]: match["body"] for match in BLOCK.finditer(guide)}
    plugin = ROOT / "tests" / "plugins" / "storage-dbm"
    files = {str(p.relative_to(plugin)) for p in plugin.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert set(shown) == files
    for path, body in shown.items():
        assert body == (plugin / path).read_text(), path


def test_readme_links_the_guide() -> None:
    assert "(PLUGINS.md)" in (ROOT / "README.md").read_text()
