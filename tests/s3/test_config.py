"""Construction, client options, lifecycle, injected clients and YAML configuration of both stores."""

from __future__ import annotations

import asyncio
import pickle
import sys
from pathlib import Path
from typing import Any, Callable

import aioboto3
import pytest
from botocore.config import Config

from storage.config import load_store
from storage.errors import ConfigError, StoreClosed
from storage.s3 import AsyncBucketStore, BucketStore

from .conftest import ACCESS_KEY, REGION, SECRET_KEY, Twin

if sys.version_info >= (3, 10):
    from importlib.metadata import entry_points
else:
    from importlib_metadata import entry_points


# Seed-compatible construction -----------------------------------------------------------------


def test_bucket_store_seed_arguments(s3_endpoint: str, bucket: str) -> None:
    positional = BucketStore(s3_endpoint, ACCESS_KEY, SECRET_KEY, bucket, {"region_name": REGION})
    keywords = BucketStore(
        s3_url=s3_endpoint, s3_access_key=ACCESS_KEY, s3_secret_key=SECRET_KEY, bucket_name=bucket,
        botocore_config_kwargs={"region_name": REGION},
    )
    by_endpoint = BucketStore(endpoint_url=s3_endpoint, s3_access_key=ACCESS_KEY, s3_secret_key=SECRET_KEY,
                              bucket_name=bucket)
    with positional, keywords, by_endpoint:
        positional.put("key", b"v")
        assert keywords.get("key") == b"v"
        assert by_endpoint.get("key") == b"v"


def test_async_bucket_store_seed_arguments(s3_endpoint: str, bucket: str) -> None:
    async def scenario() -> None:
        async with AsyncBucketStore(bucket, s3_endpoint, ACCESS_KEY, SECRET_KEY, Config(region_name=REGION)) as store:
            await store.put("key", b"v")
        async with AsyncBucketStore(
            bucket_name=bucket, endpoint_url=s3_endpoint, s3_access_key=ACCESS_KEY, s3_secret_key=SECRET_KEY,
            botocore_config={"region_name": REGION},
        ) as store:
            assert await store.get("key") == b"v"

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"bucket_name": ""}, "bucket_name"),
        ({"bucket_name": None}, "bucket_name"),
        ({"bucket_name": 3}, "bucket_name"),
        ({"s3_access_key": "only-the-access-key"}, "s3_secret_key"),
        ({"s3_secret_key": SECRET_KEY}, "s3_access_key"),
        ({"endpoint_url": "localhost:9000"}, "endpoint_url"),
        ({"endpoint_url": 9000}, "endpoint_url"),
        ({"region_name": 5}, "region_name"),
        ({"multipart_threshold": 0}, "multipart_threshold"),
        ({"multipart_threshold": "8MB"}, "multipart_threshold"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"max_concurrency": True}, "max_concurrency"),
        ({"botocore_config": {"no_such_option": 1}}, "no_such_option"),
        ({"botocore_config": "retries=3"}, "botocore_config"),
    ],
)
def test_bad_arguments_are_config_errors(arguments: dict[str, Any], named: str) -> None:
    options = {"bucket_name": "bucket", **arguments}
    with pytest.raises(ConfigError, match=named) as caught:
        AsyncBucketStore(**options)
    assert SECRET_KEY not in str(caught.value)
    sync_options = {"botocore_config_kwargs" if k == "botocore_config" else k: v for k, v in options.items()}
    with pytest.raises(ConfigError):
        BucketStore(**sync_options)


def test_two_different_endpoints_are_refused() -> None:
    with pytest.raises(ConfigError, match="s3_url"):
        BucketStore(s3_url="http://127.0.0.1:1", endpoint_url="http://127.0.0.1:2", bucket_name="bucket")


def test_unknown_keyword_is_refused() -> None:
    with pytest.raises(TypeError):
        BucketStore(bucket_name="bucket", s3_region="x")  # type: ignore[call-arg]


# Client options ----------------------------------------------------------------------------------


def test_botocore_options_reach_the_client(make_twin: Callable[..., Twin]) -> None:
    twin = make_twin(
        region_name="eu-west-3",
        max_concurrency=32,
        botocore_config={
            "retries": {"max_attempts": 7}, "connect_timeout": 3, "read_timeout": 17,
            "s3": {"addressing_style": "path"},
        },
    )
    config = twin.client.meta.config
    assert config.retries["mode"] == "standard"
    assert config.retries["total_max_attempts"] == 8  # botocore counts the first attempt too
    assert (config.connect_timeout, config.read_timeout) == (3, 17)
    assert config.s3["addressing_style"] == "path"
    assert config.max_pool_connections == 32
    assert twin.client.meta.region_name == "eu-west-3"
    twin.store.put("key", b"v")
    assert twin.store.get("key") == b"v"


def test_defaults(twin: Twin) -> None:
    config = twin.client.meta.config
    assert config.retries["mode"] == "standard"
    assert config.max_pool_connections >= 10
    assert twin.raw.settings.multipart_threshold == 8 * 1024 * 1024


