"""Native copy, rename, list_dir and streaming reads and writes of both bucket stores."""

from __future__ import annotations

import datetime
import io
import os
from typing import Any, Callable

import pytest

from storage.errors import ConfigError, InvalidKey, InvalidValue, ObjectNotFound, StoreClosed, StoreError
from storage.metadata import ListResult
from storage.s3 import AsyncBucketStore, BucketStore, SourceChanged

from ._relay import Relay
from .conftest import Twin

MIB = 1024 * 1024


def _uploads(s3_admin: Any, bucket: str) -> list[Any]:
    return list(s3_admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []))


def test_capabilities_are_native(twin: Twin) -> None:
    capabilities = twin.store.capabilities
    assert capabilities.native_copy and capabilities.native_range and capabilities.native_metadata
    assert capabilities.native_conditional_write and capabilities.listing


def test_etags_are_declared_content_digests(twin: Twin) -> None:
    for key, value in (("a", b"same"), ("b", b"same"), ("c", b"other")):
        twin.call("put", key, value)
    assert twin.raw.etag_digest == "s3-md5"
    assert twin.call("stat", "a").etag == twin.call("stat", "b").etag != twin.call("stat", "c").etag


# copy ----------------------------------------------------------------------------------------


def test_copy_is_one_server_side_request(twin: Twin) -> None:
    twin.store.put("src", b"payload")
    copies = twin.count("CopyObject")
    gets = twin.count("GetObject")
    puts = twin.count("PutObject")
    twin.store.copy("src", "dir/dst")
    bucket = twin.raw.bucket_name
    assert len(copies) == 1
    assert copies[0]["CopySource"] in ({"Bucket": bucket, "Key": "src"}, f"{bucket}/src")  # botocore may encode it
    assert gets == [] and puts == []
    assert twin.store.get("dir/dst") == b"payload"
    assert twin.store.get("src") == b"payload"


def test_copy_of_missing_source_names_the_source(twin: Twin) -> None:
    copies = twin.count("CopyObject")
    with pytest.raises(ObjectNotFound) as caught:
        twin.store.copy("no/such/source", "target")
    assert caught.value.key == "no/such/source"
    assert "no/such/source" in str(caught.value) and "copy" in str(caught.value)
    assert copies == []
    assert not twin.store.exists("target")


def test_large_copy_goes_in_parts(make_twin: Callable[..., Twin], s3_admin: Any) -> None:
    twin = make_twin(multipart_copy_threshold=5 * MIB)
    data = os.urandom(12 * MIB + 5)
    twin.store.put("big", data)
    part_copies = twin.count("UploadPartCopy")
    copies = twin.count("CopyObject")
    gets = twin.count("GetObject")
    twin.store.copy("big", "copy/of/big")
    assert [params["CopySourceRange"] for params in part_copies] == [
        f"bytes=0-{5 * MIB - 1}", f"bytes={5 * MIB}-{10 * MIB - 1}", f"bytes={10 * MIB}-{12 * MIB + 4}",
    ]
    assert copies == [] and gets == []
    assert twin.store.get("copy/of/big") == data
    assert _uploads(s3_admin, twin.raw.bucket_name) == []
    twin.store.put("small", b"small")
    twin.store.copy("small", "small-copy")
    assert len(copies) == 1


def test_failed_part_copy_is_aborted(make_twin: Callable[..., Twin], s3_admin: Any) -> None:
    twin = make_twin(multipart_copy_threshold=5 * MIB)
    twin.store.put("big", bytes(11 * MIB))

    def fail_second(params: dict[str, Any], **_: Any) -> None:
        if params["PartNumber"] == 2:
            raise RuntimeError("boom")

    twin.on("before-parameter-build.s3.UploadPartCopy", fail_second)
    with pytest.raises(RuntimeError):
        twin.store.copy("big", "target")
    assert _uploads(s3_admin, twin.raw.bucket_name) == []
    assert not twin.store.exists("target")


_KEPT_BY_COPY = ("ContentType", "ContentEncoding", "CacheControl", "ContentDisposition", "ContentLanguage", "Expires")


