"""Copies keep the source's tags, as CopyObject does, also when they go in parts (UploadPartCopy)."""

from __future__ import annotations

import logging
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

from storage.errors import ObjectNotFound

from .conftest import Twin

MIB = 1024 * 1024
#: Tags with every character S3 allows in them that URL encoding must protect (space, +, =, /, :, @, non-ASCII).
TAGS = {"team": "data ops", "sum": "1+1=2", "path": "/a/b", "where": "user@host:1", "ünï": "cødé"}


def _tags(s3_admin: Any, bucket: str, key: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in s3_admin.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}


def _put_tagged(s3_admin: Any, bucket: str, key: str, size: int, tags: dict[str, str]) -> None:
    s3_admin.put_object(Bucket=bucket, Key=key, Body=bytes(size))
    s3_admin.put_object_tagging(
        Bucket=bucket, Key=key, Tagging={"TagSet": [{"Key": name, "Value": value} for name, value in tags.items()]}
    )


@pytest.mark.parametrize("threshold", [5 * MIB, 5 * 1024 * MIB], ids=["in-parts", "copy-object"])
def test_copy_keeps_the_tags(make_twin: Callable[..., Twin], s3_admin: Any, threshold: int) -> None:
    twin = make_twin(multipart_copy_threshold=threshold)
    bucket = twin.raw.bucket_name
    _put_tagged(s3_admin, bucket, "big", 6 * MIB, TAGS)
    part_copies = twin.count("UploadPartCopy")
    twin.store.copy("big", "copy/of/big")
    assert bool(part_copies) == (threshold == 5 * MIB)
    assert _tags(s3_admin, bucket, "copy/of/big") == TAGS
    twin.store.rename("copy/of/big", "renamed")
    assert _tags(s3_admin, bucket, "renamed") == TAGS


def test_copy_in_parts_sends_the_tags_when_creating_the_upload(
    make_twin: Callable[..., Twin], s3_admin: Any
) -> None:
    twin = make_twin(multipart_copy_threshold=5 * MIB)
    bucket = twin.raw.bucket_name
    _put_tagged(s3_admin, bucket, "big", 6 * MIB, {"a": "1", "b": "x y"})
    tag_reads = twin.count("GetObjectTagging")
    creates = twin.count("CreateMultipartUpload")
    part_copies = twin.count("UploadPartCopy")
    twin.store.copy("big", "target")
    assert [params["Key"] for params in tag_reads] == ["big"]
    assert [params["Tagging"] for params in creates] == ["a=1&b=x%20y"]
    assert all("CopySourceIfMatch" in params for params in part_copies) and len(part_copies) == 2


def test_copy_in_parts_of_an_untagged_source_sends_no_tagging(make_twin: Callable[..., Twin], s3_admin: Any) -> None:
    twin = make_twin(multipart_copy_threshold=5 * MIB)
    twin.store.put("big", bytes(6 * MIB))
    creates = twin.count("CreateMultipartUpload")
    twin.store.copy("big", "target")
    assert len(creates) == 1 and "Tagging" not in creates[0]
    assert _tags(s3_admin, twin.raw.bucket_name, "target") == {}


def test_copy_in_parts_replaces_the_targets_tags(make_twin: Callable[..., Twin], s3_admin: Any) -> None:
    twin = make_twin(multipart_copy_threshold=5 * MIB)
    bucket = twin.raw.bucket_name
    _put_tagged(s3_admin, bucket, "target", 10, {"old": "tag"})
    _put_tagged(s3_admin, bucket, "tagged", 6 * MIB, {"new": "tag"})
    twin.store.copy("tagged", "target")
    assert _tags(s3_admin, bucket, "target") == {"new": "tag"}
    twin.store.put("untagged", bytes(6 * MIB))
    twin.store.copy("untagged", "target")
    assert _tags(s3_admin, bucket, "target") == {}


@pytest.mark.parametrize(("code", "status"), [("AccessDenied", 403), ("NotImplemented", 501)])
def test_copy_in_parts_goes_ahead_without_tags_it_cannot_read(
    make_twin: Callable[..., Twin], s3_admin: Any, caplog: pytest.LogCaptureFixture, code: str, status: int
) -> None:
    twin = make_twin(multipart_copy_threshold=5 * MIB)
    bucket = twin.raw.bucket_name
    _put_tagged(s3_admin, bucket, "big", 6 * MIB, {"a": "1"})

    def refuse(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": code, "Message": "no"}, "ResponseMetadata": {"HTTPStatusCode": status}},
            "GetObjectTagging",
        )

    twin.on("before-call.s3.GetObjectTagging", refuse)
    creates = twin.count("CreateMultipartUpload")
    with caplog.at_level(logging.WARNING, logger="storage.s3"):
        twin.store.copy("big", "target")
    assert twin.store.get("target") == bytes(6 * MIB)
    assert len(creates) == 1 and "Tagging" not in creates[0]
    assert _tags(s3_admin, bucket, "target") == {}
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1 and "'big'" in warnings[0] and "tags" in warnings[0] and code in warnings[0]


def test_copy_in_parts_of_a_source_deleted_before_its_tags_are_read(
    make_twin: Callable[..., Twin], s3_admin: Any
) -> None:
    twin = make_twin(multipart_copy_threshold=5 * MIB)
    bucket = twin.raw.bucket_name
    twin.store.put("big", bytes(6 * MIB))

    def delete_source(**_: Any) -> None:
        s3_admin.delete_object(Bucket=bucket, Key="big")

    twin.on("before-call.s3.GetObjectTagging", delete_source)
    creates = twin.count("CreateMultipartUpload")
    with pytest.raises(ObjectNotFound) as caught:
        twin.store.copy("big", "target")
    assert caught.value.key == "big" and "vanished" in str(caught.value)
    assert creates == [] and not twin.store.exists("target")
