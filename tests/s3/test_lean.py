"""The lean request path of ``BucketStore`` (storage.s3._lean): botocore's URLs and errors, and its fallbacks."""

from __future__ import annotations

import hashlib
from typing import Any, Callable, Optional

import botocore.session
import pytest
from botocore.credentials import Credentials, ReadOnlyCredentials

from storage.errors import InvalidKey, ObjectNotFound
from storage.s3 import BucketStore

from ._relay import Relay
from .conftest import ACCESS_KEY, REGION, SECRET_KEY

TRICKY_KEYS = [
    "plain", "a b", "ünïcödé/ключ", "plus+sign", "per%25cent", "100%", "tilde~", "what?", "hash#tag",
    "double//slash", "/leading", "trailing/", "semi;colon=eq&amp", "quote'\"", "star*(paren)", "!$,@:",
    "tab\there", "emoji-\U0001f600", ".", "..", "a/./b/../c",
]


class _Stopped(Exception):
    """Raised by a ``before-send`` handler so a request is captured but never sent."""


def _botocore_url(store: BucketStore, method: str, key: str) -> str:
    """The URL the store's client sends for ``method`` on ``key`` (captured, not sent)."""
    seen: list[str] = []

    def capture(request: Any, **_: Any) -> None:
        seen.append(request.url)
        raise _Stopped

    client = store.s3_client
    client.meta.events.register_first("before-send.s3", capture, unique_id="capture")
    try:
        params: dict[str, Any] = {"Bucket": store.bucket_name, "Key": key}
        with pytest.raises(_Stopped):
            getattr(client, method)(**params, **({"Body": b"x"} if method == "put_object" else {}))
    finally:
        client.meta.events.unregister("before-send.s3", unique_id="capture")
    return seen[0]


@pytest.mark.parametrize(
    ("endpoint", "region", "addressing"),
    [
        (None, "us-east-1", "virtual"),
        (None, "eu-west-3", "path"),
        (None, "eu-west-3", "auto"),
        ("https://s3.example.test", "us-east-1", "virtual"),
        ("https://s3.example.test/base/", "us-east-1", "path"),
        ("http://127.0.0.1:9", "us-east-1", "auto"),
    ],
)
def test_urls_are_byte_for_byte_those_botocore_sends(endpoint: Optional[str], region: str, addressing: str) -> None:
    store = BucketStore(
        endpoint_url=endpoint, s3_access_key=ACCESS_KEY, s3_secret_key=SECRET_KEY, bucket_name="lean-bucket",
        region_name=region, botocore_config_kwargs={"s3": {"addressing_style": addressing}},
    )
    with store:
        lean = store._lean
        assert lean is not None
        for key in TRICKY_KEYS:
            for method in ("get_object", "head_object", "put_object", "delete_object"):
                assert lean.url(key) == _botocore_url(store, method, key), (method, key)


@pytest.fixture
def relayed_store(make_store: Callable[..., BucketStore], relay: Relay) -> BucketStore:
    """A ``BucketStore`` on the test bucket, reached through ``relay``."""
    store = make_store(s3_url=relay.url)
    store.open()
    return store


def _botocore_calls(store: BucketStore) -> list[str]:
    calls: list[str] = []
    store.s3_client.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))
    return calls


def test_plain_requests_take_the_lean_path(relayed_store: BucketStore, relay: Relay) -> None:
    calls = _botocore_calls(relayed_store)
    relayed_store.put("a b/ü+%", b"data")
    assert relayed_store.get("a b/ü+%") == b"data"
    assert relayed_store.exists("a b/ü+%")
    assert relayed_store.stat("a b/ü+%").size == 4
    relayed_store.delete("a b/ü+%")
    assert not relayed_store.exists("a b/ü+%")
    assert calls == ["HeadBucket"]
    lean = relay.seen[:-1]
    assert [method for method, _, _ in lean] == ["PUT", "GET", "HEAD", "HEAD", "HEAD", "DELETE", "HEAD"]
    assert relay.agents() == ["lean"] * 7 + ["botocore"]
    assert {path for _, path, _ in lean} == {f"/{relayed_store.bucket_name}/a%20b/%C3%BC%2B%25"}


def test_without_a_proxy_requests_go_straight_to_the_sessions_pool(relayed_store: BucketStore) -> None:
    lean = relayed_store._lean
    assert lean is not None and lean._pool is not None
    relayed_store.put("k", b"pooled")
    assert relayed_store.get("k") == b"pooled"
    assert lean._pool.num_connections >= 1


