"""Installed entry points, read straight from ``*.dist-info`` and ``*.egg-info`` folders on ``sys.path``.

``importlib.metadata`` would import ``email``, ``zipfile``, ``csv``, ``pathlib`` and more (tens of
milliseconds at start-up) to answer the same question. The scan here follows its rules: path entries
in order, the first distribution of a (normalized) name wins, an empty entry is the current directory.
Where it cannot follow them (a path entry that is an archive, a meta-path finder of a third party that
contributes distributions), ``scan`` answers None and the caller asks ``importlib.metadata``.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from typing import Any, Iterable, Mapping, Optional

__all__ = ["InstalledDistribution", "InstalledEntryPoint", "load_reference", "scan"]

_SUFFIXES = (".dist-info", ".egg-info")
_SEPARATORS = re.compile(r"[-_.]+")


class InstalledDistribution:
    """The name and version of a distribution, as its metadata file's header gives them."""

    __slots__ = ("name", "version")

    def __init__(self, name: str, version: str) -> None:
        self.name = name
        self.version = version

    @property
    def metadata(self) -> Mapping[str, str]:
        """``Name`` and ``Version``, keyed as in ``importlib.metadata``."""
        return {"Name": self.name, "Version": self.version}

    def __repr__(self) -> str:
        return f"InstalledDistribution({self.name!r}, {self.version!r})"


class InstalledEntryPoint:
    """One entry point: ``name = value`` in ``group``, from ``dist``."""

    __slots__ = ("dist", "group", "name", "value")

    def __init__(self, name: str, value: str, group: str, dist: InstalledDistribution) -> None:
        self.name = name
        self.value = value
        self.group = group
        self.dist = dist

    def load(self) -> Any:
        """Import the module named by ``value`` and return the attribute after its ``:``."""
        return load_reference(self.value)

    def __repr__(self) -> str:
        return f"InstalledEntryPoint({self.name!r}, {self.value!r}, group={self.group!r}, dist={self.dist!r})"


def load_reference(value: str) -> Any:
    """The object an entry-point value (``module:attribute``, extras ignored) names, imported."""
    reference = value.partition("[")[0]
    module_name, _, attribute = reference.partition(":")
    target: Any = importlib.import_module(module_name.strip())
    for part in attribute.strip().split(".") if attribute.strip() else ():
        target = getattr(target, part)
    return target


def scan(groups: Iterable[str]) -> Optional[dict[str, list[InstalledEntryPoint]]]:
    """Entry points of ``groups`` of every installed distribution; None where only importlib.metadata can tell."""
    if _other_distribution_finders():
        return None
    wanted: dict[str, list[InstalledEntryPoint]] = {group: [] for group in groups}
    seen: set[str] = set()
    for entry in sys.path:
        folder = entry or "."
        if os.path.isfile(folder):
            return None
        try:
            children = sorted(os.listdir(folder))
        except OSError:
            continue
        for child in children:
            low = child.lower()
            if not low.endswith(_SUFFIXES):
                continue
            normalized = _SEPARATORS.sub("_", low.rpartition(".")[0].partition("-")[0])
            if normalized in seen:
                continue
            seen.add(normalized)
            _read_entry_points(os.path.join(folder, child), wanted)
    return wanted


def _other_distribution_finders() -> bool:
    """Whether a meta-path finder other than the standard path finders contributes distributions.

    The standard ones are the import system's ``PathFinder`` and the path finder that the
    ``importlib_metadata`` backport installs (Python 3.9); both read ``sys.path`` as ``scan`` does.
    """
    from importlib.machinery import PathFinder

    return any(
        finder is not PathFinder
        and hasattr(finder, "find_distributions")
        and getattr(finder, "__module__", "") != "importlib_metadata"
        for finder in sys.meta_path
    )


def _read_entry_points(info_folder: str, wanted: dict[str, list[InstalledEntryPoint]]) -> None:
    """Add the entry points of ``wanted``'s groups found in ``info_folder`` to it."""
    try:
        with open(os.path.join(info_folder, "entry_points.txt"), encoding="utf-8") as file:
            text = file.read()
    except OSError:
        return
    found: list[tuple[str, str, str]] = []
    group = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line[0] == "[" and line[-1] == "]":
            group = line[1:-1].strip()
        elif group in wanted:
            name, sep, value = line.partition("=")
            if sep:
                found.append((group, name.strip(), value.strip()))
    if found:
        dist = _distribution(info_folder)
        for group_name, name, value in found:
            wanted[group_name].append(InstalledEntryPoint(name, value, group_name, dist))


def _distribution(info_folder: str) -> InstalledDistribution:
    """The distribution described by the ``METADATA`` (or ``PKG-INFO``) header in ``info_folder``."""
    fields: dict[str, str] = {}
    for filename in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(info_folder, filename), encoding="utf-8") as file:
                for line in file:
                    if not line.strip():
                        break
                    field, sep, value = line.partition(":")
                    if sep and field in ("Name", "Version"):
                        fields.setdefault(field, value.strip())
            break
        except OSError:
            continue
    stem = os.path.basename(info_folder).rpartition(".")[0]
    name, _, version = stem.partition("-")
    return InstalledDistribution(fields.get("Name", name), fields.get("Version", version.partition("-")[0]))
