"""Failures become typed errors naming bucket, operation and key, never a secret (SPEC §3)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, ClassVar, Iterator

import aiohttp
import boto3
import pytest
import requests
from botocore.exceptions import ClientError, FlexibleChecksumError, NoCredentialsError, ReadTimeoutError
from urllib3.exceptions import ProtocolError

from storage.errors import (
    InvalidKey,
    ObjectNotFound,
    PartialFailure,
    PermissionDenied,
    StoreError,
    StoreUnavailable,
    UnsupportedOperation,
)
from storage.s3 import BucketNotFound
from storage.s3._errors import translate

from .conftest import ACCESS_KEY, REGION, SECRET_KEY, Twin

MISSING_BUCKET = "no-such-bucket-here"


def _assert_clean(error: BaseException, *secrets: str) -> None:
    for text in (str(error), repr(error)):
        for secret in (SECRET_KEY, *secrets):
            assert secret not in text


# A missing bucket ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("get", lambda store: store.get("some/key")),
        ("put", lambda store: store.put("some/key", b"v")),
        ("exists", lambda store: store.exists("some/key")),
        ("delete", lambda store: store.delete("some/key")),
        ("keys", lambda store: list(store.keys("some/"))),
    ],
)
def test_missing_bucket_is_not_a_missing_key(
    make_twin: Callable[..., Twin], operation: str, call: Callable[[Any], Any]
) -> None:
    twin = make_twin(bucket_name=MISSING_BUCKET)
    with pytest.raises(BucketNotFound) as caught:
        call(twin.store)
    error = caught.value
    assert isinstance(error, StoreError) and not isinstance(error, KeyError)
    assert not error.retryable
    assert MISSING_BUCKET in str(error) and operation in str(error)
    if operation != "keys":
        assert "some/key" in str(error)
    _assert_clean(error)


def test_missing_bucket_in_batches(make_twin: Callable[..., Twin]) -> None:
    twin = make_twin(bucket_name=MISSING_BUCKET)
    for call in (lambda: twin.store.get_many(["a", "b"]), lambda: twin.store.delete_many(["a", "b"])):
        with pytest.raises(PartialFailure) as caught:
            call()
        assert set(caught.value.failed) == {"a", "b"}
        assert all(isinstance(err, BucketNotFound) for err in caught.value.failed.values())
        assert MISSING_BUCKET in str(caught.value)


def test_missing_key_in_existing_bucket_checks_bucket_once(twin: Twin) -> None:
    bucket_heads = twin.count("HeadBucket")
    assert not twin.store.exists("a")
    assert not twin.store.exists("b")
    with pytest.raises(ObjectNotFound):
        twin.store.delete("c")
    assert len(bucket_heads) == 1


# Credentials and permissions -------------------------------------------------------------------


@pytest.fixture
def reader_keys(s3_endpoint: str, bucket: str) -> Iterator[tuple[str, str]]:
    """Keys of a user who may only read; the server checks every request while the test runs."""
    iam = boto3.session.Session().client(
        "iam", endpoint_url=s3_endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    iam.create_user(UserName="reader")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"},
    ]}
    iam.put_user_policy(UserName="reader", PolicyName="read-only", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    requests.post(f"{s3_endpoint}/moto-api/reset-auth", data=b"0", timeout=30).raise_for_status()
    yield key["AccessKeyId"], key["SecretAccessKey"]
    requests.post(f"{s3_endpoint}/moto-api/reset-auth", data=b"inf", timeout=30).raise_for_status()


def test_access_denied(make_twin: Callable[..., Twin], reader_keys: tuple[str, str]) -> None:
    access, secret = reader_keys
    twin = make_twin(s3_access_key=access, s3_secret_key=secret)
    with pytest.raises(ObjectNotFound):
        twin.store.get("nothing")
    with pytest.raises(PermissionDenied) as caught:
        twin.store.put("private/key", b"v")
    error = caught.value
    assert isinstance(error, PermissionError)
    assert not error.retryable
    assert "put" in str(error) and "private/key" in str(error) and twin.raw.bucket_name in str(error)
    _assert_clean(error, secret)


@pytest.mark.parametrize("wrong", ["secret", "access key"])
def test_bad_credentials(make_twin: Callable[..., Twin], reader_keys: tuple[str, str], wrong: str) -> None:
    access, secret = reader_keys
    if wrong == "secret":
        twin = make_twin(s3_access_key=access, s3_secret_key="not-the-secret-" + secret)
    else:
        twin = make_twin(s3_access_key="AKIANOSUCHKEY0000000", s3_secret_key=secret)
    with pytest.raises(PermissionDenied) as caught:
        twin.store.get("key")
    assert "get" in str(caught.value) and "'key'" in str(caught.value)
    _assert_clean(caught.value, secret)


def test_no_credentials_anywhere(
    make_twin: Callable[..., Twin], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    twin = make_twin(s3_access_key=None, s3_secret_key=None)
    with pytest.raises(PermissionDenied, match="credentials"):
        twin.store.get("key")


# An endpoint that cannot serve -----------------------------------------------------------------


class _SlowDown(BaseHTTPRequestHandler):
    """Answers every request with 503 SlowDown, counting them."""

    hits = 0

    def _answer(self) -> None:
        type(self).hits += 1
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
        self.send_response(503)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        """Keep the test output quiet."""


@contextlib.contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free port of 127.0.0.1 (in a thread) for the block; yield its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def throttling_endpoint() -> Iterator[tuple[str, type[_SlowDown]]]:
    handler = type("SlowDownCounter", (_SlowDown,), {"hits": 0})
    with _serving(handler) as url:
        yield url, handler


def test_throttling_is_retried_then_unavailable(
    make_twin: Callable[..., Twin], throttling_endpoint: tuple[str, type[_SlowDown]]
) -> None:
    url, handler = throttling_endpoint
    twin = make_twin(endpoint_url=url, botocore_config={"retries": {"total_max_attempts": 3}})
    assert twin.client.meta.config.retries["mode"] == "standard"
    with pytest.raises(StoreUnavailable) as caught:
        twin.store.get("hot/key")
    assert handler.hits == 3
    assert caught.value.retryable
    assert "hot/key" in str(caught.value) and "SlowDown" in str(caught.value)


@pytest.fixture
def refusing_endpoint() -> Iterator[str]:
    """A port that refuses connections: bound, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("endpoint", ["refusing_endpoint", "silent_endpoint"])
