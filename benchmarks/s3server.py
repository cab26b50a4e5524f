"""A moto S3 server in a process of its own (so it never shares the GIL with the measured code)."""

from __future__ import annotations

import itertools
import subprocess
import sys
from typing import Any, Dict

ACCESS_KEY = "benchmark-access-key"
SECRET_KEY = "benchmark-secret-key"
REGION = "us-east-1"

#: Started with ``python -c``: binds 127.0.0.1 on a free port, prints it, serves until stdin closes.
_SERVER_PROGRAM = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()
"""


class MotoServer:
    """One running moto server and the helpers to address it."""

    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.endpoint = f"http://127.0.0.1:{port}"
        self._buckets = itertools.count()
        self._client: Any = None

    @classmethod
    def start(cls) -> MotoServer:
        """Start the server and wait until it listens."""
        process = subprocess.Popen(
            [sys.executable, "-c", _SERVER_PROGRAM],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.strip().isdigit():
            process.kill()
            raise RuntimeError(f"the moto server did not start (it printed {line!r})")
        return cls(process, int(line))

    def stop(self) -> None:
        """Close the server's stdin (it then stops) and wait for it."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    @property
    def credentials(self) -> Dict[str, str]:
        """The keyword arguments of ``boto3.client("s3", ...)`` that point at this server."""
        return {
            "endpoint_url": self.endpoint,
            "aws_access_key_id": ACCESS_KEY,
            "aws_secret_access_key": SECRET_KEY,
            "region_name": REGION,
        }

    @property
    def environment(self) -> Dict[str, str]:
        """Environment variables that let a subprocess (the aws command) sign requests."""
        return {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": REGION}

    def boto3_client(self) -> Any:
        """A new boto3 S3 client with the SDK's defaults (the raw baseline)."""
        import boto3

        return boto3.session.Session().client("s3", **self.credentials)

    def new_bucket(self, name: str) -> str:
        """Create and return a bucket with a name unique in this run."""
        if self._client is None:
            self._client = self.boto3_client()
        bucket = f"{name}-{next(self._buckets)}"
        self._client.create_bucket(Bucket=bucket)
        return bucket

    def bucket_store(self, bucket: str, **options: Any) -> Any:
        """Our ``BucketStore`` on ``bucket`` of this server."""
        from storage.s3 import BucketStore

        return BucketStore(
            endpoint_url=self.endpoint,
            s3_access_key=ACCESS_KEY,
            s3_secret_key=SECRET_KEY,
            bucket_name=bucket,
            region_name=REGION,
            **options,
        )

    def obstore_store(self, bucket: str) -> Any:
        """An obstore ``S3Store`` on ``bucket`` of this server."""
        from obstore.store import S3Store

        return S3Store(
            bucket,
            endpoint=self.endpoint,
            access_key_id=ACCESS_KEY,
            secret_access_key=SECRET_KEY,
            region=REGION,
            virtual_hosted_style_request=False,
            client_options={"allow_http": True},
        )
