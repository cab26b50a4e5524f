"""Entry points read from dist-info folders agree with importlib.metadata and follow its rules."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from storage import _discovery

if sys.version_info >= (3, 10):
    from importlib.metadata import entry_points
else:  # pragma: no cover - exercised on 3.9 only
    from importlib_metadata import entry_points

GROUPS = ("storage.backends", "storage.plugins", "console_scripts")


def _dist_info(folder: Path, stem: str, name: str, version: str, entry_points_text: str) -> Path:
    info = folder / f"{stem}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nBody: x\n")
    (info / "entry_points.txt").write_text(entry_points_text)
    return info


def test_the_installed_entry_points_are_the_ones_importlib_metadata_finds() -> None:
    found = _discovery.scan(GROUPS)
    assert found is not None
    installed = entry_points()
    for group in GROUPS:
        ours = sorted((e.name, e.value, e.dist.name, e.dist.version) for e in found[group])
        theirs = sorted(
            (e.name, e.value, e.dist.metadata["Name"], e.dist.version)  # type: ignore[union-attr]
            for e in installed.select(group=group)
        )
        assert ours == theirs


def test_the_first_distribution_of_a_name_on_the_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _dist_info(first, "My_Plugin-2.0", "My-Plugin", "2.0", "[storage.backends]\nA = first.mod:A\n")
    _dist_info(second, "my.plugin-1.0", "my.plugin", "1.0", "[storage.backends]\nA = second.mod:A\nB = s:B\n")
    monkeypatch.setattr(sys, "path", [str(first), str(tmp_path / "missing"), str(second)])
    found = _discovery.scan(["storage.backends"])
    assert found is not None
    assert [(e.name, e.value, e.dist.name, e.dist.version) for e in found["storage.backends"]] == [
        ("A", "first.mod:A", "My-Plugin", "2.0")
    ]


def test_entry_point_files_are_read_as_ini_sections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        "# a comment\n[console_scripts]\ntool = pkg:main\n\n"
        "[storage.backends]\n; another comment\n  Spaced   =   json:loads  [extra]  \nModule = json\n"
    )
    _dist_info(tmp_path, "x-1", "x", "1", text)
    egg = tmp_path / "legacy.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Name: legacy\nVersion: 0.3\n")
    (egg / "entry_points.txt").write_text("[storage.backends]\nOld = json:dumps\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    found = _discovery.scan(["storage.backends"])
    assert found is not None
    by_name = {e.name: e for e in found["storage.backends"]}
    assert sorted(by_name) == ["Module", "Old", "Spaced"]
    import json

    assert by_name["Spaced"].load() is json.loads
    assert by_name["Module"].load() is json
    assert by_name["Old"].load() is json.dumps
    assert (by_name["Old"].dist.name, by_name["Old"].dist.version) == ("legacy", "0.3")
    assert by_name["Old"].dist.metadata == {"Name": "legacy", "Version": "0.3"}


def test_a_distribution_without_metadata_is_named_by_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = _dist_info(tmp_path, "bare_dist-4.5", "ignored", "0", "[storage.backends]\nT = json:loads\n")
    (info / "METADATA").unlink()
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    found = _discovery.scan(["storage.backends"])
    assert found is not None
    assert [(e.dist.name, e.dist.version) for e in found["storage.backends"]] == [("bare_dist", "4.5")]


def test_an_archive_on_the_path_leaves_discovery_to_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("z-1.dist-info/METADATA", "Name: z\nVersion: 1\n")
        zipped.writestr("z-1.dist-info/entry_points.txt", "[storage.backends]\nZipped = json:loads\n")
    monkeypatch.setattr(sys, "path", [*sys.path, str(archive)])
    assert _discovery.scan(["storage.backends"]) is None
    from storage.plugins import Registry

    info = Registry().types()["Zipped"]
    assert (info.distribution, info.version, info.value) == ("z", "1", "json:loads")


def test_a_finder_that_contributes_distributions_leaves_discovery_to_importlib_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Finder:
        def find_spec(self, *args: object) -> None:
            return None

        def find_distributions(self, *args: object) -> list[object]:
            return []

    monkeypatch.setattr(sys, "meta_path", [Finder(), *sys.meta_path])
    assert _discovery.scan(["storage.backends"]) is None
