"""Large objects: 8 MiB throughput of each backend against its raw calls, and peak memory of big transfers."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, Callable, List

from benchmarks import filesystem, sqlite
from benchmarks.context import Context
from benchmarks.harness import Comparison, Measure, Subject, Target, compare, timed

GROUP = "large"
MIB = 1024 * 1024


def _each(call: Callable[[str], Any], keys: List[str]) -> Measure:
    """Call ``call`` once per key, after flushing earlier writes so no case pays for another's writeback."""

    def calls() -> None:
        for key in keys:
            call(key)

    def one() -> float:
        os.sync()
        return timed(calls, len(keys))

    return one


def _pair(
    context: Context,
    backend: str,
    operation: str,
    raw: tuple[str, Measure],
    ours: tuple[str, Measure],
    limit: float,
    size: int,
) -> Comparison:
    subject: Subject = (ours[0], ours[1], True, Target("throughput", limit))
    return compare(
        GROUP,
        f"{backend} {operation}, {size // MIB} MiB",
        raw,
        [subject],
        context.repeats,
        note="time per object; the target is our throughput over raw throughput",
    )


def _filesystem(context: Context, data: bytes, keys: List[str]) -> List[Comparison]:
    from storage.fs import FilesystemStore

    raw_root, ours_root = str(context.directory("large-raw")), context.directory("large-ours")
    os.mkdir(f"{raw_root}/large")
    store = FilesystemStore(ours_root)
    store.open()
    return [
        _pair(
            context,
            "filesystem",
            "put",
            ("temp file + os.replace", _each(lambda key: filesystem.raw_put(f"{raw_root}/{key}", data), keys)),
            ("FilesystemStore.put", _each(lambda key: store.put(key, data), keys)),
            0.95,
            len(data),
        ),
        _pair(
            context,
            "filesystem",
            "get",
            ("open/read", _each(lambda key: filesystem.raw_get(f"{raw_root}/{key}"), keys)),
            ("FilesystemStore.get", _each(store.get, keys)),
            0.95,
            len(data),
        ),
    ]


def _zip(context: Context, data: bytes, keys: List[str]) -> List[Comparison]:
    from storage.zip import ZipStore

    directory = context.directory("large-zip")
    raw_path, ours_path = directory / "raw.zip", directory / "ours.zip"

    def raw_put(durable: bool = False) -> float:
        raw_path.unlink(missing_ok=True)
        os.sync()

        def write() -> None:
            with open(raw_path, "wb") as file:
                with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
                    for key in keys:
                        archive.writestr(key, data)
                if durable:
                    file.flush()
                    os.fsync(file.fileno())

        return timed(write, len(keys))

    def ours_put(fsync: bool = False) -> float:
        ours_path.unlink(missing_ok=True)
        os.sync()

        def write() -> None:
            with ZipStore(ours_path, compression="stored", fsync=fsync) as store:
                for key in keys:
                    store.put(key, data)

        return timed(write, len(keys))

    put = compare(
        GROUP,
        f"zip (stored) put + close, {len(data) // MIB} MiB",
        ("zipfile.writestr", raw_put),
        [
            ("ZipStore.put", ours_put, True, Target("throughput", 0.95)),
            ("zipfile.writestr + fsync", lambda: raw_put(durable=True), False, None),
            ("ZipStore.put, fsync=True", lambda: ours_put(fsync=True), False, None),
        ],
        context.repeats,
        note="time per object; with fsync=True ZipStore also syncs the archive and its directory on close",
    )
    archive = zipfile.ZipFile(raw_path)
    store = ZipStore(ours_path, mode="r")
    store.open()
    get = _pair(
        context,
        "zip (stored)",
        "get",
        ("ZipFile.read", _each(archive.read, keys)),
        ("ZipStore.get", _each(store.get, keys)),
        0.95,
        len(data),
    )
    archive.close()
    store.close()
    return [put, get]


def _s3(context: Context, data: bytes, keys: List[str]) -> List[Comparison]:
    client = context.s3.boto3_client()
    raw_bucket, ours_bucket = context.s3.new_bucket("large-raw"), context.s3.new_bucket("large-ours")
    store = context.s3.bucket_store(ours_bucket)
    store.open()
    return [
        _pair(
            context,
            "S3",
            "put",
            ("boto3 put_object", _each(lambda key: client.put_object(Bucket=raw_bucket, Key=key, Body=data), keys)),
            ("BucketStore.put", _each(lambda key: store.put(key, data), keys)),
            0.95,
            len(data),
        ),
        _pair(
            context,
            "S3",
            "get",
            ("boto3 get_object", _each(lambda key: client.get_object(Bucket=raw_bucket, Key=key)["Body"].read(), keys)),
            ("BucketStore.get", _each(store.get, keys)),
            0.95,
            len(data),
        ),
    ]