def test_a_pool_the_session_let_go_is_replaced(relayed_store: BucketStore) -> None:
    from storage.s3._lean import _direct_pool

    lean = relayed_store._lean
    assert lean is not None and lean._pool is not None
    assert _direct_pool(object(), lean.url("k")) is None
    first = lean._pool
    lean._session._manager.clear()  # the pool manager lets the pool go (urllib3 1.x also closes it)
    first.close()
    relayed_store.put("k", b"after close")
    assert relayed_store.get("k") == b"after close"
    assert lean._pool is not first and lean._pool.num_requests == 2


def test_through_a_proxy_the_lean_path_sends_as_the_session_does(
    make_store: Callable[..., BucketStore], relay: Relay, s3_endpoint: str
) -> None:
    store = make_store(botocore_config_kwargs={"proxies": {"http": relay.url}})
    with store:
        assert store._lean is not None and store._lean._pool is None
        store.put("k", b"via the proxy")
        assert store.get("k") == b"via the proxy"
    lean = [entry for entry, agent in zip(relay.seen, relay.agents()) if agent == "lean"]
    assert [method for method, _, _ in lean] == ["PUT", "GET"]
    assert all(path.startswith(f"{s3_endpoint}/") for _, path, _ in lean)


def test_other_requests_go_through_botocore(relayed_store: BucketStore, relay: Relay) -> None:
    calls = _botocore_calls(relayed_store)
    relayed_store.put("k", b"0123456789", if_absent=True)
    assert relayed_store.get_range("k", 2, 5) == b"234"
    assert relayed_store.list_dir().keys == ["k"]
    assert calls == ["PutObject", "GetObject", "ListObjectsV2"]


def test_put_over_http_signs_the_body_instead_of_a_second_checksum(relayed_store: BucketStore, relay: Relay) -> None:
    relayed_store.put("k", b"hello")
    headers = relay.seen[0][2]
    assert headers["X-Amz-Content-SHA256"] == hashlib.sha256(b"hello").hexdigest()
    assert "x-amz-content-sha256" in headers["Authorization"]
    assert not any(name.lower().startswith("x-amz-checksum") for name in headers)
    assert "Expect" not in headers
    assert relayed_store.get("k") == b"hello"


