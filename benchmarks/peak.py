"""``python -m benchmarks.peak MODE ENDPOINT BUCKET KEY PATH``: one transfer, its peak memory in MiB.

Run in a fresh process by the large group: it prints how far the process's peak resident set
rose during the transfer alone, after imports and client set-up. On Linux the peak (``VmHWM``)
is reset to the current resident set just before the transfer (``/proc/self/clear_refs``);
elsewhere ``ru_maxrss`` is used, which also counts any earlier peak.
"""

from __future__ import annotations

import resource
import shutil
import sys
from typing import Any, Callable, Dict

from benchmarks.s3server import ACCESS_KEY, REGION, SECRET_KEY

CHUNK = 1024 * 1024


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    raise OSError(f"no {field} in /proc/self/status")


def _reset_peak() -> int:
    """Reset the peak resident set to the current one (Linux); return the baseline in KiB."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
        return _status_kib("VmRSS:")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_kib() -> int:
    try:
        return _status_kib("VmHWM:")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _client(endpoint: str) -> Any:
    import boto3

    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )


def _store(endpoint: str, bucket: str) -> Any:
    from storage.s3 import BucketStore

    return BucketStore(
        endpoint_url=endpoint,
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
        bucket_name=bucket,
        region_name=REGION,
    )


def prepare(mode: str, endpoint: str, bucket: str, key: str, path: str) -> Callable[[], Any]:
    """Set up for ``mode`` (imports, clients, a first request) and return the transfer to measure."""
    if mode.endswith("-boto3"):
        client = _client(endpoint)
        client.head_object(Bucket=bucket, Key=key)
        if mode == "get-boto3":

            def get() -> bytes:
                return client.get_object(Bucket=bucket, Key=key)["Body"].read()

            return get
        if mode == "download-boto3":
            return lambda: client.download_file(bucket, key, path)
        return lambda: client.upload_file(path, bucket, f"copy/{key}")
    from storage.fs import FilesystemStore
    from storage.utils import copy_store

    store = _store(endpoint, bucket)
    store.exists(key)
    directory, _, name = path.rpartition("/")
    local = FilesystemStore(directory)
    modes: Dict[str, Callable[[], Any]] = {
        "get": lambda: store.get(key),
        "open-read": lambda: _stream(store, key, local, name),
        "stream-copy": lambda: _stream(local, name, store, f"copy/{key}"),
        "copy-store": lambda: copy_store(local, store),
    }
    return modes[mode]


def _stream(source: Any, source_key: str, target: Any, target_key: str) -> None:
    with source.open_read(source_key) as reader, target.open_write(target_key) as writer:
        shutil.copyfileobj(reader, writer, CHUNK)


def main(argv: list[str]) -> int:
    mode, endpoint, bucket, key, path = argv
    transfer = prepare(mode, endpoint, bucket, key, path)
    before = _reset_peak()
    transfer()
    print((_peak_kib() - before) / 1024)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