def test_unreachable_endpoint(make_twin: Callable[..., Twin], request: pytest.FixtureRequest, endpoint: str) -> None:
    url = request.getfixturevalue(endpoint)
    config = {"retries": {"total_max_attempts": 1}, "connect_timeout": 2, "read_timeout": 0.5}
    twin = make_twin(endpoint_url=url, botocore_config=config)
    for call in (lambda: twin.store.get("k"), lambda: twin.store.put("k", b"v"), lambda: list(twin.store.keys())):
        with pytest.raises(StoreUnavailable) as caught:
            call()
        assert caught.value.retryable
        assert isinstance(caught.value, ConnectionError)
        assert twin.raw.bucket_name in str(caught.value)
        _assert_clean(caught.value)


class _BreakingOff(BaseHTTPRequestHandler):
    """Answers with half of its body, then hangs up: a 404 to a GET of an object, a listing otherwise.

    HEADs succeed (so the bucket exists); ``agents`` records who sent each GET (lean or botocore).
    """

    protocol_version = "HTTP/1.1"
    agents: ClassVar[list[str]] = []

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.command == "HEAD":
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        listing = "list-type" in self.path
        if self.command == "GET" and not listing:
            self.agents.append("botocore" if "Botocore" in self.headers.get("User-Agent", "") else "lean")
            status, body = 404, b"<Error><Code>NoSuchKey</Code><Message>No such key.</Message></Error>"
        else:
            status, body = 200, b"<ListBucketResult><Name>b</Name><IsTruncated>false</IsTruncated></ListBucketResult>"
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def breaking_endpoint() -> Iterator[tuple[str, type[_BreakingOff]]]:
    handler = type("BreakingOffRecorder", (_BreakingOff,), {"agents": []})
    with _serving(handler) as url:
        yield url, handler


