"""A fresh bucket per test on the session's moto server (``s3_endpoint``, tests/conftest.py), and the stores on it."""

from __future__ import annotations

import asyncio
import inspect
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import boto3
import pytest
import requests

from storage.object import ObjectStore
from storage.s3 import AsyncBucketStore, BucketStore
from storage.testing import BlockingStore

from ._relay import Relay

ACCESS_KEY = "test-access-key-id"
SECRET_KEY = "test-secret-access-key-do-not-leak"
REGION = "us-east-1"


@pytest.fixture
def s3_admin(s3_endpoint: str) -> Iterator[Any]:
    """A plain boto3 client on the server, for setting up and inspecting buckets."""
    client = boto3.session.Session().client(
        "s3", endpoint_url=s3_endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    yield client
    client.close()


@pytest.fixture
def bucket(s3_endpoint: str, s3_admin: Any) -> Iterator[str]:
    """The name of a fresh, empty bucket; the server forgets everything after the test."""
    name = f"test-{uuid.uuid4().hex[:16]}"
    s3_admin.create_bucket(Bucket=name)
    yield name
    requests.post(f"{s3_endpoint}/moto-api/reset", timeout=30).raise_for_status()


@pytest.fixture
def relay(s3_endpoint: str) -> Iterator[Relay]:
    """A recording relay in front of the moto server (``_relay``), for faults moto cannot produce."""
    server = Relay(s3_endpoint)
    yield server
    server.close()


@pytest.fixture
def make_store(s3_endpoint: str, bucket: str) -> Iterator[Callable[..., BucketStore]]:
    """Build ``BucketStore``s on the test bucket (closed after the test); keywords override."""
    made: list[BucketStore] = []

    def make(**overrides: Any) -> BucketStore:
        options: dict[str, Any] = {
            "s3_url": s3_endpoint, "s3_access_key": ACCESS_KEY, "s3_secret_key": SECRET_KEY,
            "bucket_name": bucket, "region_name": REGION, **overrides,
        }
        store = BucketStore(**options)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture
def make_async_store(s3_endpoint: str, bucket: str) -> Callable[..., AsyncBucketStore]:
    """Build ``AsyncBucketStore``s on the test bucket; keywords override."""

    def make(**overrides: Any) -> AsyncBucketStore:
        options: dict[str, Any] = {
            "bucket_name": bucket, "endpoint_url": s3_endpoint, "s3_access_key": ACCESS_KEY,
            "s3_secret_key": SECRET_KEY, "region_name": REGION, **overrides,
        }
        return AsyncBucketStore(**options)

    return make


class Twin:
    """One of the two bucket stores, driven synchronously so one test serves both."""

    def __init__(self, raw: Any, run: Callable[[Any], Any]) -> None:
        self.raw = raw
        self.run = run
        self.store: ObjectStore = raw if isinstance(raw, ObjectStore) else BlockingStore(raw, run)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the store's method ``name``, awaiting it on the async store."""
        result = getattr(self.raw, name)(*args, **kwargs)
        return self.run(result) if inspect.isawaitable(result) else result

    @property
    def client(self) -> Any:
        """The store's client (opening the store).

        The sync store then sends every request through it (its lean path is turned off), so
        the handlers and spies a test puts on the client see them all.
        """
        self.store.open()
        if isinstance(self.raw, BucketStore):
            self.raw._lean = None
        return self.raw.s3_client

    def on(self, event: str, handler: Callable[..., Any]) -> None:
        """Register a botocore event handler on the store's client."""
        self.client.meta.events.register(event, handler)

    def count(self, operation: str) -> list[dict[str, Any]]:
        """Record the parameters of every ``operation`` request the store makes from now on."""
        calls: list[dict[str, Any]] = []
        self.on(f"before-parameter-build.s3.{operation}", lambda params, **_: calls.append(dict(params)))
        return calls


@contextmanager
def _twins(
    kind: str, make_store: Callable[..., BucketStore], make_async_store: Callable[..., AsyncBucketStore]
) -> Iterator[Callable[..., Twin]]:
    """Make twins of one kind: ``BucketStore``, ``AsyncBucketStore``, or ``botocore`` (the sync one, lean path off)."""
    loop = asyncio.new_event_loop()
    made: list[Twin] = []

    def make(**overrides: Any) -> Twin:
        if kind == "AsyncBucketStore":
            twin = Twin(make_async_store(**overrides), loop.run_until_complete)
        else:
            seed_names = {"endpoint_url": "s3_url", "botocore_config": "botocore_config_kwargs"}
            sync_overrides = {seed_names.get(name, name): value for name, value in overrides.items()}
            twin = Twin(make_store(**sync_overrides), lambda value: value)
            if kind == "botocore":
                twin.client  # opens the store with its lean path off
        made.append(twin)
        return twin

    yield make
    for twin in made:
        twin.store.close()
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


@pytest.fixture(params=["BucketStore", "AsyncBucketStore"])
def make_twin(
    request: pytest.FixtureRequest,
    make_store: Callable[..., BucketStore],
    make_async_store: Callable[..., AsyncBucketStore],
) -> Iterator[Callable[..., Twin]]:
    """Build either store on the test bucket (each test runs with both); keywords override.

    Keywords use the async store's names (``endpoint_url``, ``botocore_config``); the sync store
    gets them under its seed names (``s3_url``, ``botocore_config_kwargs``).
    """
    with _twins(request.param, make_store, make_async_store) as make:
        yield make


@pytest.fixture(params=["BucketStore", "botocore", "AsyncBucketStore"])
def make_path_twin(
    request: pytest.FixtureRequest,
    make_store: Callable[..., BucketStore],
    make_async_store: Callable[..., AsyncBucketStore],
) -> Iterator[Callable[..., Twin]]:
    """As ``make_twin``, and also the sync store with its lean path off: every way a request can take."""
    with _twins(request.param, make_store, make_async_store) as make:
        yield make


@pytest.fixture
def twin(make_twin: Callable[..., Twin]) -> Twin:
    """Either store on the fresh test bucket."""
    return make_twin()
