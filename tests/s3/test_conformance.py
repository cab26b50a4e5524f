"""Both bucket stores pass the conformance kit against the moto server."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, settings

from storage.testing import AsyncObjectStoreTests, ObjectStoreTests

#: Every step is an HTTP round trip: fewer examples than the kit's default.
S3_STATE_MACHINE = settings(
    max_examples=15, stateful_step_count=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


class TestBucketStore(ObjectStoreTests):
    state_machine_settings = S3_STATE_MACHINE

    @pytest.fixture
    def store(self, make_store: Callable[..., Any]) -> Any:
        return make_store()


class TestBucketStoreMultipart(ObjectStoreTests):
    """The kit again, with every object above 5 MiB + 1 byte going through multipart upload."""

    state_machine_settings = S3_STATE_MACHINE
    large_object_size = 12 * 1024 * 1024 + 3

    @pytest.fixture
    def store(self, make_store: Callable[..., Any]) -> Any:
        return make_store(multipart_threshold=5 * 1024 * 1024)


class TestAsyncBucketStore(AsyncObjectStoreTests):
    state_machine_settings = S3_STATE_MACHINE

    @pytest.fixture
    def store(self, make_async_store: Callable[..., Any]) -> Any:
        return make_async_store()