def test_large_copy_keeps_what_copy_object_keeps(make_twin: Callable[..., Twin], s3_admin: Any) -> None:
    twin = make_twin(multipart_copy_threshold=5 * MIB)
    bucket = twin.raw.bucket_name
    s3_admin.put_object(
        Bucket=bucket, Key="big", Body=bytes(6 * MIB), ContentType="text/plain", ContentEncoding="gzip",
        CacheControl="max-age=60", ContentDisposition="attachment", ContentLanguage="fr",
        Expires=datetime.datetime(2040, 1, 2, tzinfo=datetime.timezone.utc), Metadata={"origin": "test"},
    )
    twin.store.copy("big", "copy/of/big")
    source = s3_admin.head_object(Bucket=bucket, Key="big")
    copied = s3_admin.head_object(Bucket=bucket, Key="copy/of/big")
    assert copied["ETag"].endswith('-2"')
    assert {name: copied.get(name) for name in _KEPT_BY_COPY} == {name: source[name] for name in _KEPT_BY_COPY}
    assert copied["Metadata"] == {"origin": "test"}


def _overwrite_after_first_parts(twin: Twin, s3_admin: Any, key: str, times: int) -> list[dict[str, Any]]:
    """Replace ``key`` after the first part of the next ``times`` copies in parts; return the UploadPartCopy params."""
    parts = twin.count("UploadPartCopy")
    left = [times]

    def overwrite(params: dict[str, Any], **_: Any) -> None:
        if params["PartNumber"] == 2 and left[0]:
            left[0] -= 1
            s3_admin.put_object(Bucket=twin.raw.bucket_name, Key=key, Body=os.urandom(11 * MIB))

    twin.on("before-parameter-build.s3.UploadPartCopy", overwrite)
    return parts


def test_large_copy_never_mixes_two_versions(
    make_twin: Callable[..., Twin], relay: Relay, s3_admin: Any
) -> None:
    twin = make_twin(endpoint_url=relay.url, multipart_copy_threshold=5 * MIB)
    bucket = twin.raw.bucket_name
    twin.store.put("big", bytes(11 * MIB))
    parts = _overwrite_after_first_parts(twin, s3_admin, "big", times=1)
    twin.store.copy("big", "target")
    old, new = parts[0]["CopySourceIfMatch"], s3_admin.head_object(Bucket=bucket, Key="big")["ETag"]
    assert old != new
    assert [params["CopySourceIfMatch"] for params in parts] == [old, old, new, new, new]
    assert twin.store.get("target") == twin.store.get("big")
    assert _uploads(s3_admin, bucket) == []


def test_large_copy_of_a_source_changing_again_and_again_fails(
    make_twin: Callable[..., Twin], relay: Relay, s3_admin: Any
) -> None:
    twin = make_twin(endpoint_url=relay.url, multipart_copy_threshold=5 * MIB)
    twin.store.put("big", bytes(11 * MIB))
    parts = _overwrite_after_first_parts(twin, s3_admin, "big", times=2)
    with pytest.raises(SourceChanged) as caught:
        twin.store.copy("big", "target")
    assert caught.value.retryable and isinstance(caught.value, StoreError)
    assert caught.value.key == "big" and "copy 'big'" in str(caught.value)
    assert len(parts) == 4
    assert not twin.store.exists("target")
    assert _uploads(s3_admin, twin.raw.bucket_name) == []


def test_large_copy_of_a_source_deleted_meanwhile_names_the_source(
    make_twin: Callable[..., Twin], s3_admin: Any
) -> None:
    twin = make_twin(multipart_copy_threshold=5 * MIB)
    bucket = twin.raw.bucket_name
    twin.store.put("big", bytes(11 * MIB))
    twin.on("after-call.s3.UploadPartCopy", lambda **_: s3_admin.delete_object(Bucket=bucket, Key="big"))
    with pytest.raises(ObjectNotFound) as caught:
        twin.store.copy("big", "target")
    assert caught.value.key == "big" and "vanished" in str(caught.value)
    assert not twin.store.exists("target")
    assert _uploads(s3_admin, bucket) == []


@pytest.mark.parametrize("threshold", [5 * MIB, 5 * 1024 * MIB])
def test_copy_to_itself_only_checks(make_twin: Callable[..., Twin], threshold: int) -> None:
    twin = make_twin(multipart_copy_threshold=threshold)
    twin.store.put("same", bytes(6 * MIB))
    calls: list[str] = []
    twin.on("before-call.s3", lambda model, **_: calls.append(model.name))
    twin.store.copy("same", "same")
    assert calls == ["HeadObject"]
    assert twin.store.get("same") == bytes(6 * MIB)
    with pytest.raises(ObjectNotFound) as caught:
        twin.store.copy("ghost", "ghost")
    assert caught.value.key == "ghost" and "copy" in str(caught.value)


