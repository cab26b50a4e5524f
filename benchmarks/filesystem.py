"""Filesystem: FilesystemStore (1 KiB objects) against temp file + os.replace, open/read and os.scandir."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any, Callable, List, Optional

from benchmarks.context import Context
from benchmarks.harness import Comparison, Measure, Subject, Target, compare, timed

GROUP = "filesystem"
OBJECT = os.urandom(1024)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_temp_names = itertools.count()
#: Writes are repeated this many times more than other cases: the disk is shared, and one write burst
#: of another program can double a repeat's time; the median of more repeats stays put.
WRITE_REPEATS = 3


def raw_put(path: str, data: bytes) -> None:
    """The hand-written atomic write: a temporary file beside the target, then ``os.replace``."""
    temp = f"{path.rpartition('/')[0]}/.tmp-{next(_temp_names)}"
    fd = os.open(temp, _CREATE, 0o666)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(temp, path)


def raw_get(path: str) -> bytes:
    """The plain read."""
    with open(path, "rb") as file:
        return file.read()


def raw_walk(directory: str, base: str, found: List[str]) -> List[str]:
    """Every file under ``directory`` as a key, by recursive ``os.scandir``."""
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                raw_walk(entry.path, f"{base}{entry.name}/", found)
            else:
                found.append(base + entry.name)
    return found


class Workload:
    """Keys in ten directories and a root per subject, so that no subject reads another's files."""

    def __init__(self, context: Context, count: int) -> None:
        self.context = context
        self.keys = [f"d{index % 10}/k{index:06d}" for index in range(count)]

    def root(self, name: str) -> str:
        root = self.context.directory(name)
        for index in range(10):
            (root / f"d{index}").mkdir()
        return str(root)

    def fill(self, root: str) -> None:
        for key in self.keys:
            raw_put(f"{root}/{key}", OBJECT)
        os.sync()

    def clear(self, root: str) -> None:
        """Remove the keys' files, then flush, so that no subject pays for another's deletes."""
        for key in self.keys:
            os.unlink(f"{root}/{key}")
        os.sync()


def _calls(root: str, keys: List[str], call: Callable[..., Any], value: Optional[bytes], by_path: bool) -> Measure:
    names = [f"{root}/{key}" if by_path else key for key in keys]

    def calls() -> None:
        if value is None:
            for name in names:
                call(name)
        else:
            for name in names:
                call(name, value)

    return lambda: timed(calls, len(names))


def _subjects(context: Context, workload: Workload) -> list[tuple[str, str, Any, Any, bool, bool]]:
    """(label, root, put, get, by_path, ours) for our store and each available peer."""
    from storage.fs import FilesystemStore

    root = workload.root("ours")
    store = FilesystemStore(root)
    store.open()
    subjects = [("FilesystemStore", root, store.put, store.get, False, True)]
    fsspec = context.peer(GROUP, "fsspec.implementations.local", "fsspec LocalFileSystem")
    if fsspec is not None:
        root = workload.root("fsspec")
        local = fsspec.LocalFileSystem()
        subjects.append(("fsspec LocalFileSystem", root, local.pipe_file, local.cat_file, True, False))
    obstore = context.peer(GROUP, "obstore", "obstore LocalStore")
    if obstore is not None:
        from obstore.store import LocalStore

        root = workload.root("obstore")
        local_store = LocalStore(root)
        subjects.append(
            (
                "obstore LocalStore",
                root,
                lambda key, data: obstore.put(local_store, key, data),
                lambda key: obstore.get(local_store, key).bytes(),
                False,
                False,
            )
        )
    return subjects


