"""S3-specific behaviour of both stores: listing pages, batches, multipart uploads, presigned URLs."""

from __future__ import annotations

import asyncio
import os
import threading
import urllib.request
from typing import Any, Callable

import pytest
from botocore.exceptions import EndpointConnectionError

from storage.errors import (
    AlreadyExists,
    InvalidKey,
    InvalidValue,
    ObjectNotFound,
    PartialFailure,
    PermissionDenied,
    StoreClosed,
    StoreUnavailable,
)

from .conftest import Twin

MIB = 1024 * 1024


def _fill(twin: Twin, count: int, prefix: str = "k/") -> list[str]:
    keys = [f"{prefix}{i:05d}" for i in range(count)]
    twin.store.put_many({key: b"" for key in keys})
    return keys


# Listing --------------------------------------------------------------------------------------


def test_keys_pages_through_more_than_1000(twin: Twin) -> None:
    keys = _fill(twin, 1100)
    _fill(twin, 3, prefix="other/")
    requests = twin.count("ListObjectsV2")
    assert list(twin.store.keys("k/")) == keys
    assert len(requests) == 2
    assert all(params["Prefix"] == "k/" for params in requests)


def test_keys_stops_without_fetching_further_pages(twin: Twin) -> None:
    _fill(twin, 1100)
    requests = twin.count("ListObjectsV2")
    taken = []
    for key in twin.store.keys():
        taken.append(key)
        if len(taken) == 10:
            break
    assert taken == [f"k/{i:05d}" for i in range(10)]
    assert len(requests) == 1


def test_keys_fetches_nothing_until_iterated(twin: Twin) -> None:
    requests = twin.count("ListObjectsV2")
    listing = twin.store.keys()
    assert requests == []
    assert list(listing) == []
    assert len(requests) == 1


def test_keys_iterator_of_a_closed_store_raises_store_closed(twin: Twin) -> None:
    twin.store.put("a", b"1")
    listing = twin.store.keys()
    twin.store.close()
    with pytest.raises(StoreClosed) as caught:
        list(listing)
    assert "keys" in str(caught.value)


def test_keys_iterator_stops_at_the_next_page_once_closed(twin: Twin) -> None:
    _fill(twin, 1001)
    requests = twin.count("ListObjectsV2")
    listing = iter(twin.store.keys())
    assert [next(listing) for _ in range(1000)] == [f"k/{i:05d}" for i in range(1000)]
    twin.store.close()
    with pytest.raises(StoreClosed):
        next(listing)
    assert len(requests) == 1


@pytest.mark.parametrize("prefix", [5, None, b"k/", "\ud800"])
def test_keys_refuses_bad_prefix(twin: Twin, prefix: Any) -> None:
    with pytest.raises(InvalidKey):
        list(twin.store.keys(prefix))


# Keys S3 cannot hold -------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["x" * 1025, "é" * 513, "lone \udc80 surrogate"])
def test_keys_s3_cannot_hold_are_refused(twin: Twin, key: str) -> None:
    puts = twin.count("PutObject")
    for operation in ("get", "exists", "delete"):
        with pytest.raises(InvalidKey):
            getattr(twin.store, operation)(key)
    with pytest.raises(InvalidKey):
        twin.store.put(key, b"v")
    assert puts == []
    assert list(twin.store.keys()) == []


def test_longest_key_is_stored(twin: Twin) -> None:
    key = "é" * 512
    twin.store.put(key, b"v")
    assert twin.store.get(key) == b"v"
    assert list(twin.store.keys()) == [key]


# exists and delete ---------------------------------------------------------------------------


def test_exists_uses_head(twin: Twin) -> None:
    twin.store.put("key", b"v")
    heads = twin.count("HeadObject")
    gets = twin.count("GetObject")
    assert twin.store.exists("key")
    assert not twin.store.exists("nope")
    assert len(heads) == 2
    assert gets == []


def test_delete_missing_sends_no_delete(twin: Twin) -> None:
    deletes = twin.count("DeleteObject")
    with pytest.raises(ObjectNotFound):
        twin.store.delete("missing")
    assert deletes == []


# Batches ---------------------------------------------------------------------------------------


def test_delete_many_sends_batches_of_1000(twin: Twin) -> None:
    stored = _fill(twin, 30)
    twin.store.put("keep", b"k")
    absent = [f"absent/{i}" for i in range(2470)]
    requests = twin.count("DeleteObjects")
    twin.store.delete_many([*stored[:15], *absent, *stored[15:], stored[0]])
    assert sorted(len(params["Delete"]["Objects"]) for params in requests) == [500, 1000, 1000]
    assert list(twin.store.keys()) == ["keep"]


