"""S3 on moto's server: BucketStore against boto3 with SDK defaults, obstore's sync API and s3fs."""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Optional

from benchmarks.context import Context
from benchmarks.harness import Comparison, Measure, Subject, Target, compare, timed

GROUP = "s3"
OBJECT = os.urandom(1024)
OBSTORE = "obstore (sync)"


class Client:
    """One subject's four single-object operations, on a bucket of its own."""

    def __init__(
        self,
        label: str,
        bucket: str,
        ours: bool,
        put: Callable[[str, bytes], Any],
        get: Callable[[str], Any],
        exists: Callable[[str], Any],
        delete: Callable[[str], Any],
    ) -> None:
        self.label = label
        self.bucket = bucket
        self.ours = ours
        self.calls: Dict[str, Callable[..., Any]] = {"put": put, "get": get, "exists": exists, "delete": delete}


def _boto3(context: Context, client: Any) -> Client:
    bucket = context.s3.new_bucket("raw")
    return Client(
        "boto3",
        bucket,
        False,
        lambda key, data: client.put_object(Bucket=bucket, Key=key, Body=data),
        lambda key: client.get_object(Bucket=bucket, Key=key)["Body"].read(),
        lambda key: client.head_object(Bucket=bucket, Key=key),
        lambda key: client.delete_object(Bucket=bucket, Key=key),
    )


def _ours(context: Context) -> Client:
    bucket = context.s3.new_bucket("ours")
    store = context.s3.bucket_store(bucket)
    store.open()
    return Client("BucketStore", bucket, True, store.put, store.get, store.exists, store.delete)


def _obstore(context: Context) -> Optional[Client]:
    obstore = context.peer(GROUP, "obstore", "obstore S3Store")
    if obstore is None:
        return None
    bucket = context.s3.new_bucket("obstore")
    store = context.s3.obstore_store(bucket)
    return Client(
        OBSTORE,
        bucket,
        False,
        lambda key, data: obstore.put(store, key, data),
        lambda key: obstore.get(store, key).bytes(),
        lambda key: obstore.head(store, key),
        lambda key: obstore.delete(store, key),
    )


def _s3fs(context: Context) -> Optional[Client]:
    s3fs = context.peer(GROUP, "s3fs", "s3fs S3FileSystem")
    if s3fs is None:
        return None
    bucket = context.s3.new_bucket("s3fs")
    credentials = context.s3.credentials
    fs = s3fs.S3FileSystem(
        key=credentials["aws_access_key_id"],
        secret=credentials["aws_secret_access_key"],
        skip_instance_cache=True,
        use_listings_cache=False,
        client_kwargs={"endpoint_url": credentials["endpoint_url"], "region_name": credentials["region_name"]},
    )
    return Client(
        "s3fs",
        bucket,
        False,
        lambda key, data: fs.pipe_file(f"{bucket}/{key}", data),
        lambda key: fs.cat_file(f"{bucket}/{key}"),
        lambda key: fs.exists(f"{bucket}/{key}"),
        lambda key: fs.rm_file(f"{bucket}/{key}"),
    )


def _measure(client: Client, operation: str, keys: List[str], before: Callable[[Client], None]) -> Measure:
    call = client.calls[operation]

    def calls() -> None:
        if operation == "put":
            for key in keys:
                call(key, OBJECT)
        else:
            for key in keys:
                call(key)

    def one() -> float:
        before(client)
        return timed(calls, len(keys))

    return one


def _targets(client: Client, has_obstore: bool) -> List[Target]:
    if not client.ours:
        return []
    return [Target("ratio", 1.0)] + ([Target("ratio", 1.3, against=OBSTORE)] if has_obstore else [])


def run(context: Context) -> List[Comparison]:
    """Measure the s3 group."""
    keys = [f"objects/k{index:05d}" for index in range(context.settings.size(100, 20))]
    filler = context.s3.boto3_client()
    raw = _boto3(context, context.s3.boto3_client())
    clients = [client for client in (_ours(context), _obstore(context), _s3fs(context)) if client is not None]
    has_obstore = any(client.label == OBSTORE for client in clients)

    def fill(client: Client) -> None:
        for key in keys:
            filler.put_object(Bucket=client.bucket, Key=key, Body=OBJECT)

    def nothing(client: Client) -> None:
        pass

    results = []
    for operation, before in (("put", nothing), ("get", nothing), ("exists", nothing), ("delete", fill)):
        subjects: List[Subject] = [
            (client.label, _measure(client, operation, keys, before), client.ours, _targets(client, has_obstore))
            for client in clients
        ]
        results.append(
            compare(
                GROUP,
                f"{operation}, 1 KiB x {len(keys)}",
                ("boto3 (SDK defaults)", _measure(raw, operation, keys, before)),
                subjects,
                context.repeats,
            )
        )
    return results
