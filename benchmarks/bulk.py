"""Bulk copy: 4 KiB objects from a FilesystemStore to S3 by copy_store and sync_stores, obstore, aws s3 sync."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Any, Callable, List

from benchmarks.context import Context
from benchmarks.harness import Comparison, Measure, Subject, Target, compare, timed

GROUP = "bulk"
OBSTORE = "obstore, asyncio.gather at 16"
AWS = "aws s3 sync"
CONCURRENCY = 16


def _source(context: Context, count: int) -> tuple[Path, List[str]]:
    root = context.directory("bulk-source")
    keys = [f"d{index % 10}/f{index:05d}" for index in range(count)]
    for key in keys:
        path = root / key
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(os.urandom(4096))
    return root, keys


def _into_new_bucket(context: Context, name: str, copy: Callable[[str], Any]) -> Measure:
    """Each repeat copies into a new, empty bucket (created untimed)."""

    def one() -> float:
        bucket = context.s3.new_bucket(name)
        return timed(lambda: copy(bucket))

    return one


def _with_store(context: Context, name: str, copy: Callable[[Any], Any]) -> Measure:
    """Each repeat copies into a new bucket through a BucketStore opened (untimed) beforehand."""

    def one() -> float:
        store = context.s3.bucket_store(context.s3.new_bucket(name))
        store.open()
        try:
            return timed(lambda: copy(store))
        finally:
            store.close()

    return one


def _obstore_copy(context: Context, obstore: Any, root: Path, keys: List[str]) -> Callable[[str], None]:
    def copy(bucket: str) -> None:
        store = context.s3.obstore_store(bucket)

        async def copy_all() -> None:
            limit = asyncio.Semaphore(CONCURRENCY)

            async def one(key: str) -> None:
                async with limit:
                    await obstore.put_async(store, key, (root / key).read_bytes())

            await asyncio.gather(*(one(key) for key in keys))

        asyncio.run(copy_all())

    return copy


def _aws_sync(context: Context, root: Path) -> Callable[[str], None]:
    environment = {**os.environ, **context.s3.environment}

    def sync(bucket: str) -> None:
        subprocess.run(
            [
                context.aws,
                "s3",
                "sync",
                str(root),
                f"s3://{bucket}/",
                "--endpoint-url",
                context.s3.endpoint,
                "--only-show-errors",
            ],
            env=environment,
            check=True,
        )

    return sync


def _boto3_sequential(context: Context, root: Path, keys: List[str]) -> Callable[[str], None]:
    client = context.s3.boto3_client()

    def copy(bucket: str) -> None:
        for key in keys:
            client.put_object(Bucket=bucket, Key=key, Body=(root / key).read_bytes())

    return copy


def run(context: Context) -> List[Comparison]:
    """Measure the bulk group."""
    from storage.fs import FilesystemStore
    from storage.utils import copy_store, sync_stores

    count = context.settings.size(500, 100)
    root, keys = _source(context, count)
    source = FilesystemStore(root)
    source.open()
    peers: List[Subject] = []
    obstore = context.peer(GROUP, "obstore", "obstore bulk copy")
    if obstore is not None:
        peers.append(
            (OBSTORE, _into_new_bucket(context, "obstore", _obstore_copy(context, obstore, root, keys)), False, None)
        )
    if context.aws:
        peers.append((AWS, _into_new_bucket(context, "aws", _aws_sync(context, root)), False, None))
    else:
        context.skip(GROUP, AWS, "no aws command (benchmarks/run installs awscli; or pass --aws PATH)")
    labels = {label for label, _, _, _ in peers}
    targets = [Target("ratio", 1.0, against=OBSTORE)] if OBSTORE in labels else []
    targets += [Target("ratio", 0.6, against=AWS)] if AWS in labels else []
    ours: List[Subject] = [
        ("copy_store", _with_store(context, "copy", lambda store: copy_store(source, store)), True, targets),
        ("sync_stores", _with_store(context, "sync", lambda store: sync_stores(source, store)), True, targets),
    ]
    return [
        compare(
            GROUP,
            f"{count} x 4 KiB, FilesystemStore -> S3",
            ("boto3 put_object, one by one", _into_new_bucket(context, "raw", _boto3_sequential(context, root, keys))),
            ours + peers,
            context.repeats,
            note="each repeat into a new bucket; copy_store/sync_stores at their default concurrency; "
            "aws s3 sync includes its start-up",
        )
    ]
