"""A BucketStore behind a fault-injecting proxy: retries hide faults, outages are reported, syncs converge.

The proxy sits between the store (``endpoint_url`` is the proxy) and the moto server and applies
deterministic schedules of dropped connections, lost and truncated answers, 500 and 503 answers,
stalls beyond the read timeout and short delays. What the bucket holds is always read straight
from the server, so a partial object would be seen. botocore's backoff sleeps are scaled down
twentyfold (which errors are retried, and how often, is left as configured).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from tests.reliability._figures import Figures
from tests.reliability._proxy import STALL, FaultPlan, FaultProxy
from tests.reliability._s3 import bucket_contents, bucket_store
from tests.reliability._workload import decode, encode

from storage.errors import ObjectNotFound, StoreError
from storage.fs import FilesystemStore
from storage.utils import sync_stores

#: Every fault botocore's retries cover, each on its own prime period, so retries of one request
#: meet different faults. Truncated bodies are read after botocore returns: see the last test.
RETRIED_FAULTS = {"delay": 3, "error503": 5, "error500": 7, "drop": 11, "drop_after": 13, "stall": 19}
#: Enough attempts to get past the longest run of faults the schedule makes.
PATIENT = {"retries": {"mode": "standard", "total_max_attempts": 8}, "connect_timeout": 2, "read_timeout": STALL / 2}
#: Few attempts: an outage fails fast.
IMPATIENT = {"retries": {"mode": "standard", "total_max_attempts": 2}, "connect_timeout": 2, "read_timeout": STALL / 2}
MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sleep a twentieth of botocore's standard backoff between attempts, to keep the suite short."""
    from botocore.retries.standard import ExponentialBackoff

    original = ExponentialBackoff.delay_amount
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: original(self, context) / 20)


@pytest.fixture
def proxy(s3_endpoint: str) -> Iterator[FaultProxy]:
    """A proxy in front of the moto server, without faults until a test schedules them."""
    server = FaultProxy(s3_endpoint)
    server.start()
    yield server
    server.stop()


def assert_whole(contents: dict[str, bytes]) -> None:
    """Every object the server holds is one some writer wrote whole."""
    for key, data in contents.items():
        decode(key, data)


def test_single_operations_succeed_through_faults(
    proxy: FaultProxy, s3_admin: Any, s3_bucket: str, figures: Figures
) -> None:
    proxy.plan = FaultPlan(RETRIED_FAULTS)
    keys = [f"faults/{i % 3}/{i:02d}" for i in range(24)]
    with bucket_store(proxy.url, s3_bucket, botocore_config_kwargs=PATIENT, multipart_threshold=5 * MIB) as store:
        for gen, key in enumerate(keys, 1):
            store.put(key, encode(key, gen))
            assert store.exists(key)
            assert decode(key, store.get(key)) == gen
        big = "faults/big"
        store.put(big, encode(big, 1, 6 * MIB))
        assert decode(big, store.get(big)) == 1
        assert sorted(store.keys("faults/")) == sorted([*keys, big])
        for key in keys[::2]:
            store.delete(key)
            assert not store.exists(key)
            with pytest.raises(ObjectNotFound):
                store.get(key)
    figures.faults += proxy.faults
    contents = bucket_contents(s3_admin, s3_bucket)
    assert_whole(contents)
    assert sorted(contents) == sorted([*keys[1::2], big])
    figures.lost += sum(key not in contents for key in [*keys[1::2], big])
    assert set(proxy.injected) == set(RETRIED_FAULTS), proxy.injected


def test_sync_interrupted_by_outage_converges(
    proxy: FaultProxy, s3_admin: Any, s3_bucket: str, tmp_path: Path, figures: Figures
) -> None:
    source = FilesystemStore(tmp_path / "source")
    expected = {f"sync/{i % 4}/{i:02d}": encode(f"sync/{i % 4}/{i:02d}", i) for i in range(32)}
    source.put_many(expected)
    proxy.plan = FaultPlan({"error503": 9, "drop": 13})
    with bucket_store(proxy.url, s3_bucket, botocore_config_kwargs=IMPATIENT) as target:
        proxy.outage_after(20)
        try:
            interrupted = sync_stores(source, target, concurrency=4)
        except StoreError as err:
            assert err.retryable, err
        else:
            assert interrupted.failed > 0
            assert set(interrupted.failed_keys) <= set(expected)
            for error in interrupted.errors.values():
                assert isinstance(error, StoreError) and error.retryable, error
        assert_whole(bucket_contents(s3_admin, s3_bucket))
    proxy.end_outage()
    with bucket_store(proxy.url, s3_bucket, botocore_config_kwargs=PATIENT) as target:
        resumed = sync_stores(source, target, concurrency=4)
        assert resumed.ok, resumed.errors
        assert resumed.copied + resumed.updated > 0
    figures.faults += proxy.faults
    contents = bucket_contents(s3_admin, s3_bucket)
    assert_whole(contents)
    figures.lost += sum(contents.get(key) != value for key, value in expected.items())
    assert contents == expected


def test_truncated_answers_never_return_part_of_an_object(
    proxy: FaultProxy, s3_admin: Any, s3_bucket: str, figures: Figures
) -> None:
    keys = [f"truncated/{i:02d}" for i in range(12)]
    for gen, key in enumerate(keys, 1):
        s3_admin.put_object(Bucket=s3_bucket, Key=key, Body=encode(key, gen, 4096 + gen))
    proxy.plan = FaultPlan({"truncate": 2})
    outcomes = {"whole": 0, "unavailable": 0}
    with bucket_store(proxy.url, s3_bucket, botocore_config_kwargs=PATIENT) as store:
        for gen, key in enumerate(keys, 1):
            try:
                assert decode(key, store.get(key)) == gen
                outcomes["whole"] += 1
            except StoreError as err:
                assert err.retryable, err
                outcomes["unavailable"] += 1
    figures.faults += proxy.faults
    assert proxy.injected["truncate"] >= len(keys) // 2
    assert sum(outcomes.values()) == len(keys)
    print(f"truncated answers: {outcomes}")