def test_delete_many_reports_per_key_failures(twin: Twin) -> None:
    twin.store.put_many({"x/1": b"1", "x/2": b"2", "x/3": b"3"})

    def refuse_some(parsed: dict[str, Any], **_: Any) -> None:
        parsed["Errors"] = [
            {"Key": "x/2", "Code": "AccessDenied", "Message": "Access Denied"},
            {"Key": "x/3", "Code": "InternalError", "Message": "try again"},
        ]

    twin.on("after-call.s3.DeleteObjects", refuse_some)
    with pytest.raises(PartialFailure) as caught:
        twin.store.delete_many(["x/1", "x/2", "x/3"])
    failure = caught.value
    assert set(failure.failed) == {"x/2", "x/3"}
    assert isinstance(failure.failed["x/2"], PermissionDenied)
    assert isinstance(failure.failed["x/3"], StoreUnavailable)
    assert failure.succeeded == ["x/1"]
    assert not failure.retryable
    assert "x/2" in str(failure) and twin.raw.bucket_name in str(failure)


def test_delete_many_deletes_keys_xml_cannot_carry_one_by_one(twin: Twin) -> None:
    keys = ["a", "bad\x1fkey", "b", "ctl\x01", "c"]
    twin.store.put_many({key: b"v" for key in [*keys, "keep"]})
    batches = twin.count("DeleteObjects")
    singles = twin.count("DeleteObject")
    twin.store.delete_many([*keys, "absent\x02"])
    assert [[entry["Key"] for entry in params["Delete"]["Objects"]] for params in batches] == [["a", "b", "c"]]
    assert [params["Key"] for params in singles] == ["bad\x1fkey", "ctl\x01", "absent\x02"]
    assert list(twin.store.keys()) == ["keep"]


def test_delete_many_reports_a_key_deleted_on_its_own_that_failed(twin: Twin) -> None:
    twin.store.put_many({"a": b"1", "bad\x1f": b"2"})

    def fail(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1")

    twin.on("before-call.s3.DeleteObject", fail)
    with pytest.raises(PartialFailure) as caught:
        twin.store.delete_many(["a", "bad\x1f"])
    assert list(caught.value.failed) == ["bad\x1f"]
    assert isinstance(caught.value.failed["bad\x1f"], StoreUnavailable)
    assert caught.value.succeeded == ["a"]
    assert list(twin.store.keys()) == ["bad\x1f"]


def test_batches_keep_concurrency_bounded(make_twin: Callable[..., Twin]) -> None:
    twin = make_twin(max_concurrency=3)
    lock = threading.Lock()
    in_flight = [0, 0]

    def started(**_: Any) -> None:
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight[1], in_flight[0])

    def finished(**_: Any) -> None:
        with lock:
            in_flight[0] -= 1

    for operation in ("PutObject", "GetObject"):
        twin.on(f"before-call.s3.{operation}", started)
        twin.on(f"after-call.s3.{operation}", finished)
    items = {f"c/{i}": os.urandom(64) for i in range(40)}
    twin.store.put_many(items)
    assert twin.store.get_many([*items, "c/missing"]) == items
    assert 1 <= in_flight[1] <= 3


def test_put_many_checks_everything_before_writing(twin: Twin) -> None:
    puts = twin.count("PutObject")
    with pytest.raises(InvalidValue):
        twin.store.put_many({"a": b"1", "b": "text", "c": b"3"})
    with pytest.raises(InvalidKey):
        twin.store.put_many([("a", b"1"), ("", b"2")])
    assert puts == []
    assert list(twin.store.keys()) == []


@pytest.mark.parametrize("keys", [["ok", ""], ["ok", None], "a-single-key"])
def test_batch_reads_and_deletes_refuse_bad_keys(twin: Twin, keys: Any) -> None:
    twin.store.put("ok", b"v")
    with pytest.raises(InvalidKey):
        twin.store.get_many(keys)
    with pytest.raises(InvalidKey):
        twin.store.delete_many(keys)
    assert twin.store.exists("ok")


def test_put_many_reports_failed_keys(twin: Twin) -> None:
    def fail_b(params: dict[str, Any], **_: Any) -> None:
        if params["Key"] == "b":
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1")

    twin.on("before-parameter-build.s3.PutObject", fail_b)
    with pytest.raises(PartialFailure) as caught:
        twin.store.put_many({"a": b"1", "b": b"2"})
    assert list(caught.value.failed) == ["b"]
    assert caught.value.retryable
    assert twin.store.get("a") == b"1"


# Multipart uploads ----------------------------------------------------------------------------


def test_64_mib_object_uses_multipart(twin: Twin, s3_admin: Any) -> None:
    data = os.urandom(64 * MIB)
    parts = twin.count("UploadPart")
    twin.store.put("big", data)
    assert len(parts) == 8
    assert twin.store.get("big") == data
    etag = s3_admin.head_object(Bucket=twin.raw.bucket_name, Key="big")["ETag"]
    assert etag.strip('"').endswith("-8")


def test_objects_up_to_the_threshold_go_in_one_request(make_twin: Callable[..., Twin]) -> None:
    twin = make_twin(multipart_threshold=6 * MIB)
    creates = twin.count("CreateMultipartUpload")
    twin.store.put("at", bytes(6 * MIB))
    assert creates == []
    twin.store.put("above", bytes(6 * MIB + 1))
    assert len(creates) == 1


