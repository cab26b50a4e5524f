"""Zip: ZipStore against dict lookups and zipfile's writestr/read (fsspec ZipFileSystem as the peer)."""

from __future__ import annotations

import os
import zipfile
from typing import Any, Callable, List

from benchmarks.context import Context
from benchmarks.harness import Comparison, Measure, Subject, Target, compare, timed

GROUP = "zip"
OBJECT = os.urandom(1024)
LOOKUPS = 1000


def _archive(context: Context, entries: int, data: bytes = b"x") -> str:
    path = str(context.directory(f"zip-{entries}") / "archive.zip")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index in range(entries):
            archive.writestr(f"d{index % 10}/k{index:06d}", data)
    return path


def _each(call: Callable[[str], Any], keys: List[str]) -> Measure:
    def calls() -> None:
        for key in keys:
            call(key)

    return lambda: timed(calls, len(keys))


def _lookup_keys(entries: int, operations: int) -> List[str]:
    present = [f"d{index % 10}/k{index:06d}" for index in range(0, entries, max(1, entries // LOOKUPS))]
    return (present * (operations // len(present) + 1))[:operations]


def _index(path: str) -> dict[str, zipfile.ZipInfo]:
    """The archive's entries by name: the raw lookup ZipStore's ``exists`` is measured against."""
    with zipfile.ZipFile(path) as archive:
        return {info.filename: info for info in archive.infolist()}


def _over_dict(store: Any, index: dict[str, zipfile.ZipInfo], operations: int) -> Measure:
    """One sample: ZipStore's ``exists`` time over a dict lookup's, with the same keys, back to back."""
    keys = _lookup_keys(len(index), operations)
    ours, raw = _each(store.exists, keys), _each(index.__contains__, keys)
    return lambda: ours() / raw()


def _exists(context: Context) -> List[Comparison]:
    from storage.zip import ZipStore

    operations = context.settings.size(100_000, 10_000)
    sizes = (200, 2000, 20000)
    stores = {}
    for entries in sizes:
        stores[entries] = ZipStore(_archive(context, entries), mode="r")
        stores[entries].open()
    dicts = {entries: _index(store.path) for entries, store in stores.items()}
    path = stores[2000].path
    index = dicts[2000]
    keys = _lookup_keys(2000, operations)
    cases: List[Subject] = [
        ("ZipStore.exists", _each(stores[2000].exists, keys), True, Target("ratio", 5)),
    ]
    fsspec_zip = context.peer(GROUP, "fsspec.implementations.zip", "fsspec ZipFileSystem")
    if fsspec_zip is not None:
        zip_fs = fsspec_zip.ZipFileSystem(path)
        cases.append(("fsspec ZipFileSystem.exists", _each(zip_fs.exists, keys), False, None))
    at_2000 = compare(
        GROUP,
        f"exists at 2000 entries (x {operations})",
        ("dict lookup", _each(index.__contains__, keys)),
        cases,
        context.repeats,
    )
    growth = compare(
        GROUP,
        f"exists as entries grow (x {operations})",
        (f"ZipStore.exists at {sizes[0]} entries", _each(stores[sizes[0]].exists, _lookup_keys(sizes[0], operations))),
        [
            (f"at {entries} entries", _each(stores[entries].exists, _lookup_keys(entries, operations)), True, None)
            for entries in sizes[1:]
        ]
        + [
            (f"dict lookup at {entries} entries", _each(dicts[entries].__contains__, _lookup_keys(entries, operations)),
             False, None)
            for entries in sizes
        ],
        context.repeats,
        note="the time at more entries over the time at 200; a dict lookup grows too (CPU caches)",
    )
    flat = compare(
        GROUP,
        f"exists over a dict lookup of the same size, as entries grow (x {operations})",
        (f"ZipStore/dict at {sizes[0]} entries", _over_dict(stores[sizes[0]], dicts[sizes[0]], operations)),
        [
            (
                f"at {entries} entries",
                _over_dict(stores[entries], dicts[entries], operations),
                True,
                Target("ratio", 1.25),
            )
            for entries in sizes[1:]
        ],
        context.repeats,
        unit="times",
        note="flat: ZipStore's time over a dict lookup's (same keys, back to back), against that quotient at 200",
    )
    for store in stores.values():
        store.close()
    return [at_2000, growth, flat]


def _puts(context: Context) -> Comparison:
    from storage.zip import ZipStore

    count = context.settings.size(2000, 300)
    keys = [f"d{index % 10}/k{index:06d}" for index in range(count)]
    directory = context.directory("zip-put")

    def raw(durable: bool = False) -> float:
        path = directory / "raw.zip"
        path.unlink(missing_ok=True)

        def write() -> None:
            with open(path, "wb") as file:
                with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                    for key in keys:
                        archive.writestr(key, OBJECT)
                if durable:
                    file.flush()
                    os.fsync(file.fileno())

        return timed(write, count)

    def ours(fsync: bool = False) -> float:
        path = directory / "ours.zip"
        path.unlink(missing_ok=True)

        def write() -> None:
            with ZipStore(path, fsync=fsync) as store:
                for key in keys:
                    store.put(key, OBJECT)

        return timed(write, count)

    return compare(
        GROUP,
        f"put 1 KiB x {count} into a new archive, then close",
        ("zipfile.writestr", raw),
        [
            ("ZipStore.put", ours, True, Target("ratio", 1.3)),
            ("zipfile.writestr + fsync", lambda: raw(durable=True), False, None),
            ("ZipStore.put, fsync=True", lambda: ours(fsync=True), False, None),
        ],
        context.repeats,
        note="deflated, per object; with fsync=True ZipStore also syncs the archive and its directory on close",
    )


def _gets(context: Context) -> Comparison:
    from storage.zip import ZipStore

    entries = 2000
    path = _archive(context, entries, OBJECT)
    keys = [f"d{index % 10}/k{index:06d}" for index in range(entries)][: context.settings.size(2000, 500)]
    archive = zipfile.ZipFile(path)
    store = ZipStore(path, mode="r")
    store.open()
    cases: List[Subject] = [
        ("ZipStore.get", _each(store.get, keys), True, Target("ratio", 1.1)),
    ]
    fsspec_zip = context.peer(GROUP, "fsspec.implementations.zip", "fsspec ZipFileSystem")
    if fsspec_zip is not None:
        cases.append(
            ("fsspec ZipFileSystem.cat_file", _each(fsspec_zip.ZipFileSystem(path).cat_file, keys), False, None)
        )
    result = compare(
        GROUP,
        f"get 1 KiB x {len(keys)} of {entries} entries",
        ("ZipFile.read", _each(archive.read, keys)),
        cases,
        context.repeats,
        note="deflated",
    )
    archive.close()
    store.close()
    return result


def run(context: Context) -> List[Comparison]:
    """Measure the zip group."""
    return [*_exists(context), _puts(context), _gets(context)]