def _sqlite(context: Context, data: bytes, keys: List[str]) -> List[Comparison]:
    from storage.db import SqliteStore

    raw: sqlite3.Connection = sqlite.raw_connection(str(context.directory("large-raw-db") / "raw.db"))
    store = SqliteStore(context.directory("large-ours-db") / "store.db")
    store.open()

    def raw_get(key: str) -> bytes:
        return bytes(raw.execute(sqlite.GET_SQL, (key,)).fetchone()[0])

    results = [
        _pair(
            context,
            "SQLite",
            "put",
            ("sqlite3 INSERT OR REPLACE", _each(lambda key: raw.execute(sqlite.PUT_SQL, (key, data)), keys)),
            ("SqliteStore.put", _each(lambda key: store.put(key, data), keys)),
            0.9,
            len(data),
        ),
        _pair(
            context,
            "SQLite",
            "get",
            ("sqlite3 SELECT", _each(raw_get, keys)),
            ("SqliteStore.get", _each(store.get, keys)),
            0.9,
            len(data),
        ),
    ]
    raw.close()
    store.close()
    return results


def _peak(context: Context, mode: str, bucket: str, key: str, path: Path) -> Measure:
    """A measure running one transfer in a new process; its sample is the peak memory it added, in MiB."""

    def one() -> float:
        output = subprocess.run(
            [sys.executable, "-m", "benchmarks.peak", mode, context.s3.endpoint, bucket, key, str(path)],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        return float(output.stdout.strip().splitlines()[-1])

    return one


def _peaks(context: Context) -> List[Comparison]:
    size = context.settings.size(256, 64) * MIB
    source_directory = context.directory("peak-source")
    source = source_directory / "big.bin"
    with open(source, "wb") as out:
        for _ in range(size // MIB):
            out.write(os.urandom(MIB))
    bucket = context.s3.new_bucket("peak")
    context.s3.boto3_client().upload_file(str(source), bucket, "big.bin")
    download = context.directory("peak-download") / "big.bin"
    repeats = context.settings.size(2, 1)
    mib = size // MIB

    def measure(label: str, mode: str, path: Path, ours: bool = False, limit: float = 0) -> Subject:
        return (label, _peak(context, mode, bucket, "big.bin", path), ours, Target("mib", limit) if ours else None)

    return [
        compare(
            GROUP,
            f"peak memory: get of {mib} MiB from S3",
            ("boto3 get_object().read()", _peak(context, "get-boto3", bucket, "big.bin", download)),
            [measure("BucketStore.get", "get", download, True, 1.5 * mib)],
            repeats,
            unit="mib",
            note="rise of the process's peak RSS during the call",
        ),
        compare(
            GROUP,
            f"peak memory: streamed read of {mib} MiB from S3 into a file",
            ("boto3 download_file", _peak(context, "download-boto3", bucket, "big.bin", download)),
            [measure("BucketStore.open_read -> FilesystemStore.open_write", "open-read", download, True, 64)],
            repeats,
            unit="mib",
            note="rise of the process's peak RSS during the copy",
        ),
        compare(
            GROUP,
            f"peak memory: streamed copy of {mib} MiB from a file to S3",
            ("boto3 upload_file", _peak(context, "upload-boto3", bucket, "big.bin", source)),
            [
                measure("FilesystemStore.open_read -> BucketStore.open_write", "stream-copy", source, True, 64),
                measure("copy_store(FilesystemStore, BucketStore)", "copy-store", source, True, 64),
            ],
            repeats,
            unit="mib",
            note="rise of the process's peak RSS during the copy",
        ),
    ]


def run(context: Context) -> List[Comparison]:
    """Measure the large group."""
    data = os.urandom(8 * MIB)
    keys = [f"large/object-{index}" for index in range(context.settings.size(4, 2))]
    return [
        *_filesystem(context, data, keys),
        *_zip(context, data, keys),
        *_s3(context, data, keys),
        *_sqlite(context, data, keys),
        *_peaks(context),
    ]