@pytest.mark.parametrize("threshold", [0, -1, 5 * 1024 * MIB + 1, "5GB", True])
def test_bad_copy_threshold(threshold: Any) -> None:
    with pytest.raises(ConfigError, match="multipart_copy_threshold"):
        BucketStore(bucket_name="bucket", multipart_copy_threshold=threshold)
    with pytest.raises(ConfigError, match="multipart_copy_threshold"):
        AsyncBucketStore("bucket", multipart_copy_threshold=threshold)


@pytest.mark.parametrize("operation", ["copy", "rename"])
@pytest.mark.parametrize(("source", "target"), [("", "t"), ("s", ""), ("s", None), (3, "t"), ("s", "x" * 1025)])
def test_copy_and_rename_refuse_bad_keys(twin: Twin, operation: str, source: Any, target: Any) -> None:
    twin.store.put("s", b"v")
    requests = twin.count("CopyObject")
    with pytest.raises(InvalidKey):
        getattr(twin.store, operation)(source, target)
    assert requests == []
    assert list(twin.store.keys()) == ["s"]


# rename --------------------------------------------------------------------------------------


def test_rename_is_copy_then_delete(twin: Twin) -> None:
    twin.store.put("old", b"moving")
    calls: list[str] = []
    twin.on("before-call.s3", lambda model, **_: calls.append(model.name))
    twin.store.rename("old", "new/place")
    assert calls == ["HeadObject", "CopyObject", "DeleteObject"]
    assert twin.store.get("new/place") == b"moving"
    assert not twin.store.exists("old")


def test_rename_to_itself_only_checks(twin: Twin) -> None:
    twin.store.put("same", b"v")
    calls: list[str] = []
    twin.on("before-call.s3", lambda model, **_: calls.append(model.name))
    twin.store.rename("same", "same")
    assert calls == ["HeadObject"]
    assert twin.store.get("same") == b"v"
    with pytest.raises(ObjectNotFound) as caught:
        twin.store.rename("ghost", "ghost")
    assert caught.value.key == "ghost"


def test_rename_of_missing_source_changes_nothing(twin: Twin) -> None:
    twin.store.put("target", b"kept")
    with pytest.raises(ObjectNotFound) as caught:
        twin.store.rename("missing", "target")
    assert caught.value.key == "missing"
    assert twin.store.get("target") == b"kept"


# list_dir ------------------------------------------------------------------------------------


def test_list_dir_uses_the_delimiter_and_pages(twin: Twin) -> None:
    twin.store.put_many({f"d/k{i:04d}": b"" for i in range(1005)})
    twin.store.put_many({f"d/sub{i}/x": b"" for i in range(3)})
    twin.store.put("d/sub0/deeper/y", b"")
    twin.store.put("elsewhere", b"")
    requests = twin.count("ListObjectsV2")
    result = twin.store.list_dir("d/")
    assert isinstance(result, ListResult)
    assert result.keys == [f"d/k{i:04d}" for i in range(1005)]
    assert result.prefixes == ["d/sub0/", "d/sub1/", "d/sub2/"]
    assert len(requests) == 2
    assert all(params["Delimiter"] == "/" and params["Prefix"] == "d/" for params in requests)
    assert "ContinuationToken" in requests[1]


def test_list_dir_of_the_root(twin: Twin) -> None:
    twin.store.put_many({"a": b"", "b/c": b"", "b/d/e": b""})
    requests = twin.count("ListObjectsV2")
    assert twin.store.list_dir() == ListResult(["a"], ["b/"])
    assert "Prefix" not in requests[0]


@pytest.mark.parametrize("prefix", [5, None, b"d/", "\ud800", "x" * 1025])
def test_list_dir_refuses_bad_prefix(twin: Twin, prefix: Any) -> None:
    requests = twin.count("ListObjectsV2")
    with pytest.raises(InvalidKey) as caught:
        twin.store.list_dir(prefix)
    assert "list_dir" in str(caught.value)
    assert requests == []


# open_read -----------------------------------------------------------------------------------


def test_open_read_streams_the_body(twin: Twin) -> None:
    data = os.urandom(3 * MIB + 7)
    twin.store.put("stream", data)
    gets = twin.count("GetObject")
    with twin.store.open_read("stream") as reader:
        assert len(gets) == 1
        first = reader.read(10)
        rest = [reader.read(MIB)]
        while rest[-1]:
            rest.append(reader.read(MIB))
    assert first + b"".join(rest) == data
    assert len(gets) == 1


def test_open_read_read_all_and_close(twin: Twin) -> None:
    twin.store.put("small", b"0123456789")
    reader = twin.store.open_read("small")
    assert reader.read(3) == b"012"
    assert reader.read() == b"3456789"
    assert reader.read(5) == b""
    reader.close()
    reader.close()
    with pytest.raises(ValueError):
        reader.read(1)