@pytest.mark.parametrize(
    "failure", [EndpointConnectionError(endpoint_url="http://127.0.0.1"), RuntimeError("boom")], ids=repr
)
def test_failed_multipart_upload_is_aborted(twin: Twin, s3_admin: Any, failure: Exception) -> None:
    bucket = twin.raw.bucket_name
    twin.store.put("big", b"old")

    def fail_third_part(params: dict[str, Any], **_: Any) -> None:
        if params["PartNumber"] == 3:
            raise failure

    twin.on("before-parameter-build.s3.UploadPart", fail_third_part)
    aborts = twin.count("AbortMultipartUpload")
    expected = StoreUnavailable if isinstance(failure, EndpointConnectionError) else RuntimeError
    with pytest.raises(expected):
        twin.store.put("big", os.urandom(20 * MIB))
    assert len(aborts) == 1
    assert s3_admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert twin.store.get("big") == b"old"


def test_failed_completion_is_aborted(twin: Twin, s3_admin: Any) -> None:
    def fail(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1")

    twin.on("before-call.s3.CompleteMultipartUpload", fail)
    with pytest.raises(StoreUnavailable):
        twin.store.put("big", bytes(9 * MIB))
    assert s3_admin.list_multipart_uploads(Bucket=twin.raw.bucket_name).get("Uploads", []) == []
    assert not twin.store.exists("big")


# Presigned URLs ------------------------------------------------------------------------------


def test_presigned_get(twin: Twin) -> None:
    twin.store.put("dir/file name.txt", b"shared")
    url = twin.call("presigned_get", "dir/file name.txt")
    assert isinstance(url, str)
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == b"shared"


def test_presigned_put(twin: Twin) -> None:
    url = twin.call("presigned_put", "uploads/ü.bin", expiry=60)
    # An explicit type: urllib's default (a form) makes the test server parse the body away.
    request = urllib.request.Request(
        url, data=b"uploaded", method="PUT", headers={"Content-Type": "application/octet-stream"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    assert twin.store.get("uploads/ü.bin") == b"uploaded"


@pytest.mark.parametrize("expiry", [0, -1, 7 * 24 * 3600 + 1, 1.5, "60", True])
def test_presigned_refuses_bad_expiry(twin: Twin, expiry: Any) -> None:
    for method in ("presigned_get", "presigned_put"):
        with pytest.raises(ValueError):
            twin.call(method, "key", expiry=expiry)


@pytest.mark.parametrize("key", ["", None, 7])
def test_presigned_refuses_bad_keys(twin: Twin, key: Any) -> None:
    for method in ("presigned_get", "presigned_put"):
        with pytest.raises(InvalidKey):
            twin.call(method, key)


# Native conditional writes, ranges and metadata ------------------------------------------------


def test_conditional_write_is_native_also_for_multipart(make_twin: Callable[..., Twin]) -> None:
    twin = make_twin(multipart_threshold=5 * MIB)
    assert twin.store.capabilities.native_conditional_write
    puts = twin.count("PutObject")
    completions = twin.count("CompleteMultipartUpload")
    twin.store.put("small", b"1", if_absent=True)
    twin.store.put("big", bytes(6 * MIB), if_absent=True)
    with pytest.raises(AlreadyExists):
        twin.store.put("small", b"2", if_absent=True)
    with pytest.raises(AlreadyExists):
        twin.store.put("big", b"x" * (6 * MIB), if_absent=True)
    assert all(params["IfNoneMatch"] == "*" for params in [*puts, *completions])
    assert twin.store.get("small") == b"1"
    assert twin.store.get_range("big", 0, 2) == b"\0\0"


def test_get_range_and_stat_are_native(twin: Twin) -> None:
    twin.store.put("obj", b"0123456789")
    gets = twin.count("GetObject")
    assert twin.store.get_range("obj", 2, 5) == b"234"
    assert twin.store.get_range("obj", 8) == b"89"
    assert [params["Range"] for params in gets] == ["bytes=2-4", "bytes=8-"]
    info = twin.store.stat("obj")
    assert info.size == 10
    assert info.etag == "781e5e245d69b566979b86e28d23f2c7"  # MD5 of the content, as S3 reports it
    assert info.modified is not None


def test_cancelled_async_multipart_upload_is_aborted(
    make_async_store: Callable[..., Any], s3_admin: Any, bucket: str
) -> None:
    store = make_async_store()

    async def scenario() -> None:
        await store.open()
        second_part = asyncio.Event()

        async def stall(params: dict[str, Any], **_: Any) -> None:
            if params["PartNumber"] == 2:
                second_part.set()
                await asyncio.Event().wait()

        store.s3_client.meta.events.register("before-parameter-build.s3.UploadPart", stall)
        upload = asyncio.ensure_future(store.put("big", bytes(20 * MIB)))
        await second_part.wait()
        upload.cancel()
        with pytest.raises(asyncio.CancelledError):
            await upload
        await store.close()

    asyncio.run(scenario())
    assert s3_admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
