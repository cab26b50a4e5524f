"""Credentials and helpers for the reliability tests that use the moto S3 server."""

from __future__ import annotations

from typing import Any, Dict

ACCESS_KEY = "reliability-access-key"
SECRET_KEY = "reliability-secret-key-never-shown"
REGION = "us-east-1"


def bucket_store(endpoint: str, bucket: str, **options: Any) -> Any:
    """A ``BucketStore`` on ``bucket`` at ``endpoint`` with the test credentials."""
    from storage.s3 import BucketStore

    return BucketStore(
        endpoint_url=endpoint, s3_access_key=ACCESS_KEY, s3_secret_key=SECRET_KEY, bucket_name=bucket,
        region_name=REGION, **options,
    )


def admin_client(endpoint: str) -> Any:
    """A plain boto3 S3 client on ``endpoint``."""
    import boto3

    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )


def bucket_contents(admin: Any, bucket: str) -> Dict[str, bytes]:
    """Every object of ``bucket``, read straight from the server."""
    pages = admin.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
    return {key: admin.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}