def test_open_read_closed_early_releases_the_body(twin: Twin) -> None:
    twin.store.put("big", bytes(4 * MIB))
    with twin.store.open_read("big") as reader:
        assert reader.read(5) == b"\0" * 5
    assert twin.store.get("big") == bytes(4 * MIB)


class _BodySpy:
    """Stands in for a reader's streaming body, counting the times it is closed."""

    def __init__(self, body: Any) -> None:
        self.body = body
        self.closes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.body, name)

    def close(self) -> None:
        self.closes += 1
        self.body.close()


def _spy_on_body(reader: Any) -> _BodySpy:
    """Put a ``_BodySpy`` around the body of a reader of either store (the async one behind its blocking view)."""
    raw = getattr(reader, "file", reader)
    spy = _BodySpy(raw._body)
    raw._body = spy
    return spy


@pytest.mark.parametrize("reopen", [False, True], ids=["closed", "reopened"])
def test_open_read_refuses_use_after_the_store_closes(twin: Twin, reopen: bool) -> None:
    twin.store.put("big", bytes(3 * MIB))
    reader = twin.store.open_read("big")
    assert reader.read(5) == b"\0" * 5
    body = _spy_on_body(reader)
    twin.store.close()
    if reopen:
        twin.store.open()
    for _ in range(2):
        with pytest.raises(StoreClosed) as caught:
            reader.read(5)
        assert caught.value.key == "big" and "open_read 'big'" in str(caught.value)
        assert twin.raw.bucket_name in str(caught.value)
    assert body.closes >= 1
    reader.close()
    with pytest.raises(ValueError):
        reader.read(1)


def test_open_read_of_a_given_client_refuses_use_after_the_store_closes(
    make_store: Callable[..., BucketStore], s3_admin: Any
) -> None:
    store = make_store(s3_client=s3_admin)
    store.put("k", b"0123456789")
    with store.open_read("k") as reader:
        assert reader.read(2) == b"01"
        store.close()
        with pytest.raises(StoreClosed):
            reader.read(2)
    assert s3_admin.head_object(Bucket=store.bucket_name, Key="k")["ContentLength"] == 10


def test_open_read_of_missing_key_fails_at_open(twin: Twin) -> None:
    with pytest.raises(ObjectNotFound) as caught:
        twin.store.open_read("missing/key")
    assert caught.value.key == "missing/key" and "open_read" in str(caught.value)


@pytest.mark.parametrize("key", ["", None, "x" * 1025])
def test_open_read_and_write_refuse_bad_keys(twin: Twin, key: Any) -> None:
    with pytest.raises(InvalidKey):
        twin.store.open_read(key)
    with pytest.raises(InvalidKey):
        twin.store.open_write(key)


def test_sync_reader_is_a_binary_file(make_store: Callable[..., BucketStore]) -> None:
    store = make_store()
    store.put("k", b"line one\nline two\n")
    with store.open_read("k") as reader:
        assert reader.readable() and not reader.writable()
        assert reader.readline() == b"line one\n"
        buffer = bytearray(4)
        assert reader.readinto(buffer) == 4 and buffer == b"line"


# open_write ----------------------------------------------------------------------------------


def test_open_write_uploads_parts_as_they_fill(twin: Twin, s3_admin: Any) -> None:
    bucket = twin.raw.bucket_name
    creates = twin.count("CreateMultipartUpload")
    parts = twin.count("UploadPart")
    completions = twin.count("CompleteMultipartUpload")
    chunk = os.urandom(3 * MIB)
    with twin.store.open_write("streamed") as writer:
        for _ in range(3):
            writer.write(chunk)
        assert len(parts) == 1 and len(creates) == 1
        assert len(_uploads(s3_admin, bucket)) == 1
        assert not twin.store.exists("streamed")
        writer.write(b"tail")
        assert completions == []
    assert len(parts) == 2 and len(completions) == 1
    assert [len(params["Body"]) for params in parts] == [8 * MIB, 1 * MIB + 4]
    assert twin.store.get("streamed") == chunk * 3 + b"tail"
    assert _uploads(s3_admin, bucket) == []


def test_small_open_write_is_one_put(twin: Twin) -> None:
    creates = twin.count("CreateMultipartUpload")
    puts = twin.count("PutObject")
    with twin.store.open_write("small") as writer:
        assert writer.write(b"abc") == 3
        assert writer.write(bytearray(b"def")) == 3
        assert writer.write(memoryview(b"xghix")[1:4]) == 3
        assert puts == []
    assert len(puts) == 1 and creates == []
    assert twin.store.get("small") == b"abcdefghi"


