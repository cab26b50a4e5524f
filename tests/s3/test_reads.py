"""GETs whose body breaks off are sent again; a get holds the object in memory about once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tracemalloc
from typing import Any, Callable, Iterator

import pytest
from tests.reliability._proxy import FaultPlan, FaultProxy

from storage.errors import StoreUnavailable

from ._relay import Relay
from .conftest import Twin

MIB = 1024 * 1024


@pytest.fixture
def proxy(s3_endpoint: str) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of the moto server (no faults until a plan is set)."""
    relay = FaultProxy(s3_endpoint)
    relay.start()
    yield relay
    relay.stop()


def _through(make_twin: Callable[..., Twin], proxy: FaultProxy, attempts: int = 3) -> Twin:
    return make_twin(endpoint_url=proxy.url, botocore_config={"retries": {"total_max_attempts": attempts}})


@pytest.mark.parametrize("operation", ["get", "get_range"])
def test_truncated_body_is_fetched_again(
    make_twin: Callable[..., Twin], proxy: FaultProxy, s3_admin: Any, bucket: str, operation: str
) -> None:
    data = bytes(range(256)) * 4096
    s3_admin.put_object(Bucket=bucket, Key="obj", Body=data)
    twin = _through(make_twin, proxy)
    assert twin.store.exists("obj")  # request 1
    proxy.plan = FaultPlan({"truncate": 2})  # request 2, the first GET, breaks off half-way
    if operation == "get":
        assert twin.store.get("obj") == data
    else:
        assert twin.store.get_range("obj", 10, 500_000) == data[10:500_000]
    assert proxy.injected["truncate"] == 1
    assert proxy.requests == 3


def test_body_breaking_off_every_time_is_unavailable(
    make_twin: Callable[..., Twin], proxy: FaultProxy, s3_admin: Any, bucket: str
) -> None:
    s3_admin.put_object(Bucket=bucket, Key="obj", Body=bytes(300_000))
    twin = _through(make_twin, proxy, attempts=4)
    proxy.plan = FaultPlan({"truncate": 1})
    with pytest.raises(StoreUnavailable) as caught:
        twin.store.get("obj")
    assert caught.value.retryable
    assert "obj" in str(caught.value) and "get" in str(caught.value)
    assert proxy.requests == 4


def test_connection_dropped_mid_body_is_fetched_again(twin: Twin) -> None:
    """A body whose reads fail (as a dropped connection does) is fetched again, whatever the store."""
    from botocore.exceptions import ResponseStreamingError

    twin.store.put("obj", b"0123456789" * 1000)
    broken = [0]

    def break_first_body(parsed: dict[str, Any], **_: Any) -> None:
        if broken[0] == 0:
            broken[0] = 1
            parsed["Body"] = _FailingBody(parsed["Body"], ResponseStreamingError(error="connection reset"))

    twin.on("after-call.s3.GetObject", break_first_body)
    gets = twin.count("GetObject")
    assert twin.store.get("obj") == b"0123456789" * 1000
    assert len(gets) == 2


def _object_gets(relay: Relay, key: str) -> int:
    return sum(1 for method, path, _ in relay.seen if method == "GET" and path.endswith(f"/{key}"))


def test_a_body_damaged_in_transit_is_fetched_again(
    make_path_twin: Callable[..., Twin], relay: Relay, s3_admin: Any, bucket: str
) -> None:
    data = b"checked against its CRC-32" * 100
    s3_admin.put_object(Bucket=bucket, Key="obj", Body=data, ChecksumAlgorithm="CRC32")
    twin = make_path_twin(endpoint_url=relay.url)
    relay.corrupt = 1
    assert twin.store.get("obj") == data
    assert relay.corrupt == 0
    assert _object_gets(relay, "obj") == 2


def test_a_body_damaged_every_time_is_unavailable(
    make_path_twin: Callable[..., Twin], relay: Relay, s3_admin: Any, bucket: str
) -> None:
    s3_admin.put_object(Bucket=bucket, Key="obj", Body=b"0123456789", ChecksumAlgorithm="CRC32")
    twin = make_path_twin(endpoint_url=relay.url, botocore_config={"retries": {"total_max_attempts": 3}})
    relay.corrupt = 1000
    with pytest.raises(StoreUnavailable) as caught:
        twin.store.get("obj")
    assert caught.value.retryable
    assert "checksum" in str(caught.value) and "get 'obj'" in str(caught.value)
    assert _object_gets(relay, "obj") == 3
    reader = twin.store.open_read("obj")
    with pytest.raises(StoreUnavailable, match="checksum"):
        reader.read()
    reader.close()


def test_gets_of_empty_objects_keep_their_connection(make_path_twin: Callable[..., Twin], relay: Relay) -> None:
    twin = make_path_twin(endpoint_url=relay.url)
    twin.store.put("empty", b"")
    twin.store.put("one", b"x")
    assert twin.store.get("one") == b"x"
    opened = relay.connections
    for _ in range(10):
        assert twin.store.get("empty") == b""
        assert twin.store.get("one") == b"x"
    assert relay.connections == opened


class _FailingBody:
    """Stands in for a response body: its first read raises ``error``; closing closes the real one."""

    def __init__(self, body: Any, error: Exception) -> None:
        self.body = body
        self.error = error

    def readinto(self, buffer: Any) -> Any:
        raise self.error

    def close(self) -> Any:
        return self.body.close()


# Peak memory -----------------------------------------------------------------------------------

SIZE = 32 * MIB

#: A stand-in S3 endpoint in its own process (so its memory is not traced here): every GET
#: answers SIZE bytes of a fixed pattern, written a slice at a time.
_SERVER = textwrap.dedent(
    f"""
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    SIZE = {SIZE}
    SLICE = bytes(range(256)) * 4096

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(SIZE))
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("ETag", '"pattern"')
            self.end_headers()
            for start in range(0, SIZE, len(SLICE)):
                self.wfile.write(SLICE[: SIZE - start])

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """
)


@pytest.fixture(scope="module")
def pattern_endpoint() -> Iterator[str]:
    """The URL of the stand-in endpoint serving SIZE bytes on every GET."""
    process = subprocess.Popen([sys.executable, "-c", _SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_get_peaks_below_one_and_a_half_times_the_object(make_twin: Callable[..., Twin], pattern_endpoint: str) -> None:
    twin = make_twin(endpoint_url=pattern_endpoint)
    twin.store.open()
    expected = (bytes(range(256)) * 4096) * (SIZE // (1024 * 1024))
    tracemalloc.start()
    try:
        data = twin.store.get("pattern")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(data, bytes)
    assert data == expected
    assert peak < 1.6 * SIZE, f"peak {peak / SIZE:.2f} x the object size"