def test_answers_breaking_off_are_unavailable(
    make_path_twin: Callable[..., Twin], breaking_endpoint: tuple[str, type[_BreakingOff]]
) -> None:
    url, _ = breaking_endpoint
    twin = make_path_twin(endpoint_url=url, botocore_config={"retries": {"total_max_attempts": 2}})
    for call in (lambda: twin.store.get("k"), lambda: list(twin.store.keys()), twin.store.list_dir):
        with pytest.raises(StoreUnavailable) as caught:
            call()
        assert caught.value.retryable
        assert twin.raw.bucket_name in str(caught.value)
    with pytest.raises(PartialFailure) as failure:
        twin.store.get_many(["a", "b"])
    assert set(failure.value.failed) == {"a", "b"}
    assert all(isinstance(err, StoreUnavailable) for err in failure.value.failed.values())
    assert failure.value.retryable


def test_a_404_breaking_off_on_the_lean_path_goes_the_regular_way(
    make_store: Callable[..., Any], breaking_endpoint: tuple[str, type[_BreakingOff]]
) -> None:
    url, handler = breaking_endpoint
    store = make_store(s3_url=url, botocore_config_kwargs={"retries": {"total_max_attempts": 1}})
    store.open()
    assert store._lean is not None
    with pytest.raises(StoreUnavailable):
        store.get("k")
    assert handler.agents == ["lean", "botocore"]


# The translation table -----------------------------------------------------------------------


def _client_error(code: str, status: int, operation: str = "GetObject") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": f"message for {code}"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


@pytest.mark.parametrize(
    ("error", "expected", "retryable"),
    [
        (_client_error("NoSuchKey", 404), ObjectNotFound, False),
        (_client_error("404", 404, "HeadObject"), ObjectNotFound, False),
        (_client_error("NoSuchBucket", 404), BucketNotFound, False),
        (_client_error("AccessDenied", 403), PermissionDenied, False),
        (_client_error("InvalidAccessKeyId", 403), PermissionDenied, False),
        (_client_error("SignatureDoesNotMatch", 403), PermissionDenied, False),
        (_client_error("SlowDown", 503), StoreUnavailable, True),
        (_client_error("InternalError", 500), StoreUnavailable, True),
        (_client_error("Whatever", 502), StoreUnavailable, True),
        (_client_error("NotImplemented", 501), UnsupportedOperation, False),
        (_client_error("KeyTooLongError", 400), InvalidKey, False),
        (_client_error("InvalidStorageClass", 400), StoreError, False),
        (NoCredentialsError(), PermissionDenied, False),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:9"), StoreUnavailable, True),
        (FlexibleChecksumError(error_msg="Expected checksum x did not match"), StoreUnavailable, True),
        (ProtocolError("Connection broken: IncompleteRead"), StoreUnavailable, True),
        (aiohttp.ClientPayloadError("Response payload is not completed"), StoreUnavailable, True),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, type) else None,
)
def test_translation(error: Exception, expected: type[StoreError], retryable: bool) -> None:
    translated = translate(error, store="BucketStore(b)", bucket="b", operation="get", key="k")
    assert type(translated) is expected
    assert translated.__cause__ is error
    assert isinstance(translated, StoreError) and translated.retryable is retryable
    assert "get 'k'" in str(translated)


def test_translation_of_a_missing_bucket_on_head_bucket() -> None:
    translated = translate(
        _client_error("404", 404, "HeadBucket"), store="s", bucket="b", operation="exists", key="k", bucket_call=True
    )
    assert isinstance(translated, BucketNotFound)


def test_other_errors_pass_through() -> None:
    error = RuntimeError("not ours")
    assert translate(error, store="s", bucket="b", operation="get") is error