def test_put_with_an_unsigned_body_sends_the_checksum_botocore_sends(
    make_store: Callable[..., BucketStore], relay: Relay
) -> None:
    store = make_store(s3_url=relay.url, botocore_config_kwargs={"s3": {"payload_signing_enabled": False}})
    with store:
        store.put("k", b"hello")
        headers = relay.seen[-1][2]
        assert relay.agents()[-1] == "lean"
        assert headers["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
        assert headers["x-amz-checksum-crc32"] == "NhCmhg=="
        assert "x-amz-checksum-crc32" in headers["Authorization"]
        assert store.get("k") == b"hello"


def test_put_over_https_sends_the_checksum_botocore_sends() -> None:
    store = BucketStore(
        endpoint_url="https://s3.example.test", s3_access_key=ACCESS_KEY, s3_secret_key=SECRET_KEY,
        bucket_name="lean-bucket", region_name=REGION,
    )
    with store:
        assert store._lean is not None
        request = store._lean._signed("PUT", {"Bucket": "lean-bucket", "Key": "k", "Body": b"hello"})
        assert request.headers["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
        assert request.headers["x-amz-checksum-crc32"] == "NhCmhg=="
        assert "x-amz-checksum-crc32" in request.headers["Authorization"]


@pytest.mark.parametrize("failure", ["500", "drop"])
@pytest.mark.parametrize("operation", ["put", "get", "exists", "delete"])
def test_a_failed_lean_request_is_sent_again_through_botocore(
    relayed_store: BucketStore, relay: Relay, s3_admin: Any, failure: str, operation: str
) -> None:
    s3_admin.put_object(Bucket=relayed_store.bucket_name, Key="k", Body=b"stored")
    relay.failures.append(failure)
    result = relayed_store.put("k", b"new") if operation == "put" else getattr(relayed_store, operation)("k")
    assert result == {"put": None, "get": b"stored", "exists": True, "delete": None}[operation]
    assert relay.agents()[:2] == ["lean", "botocore"]
    assert relay.seen[0][:2] == relay.seen[1][:2]


def test_credentials_are_read_for_every_request(
    make_store: Callable[..., BucketStore], relay: Relay, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Rotating(Credentials):
        def __init__(self) -> None:
            super().__init__(ACCESS_KEY, SECRET_KEY, "token-0")
            self.turn = 0

        def get_frozen_credentials(self) -> ReadOnlyCredentials:
            self.turn += 1
            return ReadOnlyCredentials(f"key-{self.turn}", SECRET_KEY, f"token-{self.turn}")

    rotating = Rotating()
    monkeypatch.setattr(botocore.session.Session, "get_credentials", lambda self: rotating)
    store = make_store(s3_url=relay.url, s3_access_key=None, s3_secret_key=None)
    store.open()
    relay.seen.clear()
    first = rotating.turn
    for index in range(3):
        store.put(f"k{index}", b"x")
    keys = [headers["Authorization"].split("Credential=")[1].split("/")[0] for _, _, headers in relay.seen]
    tokens = [headers["X-Amz-Security-Token"] for _, _, headers in relay.seen]
    assert keys == [f"key-{first + index}" for index in (1, 2, 3)]
    assert tokens == [f"token-{first + index}" for index in (1, 2, 3)]
    assert set(relay.agents()) == {"lean"}


def test_a_client_of_ones_own_never_takes_the_lean_path(bucket: str, relay: Relay) -> None:
    session = botocore.session.get_session()
    client = session.create_client(
        "s3", endpoint_url=relay.url, region_name=REGION, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY
    )
    calls: list[str] = []
    client.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))
    with BucketStore(bucket_name=bucket, s3_client=client) as store:
        store.put("k", b"x")
        assert store.get("k") == b"x"
        assert store.exists("k")
        store.delete("k")
    assert calls == ["PutObject", "GetObject", "HeadObject", "HeadObject", "DeleteObject"]
    assert set(relay.agents()) == {"botocore"}
    client.close()


def test_an_unsigned_client_never_takes_the_lean_path(
    make_store: Callable[..., BucketStore], relay: Relay, s3_admin: Any, bucket: str
) -> None:
    from botocore import UNSIGNED

    store = make_store(s3_url=relay.url, botocore_config_kwargs={"signature_version": UNSIGNED})
    with store:
        assert store._lean is None
        store.put("k", b"anonymous")
    assert s3_admin.get_object(Bucket=bucket, Key="k")["Body"].read() == b"anonymous"
    assert set(relay.agents()) == {"botocore"}
    assert all("Authorization" not in headers for _, _, headers in relay.seen)


def test_a_missing_key_is_object_not_found_from_the_lean_path(relayed_store: BucketStore, relay: Relay) -> None:
    with pytest.raises(ObjectNotFound) as raised:
        relayed_store.get("absent")
    assert isinstance(raised.value.__cause__, relayed_store.s3_client.exceptions.NoSuchKey)
    assert not relayed_store.exists("absent")
    for operation in (relayed_store.stat, relayed_store.delete):
        with pytest.raises(ObjectNotFound):
            operation("absent")
    lean = [method for (method, _, _), agent in zip(relay.seen, relay.agents()) if agent == "lean"]
    assert lean == ["GET", "HEAD", "HEAD", "HEAD"]


@pytest.mark.parametrize("key", ["", "x" * 1025, b"bytes", None])
def test_bad_keys_fail_before_any_request(relayed_store: BucketStore, relay: Relay, key: Any) -> None:
    for operation in (relayed_store.get, relayed_store.exists, relayed_store.delete):
        with pytest.raises(InvalidKey):
            operation(key)
    with pytest.raises(InvalidKey):
        relayed_store.put(key, b"x")
    assert relay.seen == []


class _Response:
    """The part of a botocore HTTP response that the lean path reads for a GET body."""

    def __init__(self, data: bytes, headers: dict[str, str]) -> None:
        import io

        self.headers = {"content-length": str(len(data)), **headers}
        self.raw = io.BytesIO(data)


def _lean_body(data: bytes, headers: dict[str, str]) -> Any:
    from types import SimpleNamespace

    from storage.s3._lean import LeanRequests

    return LeanRequests._body(SimpleNamespace(_get_checksum=True), _Response(data, headers))  # type: ignore[arg-type]


def test_get_bodies_are_checked_against_the_checksums_botocore_checks() -> None:
    from botocore.compat import HAS_CRT
    from botocore.exceptions import FlexibleChecksumError

    assert _lean_body(b"hello", {"x-amz-checksum-crc32": "NhCmhg=="}).read() == b"hello"
    with pytest.raises(FlexibleChecksumError):
        _lean_body(b"hellO", {"x-amz-checksum-crc32": "NhCmhg=="}).read()
    # A checksum of parts ("-<count>") cannot be checked against the whole body: it is left, as botocore does.
    assert _lean_body(b"hellO", {"x-amz-checksum-crc32": "AAAAAA==-2"}).read() == b"hellO"
    # CRC-64/NVME and CRC-32C need awscrt; without it botocore skips them and so does the lean path.
    wrong = {"x-amz-checksum-crc64nvme": "AAAAAAAAAAA=", "x-amz-checksum-crc32c": "AAAAAA=="}
    if HAS_CRT:
        with pytest.raises(FlexibleChecksumError):
            _lean_body(b"hello", wrong).read()
    else:
        assert _lean_body(b"hello", wrong).read() == b"hello"