def test_open_write_of_exactly_one_part_is_one_put(twin: Twin) -> None:
    creates = twin.count("CreateMultipartUpload")
    with twin.store.open_write("exact") as writer:
        writer.write(bytes(8 * MIB))
    assert creates == []
    assert twin.store.stat("exact").size == 8 * MIB


def test_empty_open_write_stores_an_empty_object(twin: Twin) -> None:
    with twin.store.open_write("empty"):
        pass
    assert twin.store.get("empty") == b""


@pytest.mark.parametrize("how", ["raise", "discard"])
def test_open_write_aborted_leaves_nothing(twin: Twin, s3_admin: Any, how: str) -> None:
    bucket = twin.raw.bucket_name
    twin.store.put("kept", b"old")
    aborts = twin.count("AbortMultipartUpload")
    writer = twin.store.open_write("kept")
    writer.write(os.urandom(9 * MIB))
    assert len(_uploads(s3_admin, bucket)) == 1
    if how == "raise":
        with pytest.raises(RuntimeError), writer:
            writer.write(b"more")
            raise RuntimeError("interrupted")
    else:
        writer.discard()
    assert len(aborts) == 1
    assert _uploads(s3_admin, bucket) == []
    assert twin.store.get("kept") == b"old"
    writer.close()
    assert twin.store.get("kept") == b"old"


def test_open_write_failed_part_aborts(twin: Twin, s3_admin: Any) -> None:
    def fail_second(params: dict[str, Any], **_: Any) -> None:
        if params["PartNumber"] == 2:
            raise RuntimeError("boom")

    twin.on("before-parameter-build.s3.UploadPart", fail_second)
    writer = twin.store.open_write("broken")
    writer.write(bytes(9 * MIB))
    with pytest.raises(RuntimeError):
        writer.write(bytes(9 * MIB))
    assert _uploads(s3_admin, twin.raw.bucket_name) == []
    with pytest.raises(ValueError):
        writer.write(b"after the failure")
    writer.close()
    assert not twin.store.exists("broken")


def test_open_write_refuses_text_and_keeps_going(twin: Twin) -> None:
    with twin.store.open_write("typed") as writer:
        writer.write(b"ok")
        with pytest.raises(InvalidValue):
            writer.write("text")  # type: ignore[arg-type]
    assert twin.store.get("typed") == b"ok"


def test_write_after_close_is_refused(twin: Twin) -> None:
    writer = twin.store.open_write("k")
    writer.write(b"v")
    writer.close()
    writer.close()
    with pytest.raises(ValueError):
        writer.write(b"again")
    assert twin.store.get("k") == b"v"


def test_sync_writer_dropped_unclosed_is_discarded(make_store: Callable[..., BucketStore], s3_admin: Any) -> None:
    store = make_store()
    writer = store.open_write("dropped")
    writer.write(bytes(9 * MIB))
    assert len(_uploads(s3_admin, store.bucket_name)) == 1
    del writer
    assert _uploads(s3_admin, store.bucket_name) == []
    assert not store.exists("dropped")


def test_sync_writer_is_a_binary_file(make_store: Callable[..., BucketStore]) -> None:
    store = make_store()
    writer = store.open_write("w")
    assert isinstance(writer, io.BufferedIOBase)
    assert writer.writable() and not writer.readable() and not writer.seekable()
    writer.writelines([b"ab", bytearray(b"cd"), memoryview(b"ef")])
    assert writer.tell() == 6
    with pytest.raises(io.UnsupportedOperation):
        writer.seek(0)
    writer.close()
    assert writer.closed
    with pytest.raises(ValueError):
        writer.tell()
    assert store.get("w") == b"abcdef"
    with io.TextIOWrapper(store.open_write("text"), encoding="utf-8", newline="") as text:
        text.write("h\u00e9llo\n")
        text.writelines(["l\u00efnes\n", "end"])
    assert store.get("text") == "h\u00e9llo\nl\u00efnes\nend".encode()


def test_writer_tells_how_much_was_written(twin: Twin) -> None:
    writer = twin.call("open_write", "told")
    assert writer.tell() == 0
    twin.run(writer.write(b"abc"))
    twin.run(writer.write(bytes(9 * MIB)))
    assert writer.tell() == 3 + 9 * MIB
    twin.run(writer.close())
    assert twin.store.stat("told").size == 3 + 9 * MIB
