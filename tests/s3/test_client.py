"""The set-up of the clients the stores create: cheaper requests with the same results (storage.s3._client)."""

from __future__ import annotations

import datetime
from typing import Any, Callable

import botocore.session
import pytest
from botocore.utils import parse_timestamp as botocore_parse_timestamp

from storage.s3 import BucketStore
from storage.s3._client import SMALL_BODY_SIZE, parse_timestamp, unused_parameters

from .conftest import Twin


@pytest.mark.parametrize(
    "text",
    [
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "2015-10-21T07:28:00.000Z",
        "2015-10-21T07:28:00Z",
        "2015-10-21T07:28:00.1234567Z",
        "2015-10-21T09:28:00+02:00",
        "1445412480",
    ],
)
def test_timestamps_parse_as_botocore_parses_them(text: str) -> None:
    parsed = parse_timestamp(text)
    assert parsed.utcoffset() == datetime.timedelta(0) or text.endswith("+02:00")
    assert parsed == botocore_parse_timestamp(text)


def test_unused_parameters_are_those_no_rule_mentions() -> None:
    ruleset = {
        "parameters": {"Bucket": {}, "Region": {}, "Key": {}, "UseFIPS": {}},
        "rules": [
            {"conditions": [{"fn": "isSet", "argv": [{"ref": "Region"}]}], "endpoint": {"url": "https://{Bucket}.x"}},
            {"conditions": [{"fn": "booleanEquals", "argv": [{"ref": "UseFIPS"}, True]}], "error": "no"},
        ],
    }
    assert unused_parameters(ruleset) == {"Key"}


def test_the_installed_s3_ruleset_reads_no_key() -> None:
    session = botocore.session.get_session()
    ruleset = session.get_component("data_loader").load_service_model("s3", "endpoint-rule-set-1")
    unused = unused_parameters(ruleset)
    assert {"Key", "Prefix", "CopySource"} <= set(ruleset["parameters"])
    assert {"Key", "Prefix", "CopySource"} <= unused
    assert not {"Bucket", "Region", "Endpoint", "ForcePathStyle"} & unused


def test_endpoints_resolve_once_for_the_keys_of_a_bucket(twin: Twin) -> None:
    provider = twin.client._ruleset_resolver._provider
    seen: list[dict[str, Any]] = []
    resolve = provider._provider.resolve_endpoint

    def spy(**params: Any) -> Any:
        seen.append(dict(params))
        return resolve(**params)

    provider._provider = type("Spy", (), {"resolve_endpoint": staticmethod(spy)})()
    for index in range(3):
        twin.call("put", f"k{index}", b"x")
        assert twin.call("get", f"k{index}") == b"x"
    assert len(seen) == 6
    assert all("Key" not in params and params["Bucket"] == twin.raw.bucket_name for params in seen)
    assert len({tuple(sorted(params.items())) for params in seen}) == 1


def _sent_expect(twin: Twin) -> list[bool]:
    """Record, for every PUT the store sends, whether it carries ``Expect`` (seen after the store's handlers)."""
    sent: list[bool] = []

    def record(request: Any, **_: Any) -> None:
        if request.method == "PUT":
            sent.append("Expect" in request.headers)

    twin.client.meta.events.register_last("before-send.s3", record)
    return sent


def test_small_bodies_go_without_expect_continue(twin: Twin) -> None:
    sent = _sent_expect(twin)
    twin.call("put", "small", b"x" * 1024)
    assert sent == [False]
    assert twin.call("get", "small") == b"x" * 1024


def test_large_single_bodies_keep_expect_continue_on_the_sync_store(make_store: Callable[..., BucketStore]) -> None:
    store = make_store(multipart_threshold=4 * SMALL_BODY_SIZE)
    twin = Twin(store, lambda value: value)
    sent = _sent_expect(twin)
    data = b"y" * (SMALL_BODY_SIZE + 1)
    store.put("large", data)
    assert sent == [True]
    assert store.get("large") == data


def test_stat_reports_the_modification_time_in_utc(twin: Twin) -> None:
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(seconds=5)
    twin.call("put", "k", b"abc")
    info = twin.call("stat", "k")
    assert info.modified is not None and info.modified.tzinfo is not None
    assert before <= info.modified <= datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)