def test_credential_chain_without_keys(make_twin: Callable[..., Twin], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-environment")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "environment-secret")
    twin = make_twin(s3_access_key=None, s3_secret_key=None)
    twin.store.put("key", b"v")
    assert twin.store.get("key") == b"v"
    assert twin.client._request_signer._credentials.access_key == "from-the-environment"


def test_no_secret_in_repr(twin: Twin) -> None:
    twin.store.put("key", b"v")
    for text in (repr(twin.raw), str(twin.raw), repr(twin.raw.settings), twin.raw.store_name):
        assert SECRET_KEY not in text
        assert ACCESS_KEY not in text
    assert twin.raw.bucket_name in repr(twin.raw)


def test_no_user_info_from_the_endpoint_in_repr(bucket: str) -> None:
    store = BucketStore(s3_url="https://user:password@s3.example.com/?token=abc", bucket_name=bucket)
    assert "password" not in repr(store) and "abc" not in repr(store)
    assert "s3.example.com" in repr(store)


# Lifecycle -------------------------------------------------------------------------------------


def test_opens_on_first_use(twin: Twin) -> None:
    assert twin.raw.s3_client is None
    twin.store.put("key", b"v")
    assert twin.raw.s3_client is not None
    twin.store.close()
    assert twin.raw.s3_client is None
    with pytest.raises(StoreClosed):
        twin.store.get("key")


def test_sync_store_without_with(make_store: Callable[..., BucketStore]) -> None:
    store = make_store()
    store.put("key", b"v")
    assert store.get("key") == b"v"
    with store:
        assert store.exists("key")
    assert store.closed


def test_pickle_keeps_configuration_not_client(twin: Twin) -> None:
    twin.store.put("key", b"v")
    clone = pickle.loads(pickle.dumps(twin.raw))
    assert clone.s3_client is None
    assert clone.settings == twin.raw.settings
    cloned = Twin(clone, twin.run)
    try:
        assert cloned.store.get("key") == b"v"
    finally:
        cloned.store.close()


def test_injected_sync_client_is_used_as_is(s3_admin: Any, bucket: str) -> None:
    calls: list[str] = []
    s3_admin.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))
    store = BucketStore(bucket_name=bucket, s3_client=s3_admin)
    with store:
        store.put("key", b"v")
        assert store.get("key") == b"v"
    assert calls == ["PutObject", "GetObject"]
    assert store.s3_client is s3_admin
    assert s3_admin.head_object(Bucket=bucket, Key="key")["ContentLength"] == 1


def test_client_assigned_before_use(s3_admin: Any, bucket: str) -> None:
    store = BucketStore(bucket_name=bucket, s3_url="http://127.0.0.1:1")
    store.s3_client = s3_admin
    store.put("key", b"v")
    store.close()
    assert s3_admin.get_object(Bucket=bucket, Key="key")["Body"].read() == b"v"


def test_injected_async_client_is_used_as_is(s3_endpoint: str, bucket: str) -> None:
    async def scenario() -> None:
        session = aioboto3.Session()
        async with session.client(
            "s3", endpoint_url=s3_endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        ) as client:
            async with AsyncBucketStore(bucket, s3_client=client) as store:
                await store.put("key", b"v")
                assert store.s3_client is client
            assert store.s3_client is client
            response = await client.get_object(Bucket=bucket, Key="key")
            assert await response["Body"].read() == b"v"

    asyncio.run(scenario())


def test_concurrent_first_use_opens_one_client(make_async_store: Callable[..., AsyncBucketStore]) -> None:
    store = make_async_store()

    async def scenario() -> None:
        await asyncio.gather(*(store.exists(f"k{i}") for i in range(8)))
        first = store.s3_client
        await store.exists("again")
        assert store.s3_client is first
        await store.close()

    asyncio.run(scenario())


# Registration and YAML -------------------------------------------------------------------------


def test_entry_points() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="storage.backends")}
    assert found["BucketStore"] == "storage.s3:BucketStore"
    assert found["AsyncBucketStore"] == "storage.s3:AsyncBucketStore"


YAML = """
stores:
  bucket:
    type: BucketStore
    config:
      s3_url: ${S3_ENDPOINT}
      s3_access_key: ${S3_ACCESS_KEY}
      s3_secret_key: ${S3_SECRET_KEY}
      bucket_name: ${S3_BUCKET}
      region_name: ${S3_REGION:-us-east-1}
      botocore_config_kwargs:
        retries: {max_attempts: 3}
        connect_timeout: 5
  async_bucket:
    type: AsyncBucketStore
    config:
      endpoint_url: ${S3_ENDPOINT}
      s3_access_key: ${S3_ACCESS_KEY}
      s3_secret_key: ${S3_SECRET_KEY}
      bucket_name: ${S3_BUCKET}
      multipart_threshold: 16777216
main: bucket
"""


def test_yaml_with_environment_variables(tmp_path: Path, s3_endpoint: str, bucket: str) -> None:
    path = tmp_path / "stores.yaml"
    path.write_text(YAML)
    environ = {
        "S3_ENDPOINT": s3_endpoint, "S3_ACCESS_KEY": ACCESS_KEY, "S3_SECRET_KEY": SECRET_KEY, "S3_BUCKET": bucket,
    }
    store = load_store(path, environ=environ)
    assert isinstance(store, BucketStore)
    with store:
        store.put("from/yaml", b"v")
    assert store.settings.config is not None and store.settings.config.connect_timeout == 5

    async_store = load_store(path, "async_bucket", environ=environ)
    assert isinstance(async_store, AsyncBucketStore)
    assert async_store.settings.multipart_threshold == 16 * 1024 * 1024

    async def read() -> bytes:
        async with async_store:
            return await async_store.get("from/yaml")

    assert asyncio.run(read()) == b"v"