def _writes(context: Context, workload: Workload, overwrite: bool) -> Comparison:
    raw_root = workload.root("raw")
    subjects = _subjects(context, workload)

    def measure(root: str, call: Measure) -> Measure:
        def one() -> float:
            if overwrite:
                workload.fill(root)
            seconds = call()
            workload.clear(root)
            return seconds

        return one

    raw = measure(raw_root, _calls(raw_root, workload.keys, raw_put, OBJECT, True))
    cases = [
        (
            label,
            measure(root, _calls(root, workload.keys, put, OBJECT, by_path)),
            ours,
            Target("ratio", 1.1) if ours else None,
        )
        for label, root, put, _, by_path, ours in subjects
    ]
    operation = "overwrite" if overwrite else "put (new keys)"
    return compare(
        GROUP,
        f"{operation}, 1 KiB x {len(workload.keys)}",
        ("temp file + os.replace", raw),
        cases,
        context.repeats * WRITE_REPEATS,
    )


def _reads(context: Context, workload: Workload) -> Comparison:
    raw_root = workload.root("raw")
    workload.fill(raw_root)
    cases = []
    for label, root, _, get, by_path, ours in _subjects(context, workload):
        workload.fill(root)
        cases.append(
            (label, _calls(root, workload.keys, get, None, by_path), ours, Target("ratio", 1.1) if ours else None)
        )
    return compare(
        GROUP,
        f"get, 1 KiB x {len(workload.keys)}",
        ("open/read", _calls(raw_root, workload.keys, raw_get, None, True)),
        cases,
        context.repeats,
    )


def _tree(context: Context, tops: int, files: int) -> Path:
    """``tops`` x 10 directories of ``files`` empty files: t<i>/s<j>/k<n>."""
    root = context.directory("tree")
    for top in range(tops):
        for sub in range(10):
            directory = root / f"t{top}" / f"s{sub}"
            directory.mkdir(parents=True)
            for index in range(files):
                (directory / f"k{index:04d}").touch()
    return root


def _listings(context: Context) -> List[Comparison]:
    from storage.fs import FilesystemStore

    tops, files = context.settings.size(10, 4), context.settings.size(200, 100)
    total = tops * 10 * files
    root = _tree(context, tops, files)
    store = FilesystemStore(root)
    store.open()
    prefix = "t3/s4/"
    subtree = str(root / "t3" / "s4")
    fsspec = context.peer(GROUP, "fsspec.implementations.local", "fsspec LocalFileSystem listing")
    obstore = context.peer(GROUP, "obstore", "obstore LocalStore listing")
    local = None if fsspec is None else fsspec.LocalFileSystem()
    results = []
    for operation, raw, ours, peer_prefix, path in (
        (
            f"keys() of {total} nested keys",
            lambda: raw_walk(str(root), "", []),
            lambda: list(store.keys()),
            "",
            str(root),
        ),
        (
            f"keys({prefix!r}): {files} of {total} keys",
            lambda: raw_walk(subtree, prefix, []),
            lambda: list(store.keys(prefix)),
            prefix,
            subtree,
        ),
    ):
        subjects: List[Subject] = [
            ("FilesystemStore", _once(ours), True, Target("ratio", 1.3 if not peer_prefix else 1.5)),
        ]
        if local is not None:
            subjects.append(("fsspec find", _once(lambda path=path: local.find(path)), False, None))
        if obstore is not None:
            subjects.append(("obstore list", _once(_obstore_lister(obstore, str(root), peer_prefix)), False, None))
        results.append(compare(GROUP, operation, ("recursive os.scandir", _once(raw)), subjects, context.repeats))
    return results


def _obstore_lister(obstore: Any, root: str, prefix: str) -> Callable[[], List[str]]:
    from obstore.store import LocalStore

    local_store = LocalStore(root)
    return lambda: [item["path"] for batch in obstore.list(local_store, prefix=prefix or None) for item in batch]


def _once(function: Callable[[], Any]) -> Measure:
    return lambda: timed(function)


def run(context: Context) -> List[Comparison]:
    """Measure the filesystem group."""
    workload = Workload(context, context.settings.size(1000, 200))
    return [
        _writes(context, workload, overwrite=False),
        _writes(context, workload, overwrite=True),
        _reads(context, workload),
        *_listings(context),
    ]
