"""Writers and listings that outlive their store's session: closing the store ends them with ``StoreClosed``."""

from __future__ import annotations

import gc
import inspect
import logging
import weakref
from typing import Any, Callable

import pytest

from storage.errors import StoreClosed
from storage.s3 import BucketStore

from .conftest import Twin

MIB = 1024 * 1024


def _uploads(s3_admin: Any, bucket: str) -> list[Any]:
    return list(s3_admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []))


def _stored(s3_admin: Any, bucket: str) -> dict[str, bytes]:
    listing = s3_admin.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {entry["Key"]: s3_admin.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read() for entry in listing}


def _assert_refused(writer: Any, key: str) -> None:
    for use in (lambda: writer.write(b"more"), writer.close):
        with pytest.raises(StoreClosed) as caught:
            use()
        assert caught.value.key == key and "open_write" in str(caught.value)


# Writers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("reopen", [False, True], ids=["closed", "reopened"])
def test_closing_the_store_discards_its_open_writers(twin: Twin, s3_admin: Any, reopen: bool) -> None:
    bucket = twin.raw.bucket_name
    twin.store.put("kept", b"old")
    aborts = twin.count("AbortMultipartUpload")
    large = twin.store.open_write("large")
    large.write(bytes(9 * MIB))  # one part sent: a multipart upload is in progress
    small = twin.store.open_write("small")
    small.write(b"below the multipart threshold")
    replacing = twin.store.open_write("kept")
    replacing.write(b"new")
    done = twin.store.open_write("done")
    done.write(b"committed")
    done.close()
    assert len(_uploads(s3_admin, bucket)) == 1

    twin.store.close()
    assert len(aborts) == 1
    assert _uploads(s3_admin, bucket) == []
    if reopen:
        twin.store.open()
    for writer, key in ((large, "large"), (small, "small"), (replacing, "kept")):
        _assert_refused(writer, key)
        writer.discard()  # already discarded: nothing to do
    done.close()  # closed before the store: closing it again changes nothing
    assert _stored(s3_admin, bucket) == {"done": b"committed", "kept": b"old"}
    assert _uploads(s3_admin, bucket) == []


def test_writer_left_in_a_with_block_by_the_store_closing(twin: Twin, s3_admin: Any) -> None:
    with pytest.raises(StoreClosed), twin.store.open_write("k") as writer:
        writer.write(bytes(9 * MIB))
        twin.store.close()
    with pytest.raises(RuntimeError, match="interrupted"), writer:  # the block's own error is not masked
        raise RuntimeError("interrupted")
    assert _uploads(s3_admin, twin.raw.bucket_name) == []
    assert _stored(s3_admin, twin.raw.bucket_name) == {}


def test_closing_a_store_of_a_given_client_aborts_its_writers(
    make_store: Callable[..., BucketStore], s3_admin: Any
) -> None:
    store = make_store(s3_client=s3_admin)
    writer = store.open_write("k")
    writer.write(bytes(9 * MIB))
    store.close()
    assert _uploads(s3_admin, store.bucket_name) == []
    _assert_refused(writer, "k")
    assert s3_admin.list_objects_v2(Bucket=store.bucket_name).get("KeyCount") == 0


def test_store_closes_even_if_an_abort_fails(twin: Twin, s3_admin: Any, caplog: pytest.LogCaptureFixture) -> None:
    def refuse(**_: Any) -> None:
        raise RuntimeError("abort refused")

    twin.on("before-parameter-build.s3.AbortMultipartUpload", refuse)
    first = twin.store.open_write("first")
    first.write(bytes(9 * MIB))
    second = twin.store.open_write("second")
    second.write(b"small")
    with caplog.at_level(logging.WARNING, logger="storage.s3"):
        twin.store.close()
    assert "abort refused" in caplog.text
    assert twin.raw.s3_client is None
    _assert_refused(first, "first")
    _assert_refused(second, "second")
    assert [upload["Key"] for upload in _uploads(s3_admin, twin.raw.bucket_name)] == ["first"]


def test_store_keeps_no_writer_alive(twin: Twin) -> None:
    writer = twin.call("open_write", "dropped")
    written = writer.write(b"abc")
    if inspect.isawaitable(written):
        twin.run(written)
    dropped = weakref.ref(writer)
    del writer
    gc.collect()
    assert dropped() is None
    twin.store.close()
    assert twin.raw.s3_client is None


# Listings --------------------------------------------------------------------------------------


@pytest.mark.parametrize("started", [True, False], ids=["started", "not-started"])
def test_keys_iterator_refuses_use_once_the_store_reopened(twin: Twin, started: bool) -> None:
    keys = [f"k/{i:05d}" for i in range(1001)]
    twin.store.put_many({key: b"" for key in keys})
    requests = twin.count("ListObjectsV2")
    listing = iter(twin.store.keys("k/"))
    if started:
        assert [next(listing) for _ in range(1000)] == keys[:1000]
    twin.store.close()
    twin.store.open()
    with pytest.raises(StoreClosed) as caught:
        next(listing)
    assert "keys 'k/'" in str(caught.value) and "the listing was begun" in str(caught.value)
    assert len(requests) == (1 if started else 0)
    assert list(twin.store.keys("k/")) == keys
