"""S3 buckets as stores: ``BucketStore`` (boto3) and its asyncio twin ``AsyncBucketStore`` (aioboto3).

Both run the same I/O-free plans (``_protocol``) and share configuration (``_settings``), error
translation (``_errors``) and batch handling (``_batch``); the classes only execute requests.
"""

from storage.s3._async import AsyncBucketStore
from storage.s3._errors import BucketNotFound, SourceChanged
from storage.s3._sync import BucketStore

__all__ = ["AsyncBucketStore", "BucketNotFound", "BucketStore", "SourceChanged"]
